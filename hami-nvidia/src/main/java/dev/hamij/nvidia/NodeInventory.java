package dev.hamij.nvidia;

import dev.hamij.api.GpuDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What one discovery pass found on the node: the GPUs in NVML index order, how they are split for kubelet, and
 * readable reasons for anything left out or degraded.
 *
 * @param gpus the unfiltered physical GPUs, registered or not
 * @param splitCount slots per GPU offered to kubelet ({@code deviceSplitCount}, in {@code mig} mode too)
 * @param numaTopology whether ListAndWatch publishes each GPU's NUMA node ({@code enableNumaTopology})
 * @param warnings what was left out or degraded, e.g. {@code GPU 1 (GPU-...): nvmlDeviceGetMemoryInfo ...}
 */
public record NodeInventory(List<DiscoveredGpu> gpus, int splitCount, boolean numaTopology, List<String> warnings) {
  public NodeInventory {
    gpus = List.copyOf(gpus);
    warnings = List.copyOf(warnings);
    if (splitCount < 1) {
      throw new IllegalArgumentException("splitCount must be >= 1, got " + splitCount);
    }
  }

  /** The devices for the register annotation, in NVML index order. */
  public List<GpuDevice> registeredDevices() {
    return gpus.stream().filter(DiscoveredGpu::registered).map(DiscoveredGpu::device).toList();
  }

  /**
   * The slot IDs for kubelet (node.md §2.4): {@code splitCount} per GPU, each carrying its GPU's health and, with
   * {@code numaTopology}, its known NUMA node.
   */
  public List<AdvertisedDevice> advertisedDevices() {
    List<AdvertisedDevice> out = new ArrayList<>(gpus.size() * splitCount);
    for (DiscoveredGpu gpu : gpus) {
      int numa = numaTopology ? gpu.numaNode() : -1;
      for (int slot = 0; slot < splitCount; slot++) {
        out.add(new AdvertisedDevice(SlotIds.of(gpu.uuid(), slot), gpu.device().health(), numa));
      }
    }
    return List.copyOf(out);
  }

  /** The GPU with this UUID. */
  public Optional<DiscoveredGpu> gpu(String uuid) {
    return gpus.stream().filter(g -> g.uuid().equals(uuid)).findFirst();
  }

  /** This inventory where a GPU is healthy only if it was and {@code healthy} accepts its UUID. */
  public NodeInventory withHealth(Predicate<String> healthy) {
    List<DiscoveredGpu> merged = gpus.stream()
        .map(g -> new DiscoveredGpu(g.device().withHealth(g.device().health() && healthy.test(g.uuid())),
            g.registered(), g.numaNode(), g.minorNumber()))
        .toList();
    return new NodeInventory(merged, splitCount, numaTopology, warnings);
  }
}
