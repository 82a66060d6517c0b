package dev.hamij.nvml;

import dev.hamij.api.Placement;
/**
 * Identity of a compute instance ({@code nvmlComputeInstanceInfo_t}): parent GPU and GPU instance, CI id, profile
 * id and compute-slice placement inside the GPU instance.
 */
public record ComputeInstanceInfo(
    DeviceHandle device, GpuInstanceHandle gpuInstance, int id, int profileId, Placement placement) {}
