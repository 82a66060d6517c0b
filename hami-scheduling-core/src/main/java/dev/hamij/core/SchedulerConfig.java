package dev.hamij.core;

import dev.hamij.api.HamiConfig;
import dev.hamij.api.MigGeometry;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NvidiaConfig;
import dev.hamij.api.ResourceNames;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link GpuScheduler} needs to know that is not in the cluster: resource names,
 * request defaults, default policies, MIG templates for nodes that advertise no MIG profiles, and
 * the strict-compatibility switch. Immutable; build one with {@link #builder()} or from HAMi's
 * device configuration with {@link #of(HamiConfig)} / {@link #builder(NvidiaConfig)}.
 *
 * @param resourceNames extended resource names read from containers (scheduler.md §1.1)
 * @param defaultMemory MiB booked when a container gives neither memory nor a percentage (not scaled)
 * @param defaultCores cores booked when a container gives no core request
 * @param memoryFactor multiplier applied to {@code gpumem} requests and memory quota limits (≥ 1)
 * @param nodePolicy default node policy: {@code binpack}, {@code spread} or {@code fragmentation}
 * @param gpuPolicy default GPU policy: {@code binpack}, {@code spread}, {@code topology-aware},
 *     {@code mutex}, {@code numa} or a comma chain
 * @param knownMigGeometries legacy MIG templates per GPU model family, used only for MIG GPUs whose
 *     node advertises no profiles. A GPU takes the first entry one of whose model strings, compared
 *     case-insensitively with spaces, hyphens and underscores alike, is contained in its registered
 *     type or in a driver name of its model in the profile table, or equals that model's table key
 *     (so {@code A100-80GB-PCIe} matches {@code NVIDIA A100 80GB PCIe}). Every distinct template name
 *     of the entry's geometries becomes a usable profile with the template's memory (and cores when
 *     given), placed by the profile table's rules; a name the table lacks (the chart's
 *     {@code 7g.79gb}) maps to the table profile with the same compute prefix and closest memory.
 * @param migProfileTable NVIDIA placement facts used to turn templates into placements
 * @param strictUpstream reproduce upstream HAMi v2.10 quirks that this library otherwise fixes (see
 *     the module README: device score ignoring the request, free-memory check on MIG GPUs)
 */
public record SchedulerConfig(ResourceNames resourceNames, int defaultMemory, int defaultCores, int memoryFactor,
    String nodePolicy, String gpuPolicy, List<MigGeometry> knownMigGeometries, MigProfileTable migProfileTable,
    boolean strictUpstream) {

  /** Node policy that packs pods onto the most used nodes (HAMi's default). */
  public static final String BINPACK = "binpack";
  /** Policy that prefers the least used nodes or GPUs (HAMi's default GPU policy). */
  public static final String SPREAD = "spread";
  /**
   * Node policy that places a pod where the fragmentation of free GPU capacity, measured against the
   * request mix seen so far, grows least (see {@link WorkloadMix}); not part of upstream HAMi.
   */
  public static final String FRAGMENTATION = "fragmentation";

  public SchedulerConfig {
    Objects.requireNonNull(resourceNames, "resourceNames");
    Objects.requireNonNull(migProfileTable, "migProfileTable");
    if (memoryFactor < 1) {
      throw new IllegalArgumentException("memoryFactor must be >= 1, got " + memoryFactor);
    }
    if (defaultMemory < 0 || defaultCores < 0) {
      throw new IllegalArgumentException("defaultMemory and defaultCores must not be negative");
    }
    nodePolicy = nodePolicy == null || nodePolicy.isBlank() ? BINPACK : nodePolicy.trim();
    gpuPolicy = gpuPolicy == null || gpuPolicy.isBlank() ? SPREAD : gpuPolicy.trim();
    knownMigGeometries = List.copyOf(knownMigGeometries);
  }

  /** HAMi's defaults: default resource names, no default memory/cores, factor 1, binpack/spread, chart MIG geometries. */
  public static SchedulerConfig defaults() {
    return builder().build();
  }

  /** The scheduler part of a loaded HAMi configuration, with the default policies. */
  public static SchedulerConfig of(HamiConfig config) {
    return builder(config.nvidia()).build();
  }

  /** A builder starting from {@link #defaults()}. */
  public static Builder builder() {
    return builder(NvidiaConfig.defaults());
  }

  /**
   * A builder taking resource names, default memory and cores, memory factor and MIG geometries from
   * HAMi's {@code nvidia:} device configuration; policies default to binpack (nodes) / spread (GPUs).
   */
  public static Builder builder(NvidiaConfig nvidia) {
    return new Builder().resourceNames(nvidia.resourceNames()).defaultMemory(nvidia.defaultMemory())
        .defaultCores(nvidia.defaultCores()).memoryFactor(nvidia.memoryFactor())
        .knownMigGeometries(nvidia.knownMigGeometries());
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.resourceNames = resourceNames;
    b.defaultMemory = defaultMemory;
    b.defaultCores = defaultCores;
    b.memoryFactor = memoryFactor;
    b.nodePolicy = nodePolicy;
    b.gpuPolicy = gpuPolicy;
    b.knownMigGeometries = knownMigGeometries;
    b.migProfileTable = migProfileTable;
    b.strictUpstream = strictUpstream;
    return b;
  }

  /** Mutable builder of {@link SchedulerConfig}. */
  public static final class Builder {
    private ResourceNames resourceNames = ResourceNames.DEFAULT;
    private int defaultMemory;
    private int defaultCores;
    private int memoryFactor = 1;
    private String nodePolicy = BINPACK;
    private String gpuPolicy = SPREAD;
    private MigProfileTable migProfileTable = MigProfileTable.bundled();
    private List<MigGeometry> knownMigGeometries = List.of();
    private boolean strictUpstream;

    private Builder() {}

    public Builder resourceNames(ResourceNames v) {
      resourceNames = v;
      return this;
    }

    public Builder defaultMemory(int v) {
      defaultMemory = v;
      return this;
    }

    public Builder defaultCores(int v) {
      defaultCores = v;
      return this;
    }

    public Builder memoryFactor(int v) {
      memoryFactor = v;
      return this;
    }

    public Builder nodePolicy(String v) {
      nodePolicy = v;
      return this;
    }

    public Builder gpuPolicy(String v) {
      gpuPolicy = v;
      return this;
    }

    public Builder knownMigGeometries(List<MigGeometry> v) {
      knownMigGeometries = List.copyOf(v);
      return this;
    }

    public Builder migProfileTable(MigProfileTable v) {
      migProfileTable = v;
      return this;
    }

    public Builder strictUpstream(boolean v) {
      strictUpstream = v;
      return this;
    }

    public SchedulerConfig build() {
      return new SchedulerConfig(resourceNames, defaultMemory, defaultCores, memoryFactor, nodePolicy, gpuPolicy,
          knownMigGeometries, migProfileTable, strictUpstream);
    }
  }
}
