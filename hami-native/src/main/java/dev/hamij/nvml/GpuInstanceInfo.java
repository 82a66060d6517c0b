package dev.hamij.nvml;

/** Identity of a GPU instance ({@code nvmlGpuInstanceInfo_t}): parent GPU, GI id, profile id, memory placement. */
public record GpuInstanceInfo(DeviceHandle device, int id, int profileId, InstancePlacement placement) {}
