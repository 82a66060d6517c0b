package dev.hamij.nvml;

/**
 * A compute-instance profile inside a GPU instance ({@code nvmlComputeInstanceProfileInfo_t}). {@code id} is what
 * {@link Nvml#createComputeInstance} takes.
 */
public record ComputeInstanceProfileInfo(
    int id,
    int sliceCount,
    int instanceCount,
    int multiprocessorCount,
    int sharedCopyEngineCount,
    int sharedDecoderCount,
    int sharedEncoderCount,
    int sharedJpegCount,
    int sharedOfaCount) {}
