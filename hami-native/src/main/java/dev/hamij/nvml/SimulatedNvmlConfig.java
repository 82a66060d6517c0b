package dev.hamij.nvml;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads the simulator's YAML document:
 *
 * <pre>
 * driverVersion: "550.54.15"        # optional
 * gpus:
 *   - model: A100-40GB              # catalog key or driver-reported name
 *     count: 2                      # default 1
 *     mig: true                     # default false
 *     migPending: true              # default: same as mig
 *     migChangeRequiresReset: false # default false
 *     numa: 1                       # default 0; -1 = none
 *     uuids: [GPU-..., GPU-...]     # optional, one per GPU
 *     memoryMiB: 40960              # optional override
 *     unifiedMemory: false          # memory query NOT_SUPPORTED when true
 * </pre>
 */
final class SimulatedNvmlConfig {
  record ConfigDto(String driverVersion, List<GpuDto> gpus) {}

  record GpuDto(
      String model,
      Integer count,
      Boolean mig,
      Boolean migPending,
      Boolean migChangeRequiresReset,
      Integer numa,
      List<String> uuids,
      Long memoryMiB,
      Boolean unifiedMemory) {}

  private SimulatedNvmlConfig() {}

  /** GPUs one file may create; a node has far fewer, and a huge count would exhaust memory. */
  static final int MAX_COUNT = 1024;

  /** Parses and builds; every error, including those of the whole node (a repeated UUID), names the source. */
  static SimulatedNvml load(String yaml, String source) {
    SimulatedNvml.Builder builder = parse(yaml, source);
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("simulated NVML config " + source + ": " + e.getMessage(), e);
    }
  }

  static SimulatedNvml.Builder parse(String yaml, String source) {
    ConfigDto config;
    try {
      config = YAMLMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build()
          .readValue(yaml, ConfigDto.class);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("simulated NVML config " + source + ": " + e.getOriginalMessage()
          + " at " + e.getPathReference(), e);
    }
    if (config == null || config.gpus() == null || config.gpus().isEmpty()) {
      throw new IllegalArgumentException("simulated NVML config " + source + ": 'gpus' must list at least one GPU");
    }
    SimulatedNvml.Builder builder = SimulatedNvml.builder();
    if (config.driverVersion() != null) {
      builder.driverVersion(config.driverVersion());
    }
    long total = 0;
    for (int i = 0; i < config.gpus().size(); i++) {
      String path = "simulated NVML config " + source + ": gpus[" + i + "]";
      GpuDto dto = config.gpus().get(i);
      if (dto == null || dto.model() == null || dto.model().isBlank()) {
        throw new IllegalArgumentException(path + ".model is required");
      }
      int count = dto.count() == null ? 1 : dto.count();
      if (count < 1) {
        throw new IllegalArgumentException(path + ".count must be >= 1, got " + count);
      }
      total += count;
      if (count > MAX_COUNT || total > MAX_COUNT) {
        throw new IllegalArgumentException(path + ".count: a node has at most " + MAX_COUNT + " GPUs, got " + count
            + (count == total ? "" : " more after " + (total - count)));
      }
      List<String> uuids = dto.uuids() == null ? List.of() : dto.uuids();
      if (!uuids.isEmpty() && uuids.size() != count) {
        throw new IllegalArgumentException(path + ".uuids lists " + uuids.size() + " UUIDs for count " + count);
      }
      for (SimulatedGpu gpu : expand(dto, count, uuids, path)) {
        try {
          builder.gpu(gpu);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
      }
    }
    return builder;
  }

  private static List<SimulatedGpu> expand(GpuDto dto, int count, List<String> uuids, String path) {
    boolean mig = Boolean.TRUE.equals(dto.mig());
    List<SimulatedGpu> gpus = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      try {
        SimulatedGpu gpu = SimulatedGpu.of(dto.model())
            .withMig(mig)
            .withPendingMig(dto.migPending() == null ? mig : dto.migPending())
            .withNuma(dto.numa() == null ? 0 : dto.numa())
            .withMemoryMiB(dto.memoryMiB() == null ? 0 : dto.memoryMiB());
        if (!uuids.isEmpty()) {
          gpu = gpu.withUuid(uuids.get(k));
        }
        if (Boolean.TRUE.equals(dto.migChangeRequiresReset())) {
          gpu = gpu.withMigChangeRequiringReset();
        }
        if (Boolean.TRUE.equals(dto.unifiedMemory())) {
          gpu = gpu.withUnifiedMemory();
        }
        gpus.add(gpu);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
      }
    }
    return gpus;
  }
}
