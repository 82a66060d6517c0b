package dev.hamij.nvml;

import dev.hamij.api.Placement;
/** Identity of a GPU instance ({@code nvmlGpuInstanceInfo_t}): parent GPU, GI id, profile id, memory placement. */
public record GpuInstanceInfo(DeviceHandle device, int id, int profileId, Placement placement) {}
