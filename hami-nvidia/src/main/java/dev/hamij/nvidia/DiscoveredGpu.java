package dev.hamij.nvidia;

import dev.hamij.api.GpuDevice;
import java.util.Objects;

/**
 * One physical GPU found by {@link GpuDiscovery}.
 *
 * @param device the GPU as the register annotation describes it; {@code health} is false when NVML could not
 *     describe the GPU this time (the last good description is kept)
 * @param registered whether the GPU belongs in the register annotation; GPUs without usable memory figure or, in
 *     {@code mig} mode, without any advertisable MIG profile are still offered to kubelet but not registered
 * @param numaNode the NUMA node NVML/sysfs reported, {@code -1} when unknown ({@code device.numa()} is 0 then)
 * @param minorNumber device node minor: {@code /dev/nvidia<minor>}
 */
public record DiscoveredGpu(GpuDevice device, boolean registered, int numaNode, int minorNumber) {
  public DiscoveredGpu {
    Objects.requireNonNull(device, "device");
  }

  /** The GPU UUID. */
  public String uuid() {
    return device.id();
  }
}
