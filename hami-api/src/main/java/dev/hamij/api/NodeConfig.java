package dev.hamij.api;

import java.util.List;
import java.util.Set;

/**
 * One per-node override entry ({@code nodeconfig[]}, scheduler.md §9.2, node.md §2.2 (b)). A
 * {@code null} component means "not set"; numeric {@code 0} and {@code false} also leave the shared
 * value unchanged when merged (upstream's merge rule), see {@link NvidiaConfig#withNodeOverrides}.
 *
 * <p>Guarantees: non-empty name; {@code operatingMode} is {@code null} or one of
 * {@link #OPERATING_MODES}; {@code migStrategy} is {@code null} or one of {@link #MIG_STRATEGIES};
 * numbers are non-negative.
 *
 * @param name the node this entry applies to
 * @param operatingMode {@code hami-core}, {@code mig} or {@code mps}, published as each device's mode
 * @param migStrategy parsed but without effect upstream (the plugin flag decides)
 * @param filterDevices GPUs never registered on this node
 * @param enableGetPreferredAllocation whether the plugin answers kubelet's preferred-allocation call
 */
public record NodeConfig(String name, String operatingMode, Integer deviceSplitCount, Double deviceMemoryScaling,
    Double deviceCoreScaling, Integer preConfiguredDeviceMemory, String libCudaLogLevel, Boolean enableNumaTopology,
    String migStrategy, FilterDevices filterDevices, Boolean enableGetPreferredAllocation) {

  /** Accepted operating modes. */
  public static final Set<String> OPERATING_MODES =
      Set.of(GpuDevice.MODE_HAMI_CORE, GpuDevice.MODE_MIG, GpuDevice.MODE_MPS);
  /** Accepted MIG strategies. */
  public static final Set<String> MIG_STRATEGIES = Set.of("none", "single", "mixed");

  /** GPUs excluded from registration, by UUID or NVML index. */
  public record FilterDevices(List<String> uuid, List<Integer> index) {
    /** No filter. */
    public static final FilterDevices NONE = new FilterDevices(List.of(), List.of());

    public FilterDevices {
      uuid = List.copyOf(uuid);
      index = List.copyOf(index);
    }

    /** True when neither list names a GPU. */
    public boolean isEmpty() {
      return uuid.isEmpty() && index.isEmpty();
    }

    /** True when the GPU with this UUID and NVML index must not be registered. */
    public boolean excludes(String gpuUuid, int gpuIndex) {
      return uuid.contains(gpuUuid) || index.contains(gpuIndex);
    }
  }

  public NodeConfig {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("node config name must not be empty");
    }
    if (operatingMode != null && !OPERATING_MODES.contains(operatingMode)) {
      throw new IllegalArgumentException("unknown operating mode " + operatingMode);
    }
    if (migStrategy != null && !MIG_STRATEGIES.contains(migStrategy)) {
      throw new IllegalArgumentException("unknown MIG strategy " + migStrategy);
    }
    if (negative(deviceSplitCount) || negative(preConfiguredDeviceMemory)
        || negative(deviceMemoryScaling) || negative(deviceCoreScaling)) {
      throw new IllegalArgumentException("node config numbers must not be negative");
    }
    filterDevices = filterDevices == null ? FilterDevices.NONE : filterDevices;
  }

  private static boolean negative(Number n) {
    return n != null && !(n.doubleValue() >= 0);
  }

  /** An entry that sets nothing but the name. */
  public static NodeConfig named(String name) {
    return new NodeConfig(name, null, null, null, null, null, null, null, null, FilterDevices.NONE, null);
  }

  /**
   * This entry with {@code later} applied on top: each value of {@code later} that is set and
   * non-zero, non-false and non-empty replaces this one's (later entries for a node win).
   */
  public NodeConfig overriddenBy(NodeConfig later) {
    return new NodeConfig(name,
        nonEmpty(later.operatingMode) ? later.operatingMode : operatingMode,
        later.deviceSplitCount != null && later.deviceSplitCount > 0 ? later.deviceSplitCount : deviceSplitCount,
        later.deviceMemoryScaling != null && later.deviceMemoryScaling > 0 ? later.deviceMemoryScaling : deviceMemoryScaling,
        later.deviceCoreScaling != null && later.deviceCoreScaling > 0 ? later.deviceCoreScaling : deviceCoreScaling,
        later.preConfiguredDeviceMemory != null && later.preConfiguredDeviceMemory > 0
            ? later.preConfiguredDeviceMemory : preConfiguredDeviceMemory,
        nonEmpty(later.libCudaLogLevel) ? later.libCudaLogLevel : libCudaLogLevel,
        Boolean.TRUE.equals(later.enableNumaTopology) ? Boolean.TRUE : enableNumaTopology,
        nonEmpty(later.migStrategy) ? later.migStrategy : migStrategy,
        new FilterDevices(later.filterDevices.uuid.isEmpty() ? filterDevices.uuid : later.filterDevices.uuid,
            later.filterDevices.index.isEmpty() ? filterDevices.index : later.filterDevices.index),
        Boolean.TRUE.equals(later.enableGetPreferredAllocation) ? Boolean.TRUE : enableGetPreferredAllocation);
  }

  private static boolean nonEmpty(String s) {
    return s != null && !s.isEmpty();
  }

  /** The operating mode, {@code hami-core} when not set. */
  public String operatingModeOrDefault() {
    return operatingMode == null ? GpuDevice.MODE_HAMI_CORE : operatingMode;
  }
}
