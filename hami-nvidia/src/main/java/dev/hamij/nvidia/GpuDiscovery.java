package dev.hamij.nvidia;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.MigProfile;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;
import dev.hamij.api.NvidiaConfig;
import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.Nvml;
import dev.hamij.nvml.NvmlException;
import dev.hamij.nvml.NvmlReturn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Discovers the node's GPUs through {@link Nvml} and describes them as HAMi registers them (node.md §2.3):
 * {@code type} is the NVML name, prefixed {@code NVIDIA-} unless it starts with {@code NVIDIA}; {@code devmem} is the
 * memory in MiB, multiplied by {@code deviceMemoryScaling} and truncated (not in {@code mig} mode); {@code devcore} is
 * {@code int(deviceCoreScaling * 100)} (100 in {@code mig} mode); a negative or unknown NUMA node is published as 0;
 * {@code count} is {@code deviceSplitCount}, or in {@code mig} mode the largest instance count of the advertised MIG
 * profiles (see {@link MigProfileAdvertiser}). GPUs listed in {@code filterdevices} (by UUID or index) are skipped
 * entirely. A GPU whose memory query is {@code NOT_SUPPORTED} gets {@code preConfiguredDeviceMemory}, or is not
 * registered when that is 0.
 *
 * <p>Unlike upstream, one bad GPU never fails the whole pass: its NVML error becomes a warning and, if the GPU was
 * seen before, its last good description is reported with {@code health=false}. Only a failure to count the GPUs
 * propagates. The {@link Nvml} must be initialised by the caller. Thread-safe.
 */
public final class GpuDiscovery {
  private final Nvml nvml;
  private final NvidiaConfig config;
  private final NodeConfig node;
  private final String mode;
  private final MigProfileAdvertiser advertiser;
  private final Map<Integer, DiscoveredGpu> lastGood = new HashMap<>();

  /**
   * Discovery with the shared configuration {@code config} (already merged with the node's overrides) and the node's
   * own entry (operating mode, {@code filterdevices}).
   */
  public GpuDiscovery(Nvml nvml, NvidiaConfig config, NodeConfig node) {
    this.nvml = Objects.requireNonNull(nvml, "nvml");
    this.config = Objects.requireNonNull(config, "config");
    this.node = Objects.requireNonNull(node, "node");
    this.mode = node.operatingModeOrDefault();
    this.advertiser = new MigProfileAdvertiser(nvml, config.migProfileAllowlist(), MigProfileTable.bundled());
  }

  /** Discovery for {@code nodeName} under a whole configuration. */
  public static GpuDiscovery forNode(Nvml nvml, HamiConfig config, String nodeName) {
    return new GpuDiscovery(nvml, config.effectiveFor(nodeName), config.nodeConfigFor(nodeName));
  }

  /** One discovery pass. */
  public synchronized NodeInventory discover() {
    int count = nvml.deviceCount();
    List<DiscoveredGpu> gpus = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    for (int index = 0; index < count; index++) {
      if (node.filterDevices().index().contains(index)) {
        continue;
      }
      String label = "GPU " + index;
      try {
        DeviceHandle handle = nvml.deviceByIndex(index);
        String uuid = nvml.uuid(handle);
        label = "GPU " + index + " (" + uuid + ")";
        if (node.filterDevices().excludes(uuid, index)) {
          lastGood.remove(index);
          continue;
        }
        DiscoveredGpu gpu = describe(handle, index, uuid, label, warnings);
        lastGood.put(index, gpu);
        gpus.add(gpu);
      } catch (NvmlException e) {
        warnings.add(label + ": " + e.getMessage());
        DiscoveredGpu last = lastGood.get(index);
        if (last != null) {
          gpus.add(new DiscoveredGpu(last.device().withHealth(false), last.registered(), last.numaNode(),
              last.minorNumber()));
        }
      }
    }
    return new NodeInventory(gpus, config.deviceSplitCount(), config.enableNumaTopology(), warnings);
  }

  private DiscoveredGpu describe(DeviceHandle handle, int index, String uuid, String label, List<String> warnings) {
    String name = nvml.name(handle);
    int minor = nvml.minorNumber(handle);
    int numa = Math.max(-1, nvml.numaNode(handle));
    boolean mig = GpuDevice.MODE_MIG.equals(mode);
    boolean registered = true;
    long totalMiB;
    try {
      totalMiB = nvml.memoryInfo(handle).totalMiB();
    } catch (NvmlException e) {
      if (e.code() != NvmlReturn.NOT_SUPPORTED) {
        throw e;
      }
      totalMiB = config.preConfiguredDeviceMemory();
      if (totalMiB == 0) {
        registered = false;
        warnings.add(label + ": NVML reports no memory size and preConfiguredDeviceMemory is 0; not registered");
      }
    }
    int devmem = (int) Math.min(Integer.MAX_VALUE, totalMiB);
    if (!mig && config.deviceMemoryScaling() != 1.0) {
      devmem = (int) (devmem * config.deviceMemoryScaling());
    }
    int devcore = mig ? 100 : (int) (config.deviceCoreScaling() * 100);
    String type = name.startsWith("NVIDIA") ? name : "NVIDIA-" + name;
    int slots = config.deviceSplitCount();
    List<MigProfile> profiles = List.of();
    if (mig && registered) {
      MigProfileAdvertiser.Advertisement ad = advertiser.advertise(handle, name, label, warnings);
      profiles = ad.profiles();
      slots = ad.maxInstances();
      if (profiles.isEmpty()) {
        registered = false;
        warnings.add(label + ": no MIG profile to advertise; not registered");
      }
    }
    GpuDevice device = new GpuDevice(uuid, index, slots, devmem, devcore, type, Math.max(0, numa), mode, true,
        profiles);
    return new DiscoveredGpu(device, registered, numa, minor);
  }
}
