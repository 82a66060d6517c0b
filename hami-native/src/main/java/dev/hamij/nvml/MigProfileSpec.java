package dev.hamij.nvml;

import java.util.List;
import java.util.Objects;

/**
 * One MIG GPU-instance profile of a GPU model as recorded in {@code mig-profiles.json}: its NVML enums and ids,
 * size, limits and legal placements. On a real node NVML is authoritative; this is the fallback and simulation truth.
 *
 * @param name profile name, e.g. {@code 1g.10gb} or {@code 1g.5gb+me}
 * @param mediaExtensions true for {@code +me} profiles (at most one such instance per GPU)
 * @param gpuInstanceProfileEnum {@code NVML_GPU_INSTANCE_PROFILE_*} value
 * @param profileId GPU-instance profile id reported by the driver
 * @param computeInstanceProfileEnum {@code NVML_COMPUTE_INSTANCE_PROFILE_*} of the one full-size compute instance
 * @param memoryMiB memory of an instance
 * @param computeSlices compute slices ({@code sliceCount}, the {@code Ng} of the name)
 * @param memorySlices memory slices = placement size
 * @param maxCount maximum instances of this profile on an empty GPU
 * @param multiprocessors streaming multiprocessors of an instance
 * @param placements legal placements, in ascending start order
 */
public record MigProfileSpec(
    String name,
    boolean mediaExtensions,
    int gpuInstanceProfileEnum,
    int profileId,
    int computeInstanceProfileEnum,
    long memoryMiB,
    int computeSlices,
    int memorySlices,
    int maxCount,
    int multiprocessors,
    List<InstancePlacement> placements) {
  public MigProfileSpec {
    Objects.requireNonNull(name, "name");
    placements = List.copyOf(placements);
  }
}
