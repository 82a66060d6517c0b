package dev.hamij.nvml;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A MIG-capable GPU model from {@code mig-profiles.json}: the names drivers report for it, its slice geometry and its
 * GPU-instance profiles.
 *
 * @param key catalog key, e.g. {@code A100-40GB}
 * @param nvmlNames exact names real drivers report, e.g. {@code NVIDIA A100-SXM4-40GB}
 * @param pciDeviceIds PCI device ids, e.g. {@code 0x20B010DE}
 * @param computeSlices compute slices of the whole GPU
 * @param memorySlices memory slices of the whole GPU
 * @param maxGpuInstances maximum GPU instances at once
 * @param hamiAllowlistModels the model strings HAMi's chart uses for this GPU in {@code migProfileAllowlist}
 * @param profiles the GPU-instance profiles
 */
public record GpuModel(
    String key,
    List<String> nvmlNames,
    List<String> pciDeviceIds,
    int computeSlices,
    int memorySlices,
    int maxGpuInstances,
    List<String> hamiAllowlistModels,
    List<MigProfileSpec> profiles) {
  public GpuModel {
    Objects.requireNonNull(key, "key");
    nvmlNames = List.copyOf(nvmlNames);
    pciDeviceIds = List.copyOf(pciDeviceIds);
    hamiAllowlistModels = List.copyOf(hamiAllowlistModels);
    profiles = List.copyOf(profiles);
  }

  /** The profile with exactly this name (e.g. {@code 3g.20gb}). */
  public Optional<MigProfileSpec> profile(String name) {
    return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** The profile NVML knows under this {@code NVML_GPU_INSTANCE_PROFILE_*} enum. */
  public Optional<MigProfileSpec> profileByEnum(int gpuInstanceProfileEnum) {
    return profiles.stream().filter(p -> p.gpuInstanceProfileEnum() == gpuInstanceProfileEnum).findFirst();
  }

  /** The profile with this driver profile id. */
  public Optional<MigProfileSpec> profileById(int profileId) {
    return profiles.stream().filter(p -> p.profileId() == profileId).findFirst();
  }

  /**
   * Multiprocessors of the largest GPU instance: the reference for a profile's share of the GPU, as HAMi computes
   * {@code core = ceil(profileSMs * 100 / fullSMs)}.
   */
  public int fullInstanceMultiprocessors() {
    return profiles.stream().mapToInt(MigProfileSpec::multiprocessors).max().orElse(0);
  }

  @Override
  public String toString() {
    return key + " " + nvmlNames;
  }
}
