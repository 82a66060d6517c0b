package dev.hamij.plugin;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * HAMi's per-container GPU metrics (node.md §6.4) as Prometheus gauges, every one carrying the
 * constant label {@code zone="vGPU"}: the current names always, the legacy names of HAMi ≤ 2.8 on
 * request. Each {@link #publish} replaces the previous samples; containers that disappeared lose
 * their series.
 */
final class ContainerMetrics {

  /** One device of one container, as exported. */
  record Sample(String namespace, String pod, String container, SharedRegion.Device device,
      long lastKernelTime) {}

  private static final Labels ZONE = Labels.of("zone", "vGPU");
  private static final String[] LABELS = {"namespace", "pod", "container", "vdevice_index", "device_uuid"};
  private static final String[] LEGACY_LABELS = {"podnamespace", "podname", "ctrname", "vdeviceid", "deviceuuid"};
  private static final String[] LEGACY_MEMORY_LABELS =
      {"podnamespace", "podname", "ctrname", "vdeviceid", "deviceuuid", "context", "module", "data", "offset"};

  private final List<Family> families = new ArrayList<>();

  /** @param legacy also export each value under its HAMi ≤ 2.8 name, where it has one */
  ContainerMetrics(PrometheusRegistry registry, boolean legacy) {
    String legacyUsed = legacy ? "vGPU_device_memory_usage_in_bytes" : null;
    String legacyLimit = legacy ? "vGPU_device_memory_limit_in_bytes" : null;
    String legacyUtilization = legacy ? "Device_utilization_desc_of_container" : null;
    String legacyLastKernel = legacy ? "Device_last_kernel_of_container" : null;
    add(registry, "hami_vgpu_memory_used_bytes", legacyUsed,
        "GPU memory used by the container on this device, bytes", device(SharedRegion.Device::usedBytes));
    add(registry, "hami_vgpu_memory_limit_bytes", legacyLimit,
        "GPU memory limit of the container on this device, bytes", device(SharedRegion.Device::limitBytes));
    add(registry, "hami_container_device_memory_bytes", null,
        "GPU memory used by the container on this device, bytes", device(SharedRegion.Device::usedBytes));
    add(registry, "hami_container_device_utilization_ratio", legacyUtilization,
        "SM utilisation of the container on this device, percent", device(SharedRegion.Device::smUtilization));
    add(registry, "hami_container_last_kernel_elapsed_seconds", legacyLastKernel,
        "Seconds since the container's latest kernel launch", ContainerMetrics::secondsSinceLastKernel);
    add(registry, "hami_vgpu_memory_context_bytes", null,
        "GPU memory of the container's CUDA contexts, bytes", device(SharedRegion.Device::contextBytes));
    add(registry, "hami_vgpu_memory_module_bytes", null,
        "GPU memory of the container's loaded modules, bytes", device(SharedRegion.Device::moduleBytes));
    add(registry, "hami_vgpu_memory_buffer_bytes", null,
        "GPU memory of the container's data buffers, bytes", device(SharedRegion.Device::bufferBytes));
    if (legacy) {
      families.add(new Family(gauge(registry, "Device_memory_desc_of_container",
          "GPU memory used by the container on this device, bytes (legacy name; the labels context,"
              + " module, data and offset carry byte counts)", LEGACY_MEMORY_LABELS),
          device(SharedRegion.Device::usedBytes), ContainerMetrics::legacyMemoryLabels));
    }
  }

  /** Replaces every series with those of {@code samples}, as of {@code nowSeconds} (unix time). */
  synchronized void publish(List<Sample> samples, long nowSeconds) {
    for (Family family : families) {
      family.publish(samples, nowSeconds);
    }
  }

  /** A metric under its current name and, when {@code legacyName} is not null, its legacy name. */
  private void add(PrometheusRegistry registry, String name, String legacyName, String help, Value value) {
    families.add(new Family(gauge(registry, name, help, LABELS), value, ContainerMetrics::labels));
    if (legacyName != null) {
      families.add(new Family(gauge(registry, legacyName, help + " (legacy name)", LEGACY_LABELS), value,
          ContainerMetrics::labels));
    }
  }

  private static Gauge gauge(PrometheusRegistry registry, String name, String help, String[] labelNames) {
    return Gauge.builder().name(name).help(help).labelNames(labelNames).constLabels(ZONE).register(registry);
  }

  private static List<String> labels(Sample s) {
    return List.of(s.namespace(), s.pod(), s.container(), Integer.toString(s.device().index()),
        s.device().uuid());
  }

  private static List<String> legacyMemoryLabels(Sample s) {
    SharedRegion.Device d = s.device();
    return List.of(s.namespace(), s.pod(), s.container(), Integer.toString(d.index()), d.uuid(),
        Long.toString(d.contextBytes()), Long.toString(d.moduleBytes()), Long.toString(d.bufferBytes()),
        Long.toString(d.offsetBytes()));
  }

  private static Value device(ToLongFunction<SharedRegion.Device> field) {
    return (sample, nowSeconds) -> (double) field.applyAsLong(sample.device());
  }

  /** {@code max(now - lastKernel, 0)}; no value when the region records no kernel launch. */
  private static Double secondsSinceLastKernel(Sample s, long nowSeconds) {
    return s.lastKernelTime() > 0 ? (double) Math.max(nowSeconds - s.lastKernelTime(), 0) : null;
  }

  /** A sample's value at a given time, or null when the sample has none for this metric. */
  @FunctionalInterface
  private interface Value {
    Double of(Sample sample, long nowSeconds);
  }

  private static final class Family {
    private final Gauge gauge;
    private final Value value;
    private final Function<Sample, List<String>> labels;
    private Set<List<String>> published = Set.of();

    Family(Gauge gauge, Value value, Function<Sample, List<String>> labels) {
      this.gauge = gauge;
      this.value = value;
      this.labels = labels;
    }

    void publish(List<Sample> samples, long nowSeconds) {
      Map<List<String>, Double> next = new HashMap<>();
      for (Sample sample : samples) {
        Double v = value.of(sample, nowSeconds);
        if (v != null) {
          next.put(labels.apply(sample), v);
        }
      }
      next.forEach((labelValues, v) -> gauge.labelValues(labelValues.toArray(String[]::new)).set(v));
      Set<List<String>> stale = new HashSet<>(published);
      stale.removeAll(next.keySet());
      stale.forEach(labelValues -> gauge.remove(labelValues.toArray(String[]::new)));
      published = Set.copyOf(next.keySet());
    }
  }
}
