package dev.hamij.nvml;

import java.util.Objects;

/**
 * A GPU-instance profile of a device ({@code nvmlGpuInstanceProfileInfo_v2_t}). {@code id} is the profile id the
 * placement and creation calls take; {@code instanceCount} is the maximum on an otherwise empty GPU; {@code name}
 * is the driver's name such as {@code MIG 1g.10gb}, or empty when the driver only offers the v1 struct.
 */
public record GpuInstanceProfileInfo(
    int id,
    boolean p2pSupported,
    int sliceCount,
    int instanceCount,
    int multiprocessorCount,
    int copyEngineCount,
    int decoderCount,
    int encoderCount,
    int jpegCount,
    int ofaCount,
    long memorySizeMB,
    String name) {
  public GpuInstanceProfileInfo {
    Objects.requireNonNull(name, "name");
  }

  /** The profile name without the driver's {@code "MIG "} prefix ({@code 1g.10gb}); empty when unknown. */
  public String profileName() {
    return name.startsWith("MIG ") ? name.substring(4) : name;
  }
}
