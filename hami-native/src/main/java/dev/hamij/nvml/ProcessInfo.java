package dev.hamij.nvml;

/**
 * A compute process on a device ({@code nvmlProcessInfo_t}). The instance ids are {@link Nvml#NO_INSTANCE} unless
 * the process runs in a MIG instance.
 */
public record ProcessInfo(int pid, long usedGpuMemoryBytes, int gpuInstanceId, int computeInstanceId) {}
