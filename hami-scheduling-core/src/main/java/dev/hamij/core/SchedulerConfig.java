package dev.hamij.core;

import dev.hamij.api.MigProfileTable;
import dev.hamij.api.ResourceNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link GpuScheduler} needs to know that is not in the cluster: resource names,
 * request defaults, default policies, MIG templates for nodes that advertise no MIG profiles, and
 * the strict-compatibility switch. Immutable; build one with {@link #builder()}.
 *
 * @param resourceNames extended resource names read from containers (scheduler.md §1.1)
 * @param defaultMemory MiB booked when a container gives neither memory nor a percentage (not scaled)
 * @param defaultCores cores booked when a container gives no core request
 * @param memoryFactor multiplier applied to {@code gpumem} requests and memory quota limits (≥ 1)
 * @param nodePolicy default node policy: {@code binpack} or {@code spread}
 * @param gpuPolicy default GPU policy: {@code binpack}, {@code spread}, {@code topology-aware},
 *     {@code mutex}, {@code numa} or a comma chain
 * @param migTemplates MIG templates per GPU model, used only for MIG GPUs whose node advertises no
 *     profiles (the {@code knownMigGeometries} configuration); first matching entry wins
 * @param migProfileTable NVIDIA placement facts used to turn templates into placements
 * @param strictUpstream reproduce upstream HAMi v2.10 quirks that this library otherwise fixes (see
 *     the module README: device score ignoring the request, free-memory check on MIG GPUs)
 */
public record SchedulerConfig(ResourceNames resourceNames, int defaultMemory, int defaultCores, int memoryFactor,
    String nodePolicy, String gpuPolicy, List<MigTemplateSet> migTemplates, MigProfileTable migProfileTable,
    boolean strictUpstream) {

  /** Node policy that packs pods onto the most used nodes (HAMi's default). */
  public static final String BINPACK = "binpack";
  /** Policy that prefers the least used nodes or GPUs (HAMi's default GPU policy). */
  public static final String SPREAD = "spread";

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
    migTemplates = List.copyOf(migTemplates);
  }

  /** HAMi's defaults: default resource names, no default memory/cores, factor 1, binpack/spread, chart MIG templates. */
  public static SchedulerConfig defaults() {
    return builder().build();
  }

  /** A builder starting from {@link #defaults()}. */
  public static Builder builder() {
    return new Builder();
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
    b.migTemplates = new ArrayList<>(migTemplates);
    b.migProfileTable = migProfileTable;
    b.strictUpstream = strictUpstream;
    return b;
  }

  /**
   * One MIG template: profile name and the nominal memory booked for it (legacy
   * {@code knownMigGeometries} entry). Placements come from the {@link MigProfileTable}.
   *
   * @param name profile name, e.g. {@code 2g.10gb}
   * @param memoryMiB nominal memory in MiB, e.g. 10240
   * @param core compute share booked in percent; 0 means "derive from the profile table"
   */
  public record MigTemplate(String name, int memoryMiB, int core) {
    public MigTemplate {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("MIG template needs a profile name");
      }
      if (memoryMiB <= 0 || core < 0) {
        throw new IllegalArgumentException("MIG template " + name + " needs memory > 0 and core >= 0");
      }
    }
  }

  /**
   * MIG templates for a family of GPU models. A GPU matches when one of {@code models}, compared
   * case-insensitively with spaces, hyphens and underscores treated alike, is contained in the GPU's
   * registered type, in one of the driver names of its model in the profile table, or equals that
   * model's table key (so {@code A100-80GB-PCIe} matches the driver name {@code NVIDIA A100 80GB PCIe}).
   *
   * @param models model strings
   * @param templates the profiles usable on those models
   */
  public record MigTemplateSet(List<String> models, List<MigTemplate> templates) {
    public MigTemplateSet {
      models = List.copyOf(models);
      templates = List.copyOf(templates);
      if (models.isEmpty() || templates.isEmpty()) {
        throw new IllegalArgumentException("MIG template set needs models and templates");
      }
    }
  }

  /**
   * HAMi chart defaults of {@code knownMigGeometries}, flattened to one template list per model family.
   * A template name the profile table does not know (the chart's {@code 7g.79gb}) maps to the table
   * profile with the same compute prefix and the closest memory ({@code 7g.80gb}).
   */
  public static List<MigTemplateSet> defaultMigTemplates() {
    return List.of(
        new MigTemplateSet(List.of("A30"), List.of(
            new MigTemplate("1g.6gb", 6144, 0), new MigTemplate("2g.12gb", 12288, 0),
            new MigTemplate("4g.24gb", 24576, 0))),
        new MigTemplateSet(List.of("A100-SXM4-40GB", "A100-40GB-PCIe", "A100-PCIE-40GB"), List.of(
            new MigTemplate("1g.5gb", 5120, 0), new MigTemplate("2g.10gb", 10240, 0),
            new MigTemplate("3g.20gb", 20480, 0), new MigTemplate("7g.40gb", 40960, 0))),
        new MigTemplateSet(List.of("A100-SXM4-80GB", "A100-80GB-PCIe", "A100-PCIE-80GB"), List.of(
            new MigTemplate("1g.10gb", 10240, 0), new MigTemplate("2g.20gb", 20480, 0),
            new MigTemplate("3g.40gb", 40960, 0), new MigTemplate("7g.79gb", 80896, 0))));
  }

  /** Mutable builder of {@link SchedulerConfig}. */
  public static final class Builder {
    private ResourceNames resourceNames = ResourceNames.DEFAULT;
    private int defaultMemory;
    private int defaultCores;
    private int memoryFactor = 1;
    private String nodePolicy = BINPACK;
    private String gpuPolicy = SPREAD;
    private List<MigTemplateSet> migTemplates = new ArrayList<>(defaultMigTemplates());
    private MigProfileTable migProfileTable = MigProfileTable.bundled();
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

    public Builder migTemplates(List<MigTemplateSet> v) {
      migTemplates = new ArrayList<>(v);
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
          migTemplates, migProfileTable, strictUpstream);
    }
  }
}
