package dev.hamij.api;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code nvidia:} section of HAMi's {@code device-config.yaml} (scheduler.md §9.1, node.md
 * §2.2), shared by scheduler and device plugin. {@link #defaults()} holds the HAMi chart defaults.
 *
 * <p>Guarantees: {@code memoryFactor >= 1}, {@code deviceSplitCount >= 1}, both scalings
 * {@code > 0}, defaults non-negative ({@code defaultCores <= 100}), {@code gpuCorePolicy} is one of
 * {@code default}, {@code force}, {@code disable}; lists are immutable.
 *
 * @param resourceNames the five extended resource names (§1.1)
 * @param overwriteEnv webhook: set {@code NVIDIA_VISIBLE_DEVICES=none} on containers without GPUs
 * @param defaultMemory MiB per GPU when a container gives neither memory nor percentage (0 = whole GPU)
 * @param defaultCores cores per GPU when a container gives none
 * @param defaultGPUNum GPUs added by the webhook to a container that asks for memory/cores only
 * @param memoryFactor multiplier of a container's {@code gpumem} value (HEAD)
 * @param deviceSplitCount slots per GPU
 * @param deviceMemoryScaling multiplier of registered memory ({@code > 1} = oversubscription)
 * @param deviceCoreScaling multiplier of registered cores
 * @param preConfiguredDeviceMemory MiB used for GPUs without an NVML memory figure (0 = skip such GPUs)
 * @param libCudaLogLevel HAMi-core log level passed as {@code LIBCUDA_LOG_LEVEL}; empty = unset
 * @param enableNumaTopology publish NUMA topology to kubelet
 * @param disableCoreLimit set {@code GPU_CORE_UTILIZATION_POLICY=disable}
 * @param gpuCorePolicy webhook core policy: {@code default}, {@code force} or {@code disable}
 * @param runtimeClassName runtime class the webhook sets on GPU pods; empty = none
 * @param knownMigGeometries legacy template MIG geometries (v2.5–v2.9)
 * @param migProfileAllowlist dynamic MIG allowlist (HEAD)
 */
public record NvidiaConfig(ResourceNames resourceNames, boolean overwriteEnv, int defaultMemory, int defaultCores,
    int defaultGPUNum, int memoryFactor, int deviceSplitCount, double deviceMemoryScaling, double deviceCoreScaling,
    int preConfiguredDeviceMemory, String libCudaLogLevel, boolean enableNumaTopology, boolean disableCoreLimit,
    String gpuCorePolicy, String runtimeClassName, List<MigGeometry> knownMigGeometries,
    List<MigAllowlistEntry> migProfileAllowlist) {

  /** Values accepted for {@link #gpuCorePolicy()}. */
  public static final Set<String> GPU_CORE_POLICIES = Set.of("default", "force", "disable");

  public NvidiaConfig {
    if (resourceNames == null) {
      throw new IllegalArgumentException("resourceNames must not be null");
    }
    if (memoryFactor < 1 || deviceSplitCount < 1 || !(deviceMemoryScaling > 0) || !(deviceCoreScaling > 0)
        || defaultMemory < 0 || defaultCores < 0 || defaultCores > 100 || defaultGPUNum < 0
        || preConfiguredDeviceMemory < 0 || !GPU_CORE_POLICIES.contains(gpuCorePolicy)
        || !Double.isFinite(deviceMemoryScaling) || !Double.isFinite(deviceCoreScaling)) {
      throw new IllegalArgumentException("invalid nvidia configuration: memoryFactor=" + memoryFactor
          + " deviceSplitCount=" + deviceSplitCount + " deviceMemoryScaling=" + deviceMemoryScaling
          + " deviceCoreScaling=" + deviceCoreScaling + " defaultMemory=" + defaultMemory
          + " defaultCores=" + defaultCores + " defaultGPUNum=" + defaultGPUNum
          + " preConfiguredDeviceMemory=" + preConfiguredDeviceMemory + " gpuCorePolicy=" + gpuCorePolicy);
    }
    libCudaLogLevel = libCudaLogLevel == null ? "" : libCudaLogLevel;
    runtimeClassName = runtimeClassName == null ? "" : runtimeClassName;
    knownMigGeometries = List.copyOf(knownMigGeometries);
    migProfileAllowlist = List.copyOf(migProfileAllowlist);
  }

  /** HAMi's chart defaults, including the chart's MIG geometries and allowlist. */
  public static NvidiaConfig defaults() {
    return new NvidiaConfig(ResourceNames.DEFAULT, false, 0, 0, 1, 1, 10, 1.0, 1.0, 0, "", false, false,
        "default", "", ChartDefaults.KNOWN_MIG_GEOMETRIES, ChartDefaults.MIG_PROFILE_ALLOWLIST);
  }

  /** The first legacy geometry entry whose model string is a substring of {@code deviceType}. */
  public Optional<MigGeometry> geometryFor(String deviceType) {
    return knownMigGeometries.stream().filter(g -> g.matches(deviceType)).findFirst();
  }

  /**
   * This configuration with a node's overrides applied (node.md §2.2 (b)): each of split count,
   * scalings, pre-configured memory, log level and NUMA topology is replaced when the node sets it
   * to a non-zero, non-false, non-empty value.
   */
  public NvidiaConfig withNodeOverrides(NodeConfig node) {
    return new NvidiaConfig(resourceNames, overwriteEnv, defaultMemory, defaultCores, defaultGPUNum, memoryFactor,
        positiveOr(node.deviceSplitCount(), deviceSplitCount),
        positiveOr(node.deviceMemoryScaling(), deviceMemoryScaling),
        positiveOr(node.deviceCoreScaling(), deviceCoreScaling),
        positiveOr(node.preConfiguredDeviceMemory(), preConfiguredDeviceMemory),
        node.libCudaLogLevel() == null || node.libCudaLogLevel().isEmpty() ? libCudaLogLevel : node.libCudaLogLevel(),
        Boolean.TRUE.equals(node.enableNumaTopology()) || enableNumaTopology,
        disableCoreLimit, gpuCorePolicy, runtimeClassName, knownMigGeometries, migProfileAllowlist);
  }

  private static int positiveOr(Integer value, int fallback) {
    return value != null && value > 0 ? value : fallback;
  }

  private static double positiveOr(Double value, double fallback) {
    return value != null && value > 0 ? value : fallback;
  }
}
