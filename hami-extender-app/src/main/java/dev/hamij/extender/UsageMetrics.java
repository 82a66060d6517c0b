package dev.hamij.extender;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import dev.hamij.core.ClusterUsage;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * HAMi's scheduler metrics (scheduler.md §10), recomputed at every scrape from one consistent copy of
 * the ledger: the {@code hami_*} gauges with the constant label {@code zone="vGPU"},
 * {@code hami_build_info}, and optionally the v2.5-era names ({@code GPUDeviceMemoryLimit}, ...).
 * Unlike HAMi's 15-second refresh, values are never older than the scrape.
 */
final class UsageMetrics implements MultiCollector {
  private static final double MIB = 1024.0 * 1024.0;
  static final String VERSION = "0.1.0";

  private final Supplier<ClusterUsage> usage;
  private final boolean legacy;

  UsageMetrics(Supplier<ClusterUsage> usage, boolean legacy) {
    this.usage = usage;
    this.legacy = legacy;
  }

  /** Gauge families under construction, in registration order. */
  private static final class Families {
    private final Map<String, GaugeSnapshot.Builder> byName = new LinkedHashMap<>();

    void declare(String name, String help) {
      byName.put(name, GaugeSnapshot.builder().name(name).help(help));
    }

    void add(String name, double value, String... labels) {
      byName.get(name).dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build());
    }

    MetricSnapshots build() {
      MetricSnapshots.Builder b = MetricSnapshots.builder();
      byName.values().forEach(f -> b.metricSnapshot(f.build()));
      return b.build();
    }
  }

  @Override
  public MetricSnapshots collect() {
    ClusterUsage u = usage.get();
    Families f = new Families();
    f.declare("hami_gpu_memory_limit_bytes", "GPU device memory limit in bytes");
    f.declare("hami_gpu_core_limit_ratio", "GPU device core limit (percent of one GPU)");
    f.declare("hami_gpu_memory_allocated_bytes", "GPU device memory allocated in bytes");
    f.declare("hami_gpu_shared_count", "Number of containers sharing this GPU");
    f.declare("hami_gpu_core_allocated_ratio", "GPU device cores allocated (percent of one GPU)");
    f.declare("hami_node_gpu_overview", "GPU overview on a node: memory allocated in bytes");
    f.declare("hami_node_gpu_memory_allocated_ratio", "GPU memory allocated as a fraction of the device memory");
    f.declare("hami_node_gpu_mig_instance_info", "MIG instances created for pods (1 per instance)");
    f.declare("hami_resource_quota_used", "GPU resource quota used in a namespace");
    f.declare("hami_resource_quota_limit", "GPU resource quota limit in a namespace");
    f.declare("hami_vgpu_memory_allocated_bytes", "vGPU memory allocated to a pod in bytes");
    f.declare("hami_vgpu_core_allocated_ratio", "vGPU cores allocated to a pod (percent of one GPU)");
    f.declare("hami_build_info", "Build information of the scheduler extender");
    if (legacy) {
      for (String name : List.of("GPUDeviceMemoryLimit", "GPUDeviceCoreLimit", "GPUDeviceMemoryAllocated",
          "GPUDeviceSharedNum", "GPUDeviceCoreAllocated", "nodeGPUOverview", "nodeGPUMemoryPercentage",
          "nodeGPUMigInstance", "QuotaUsed", "vGPUMemoryAllocated", "vGPUCoreAllocated")) {
        f.declare(name, "HAMi v2.5 name of the " + name + " metric");
      }
    }
    for (ClusterUsage.NodeUsage n : u.nodes()) {
      for (ClusterUsage.GpuUsage g : n.gpus()) {
        gpu(f, n.name(), g);
      }
    }
    for (ClusterUsage.QuotaUsage q : u.quotas()) {
      String limit = Long.toString(q.limit().orElse(0));
      f.add("hami_resource_quota_used", q.used(), "namespace", q.namespace(), "quota_name", q.resource(),
          "limit", limit, "zone", "vGPU");
      if (q.limit().isPresent()) {
        f.add("hami_resource_quota_limit", q.limit().getAsLong(), "namespace", q.namespace(), "quota_name",
            q.resource(), "zone", "vGPU");
      }
      if (legacy) {
        f.add("QuotaUsed", q.used(), "quotanamespace", q.namespace(), "quotaName", q.resource(), "limit", limit,
            "zone", "vGPU");
      }
    }
    for (ClusterUsage.PodUsage p : u.pods()) {
      for (ContainerDevice d : p.devices()) {
        f.add("hami_vgpu_memory_allocated_bytes", d.usedmem() * MIB, "namespace", p.namespace(), "node", p.node(),
            "pod", p.name(), "container_index", "0", "device_uuid", d.uuid(), "zone", "vGPU");
        f.add("hami_vgpu_core_allocated_ratio", d.usedcores(), "namespace", p.namespace(), "node", p.node(),
            "pod", p.name(), "container_index", "0", "device_uuid", d.uuid(), "zone", "vGPU");
        if (legacy) {
          f.add("vGPUMemoryAllocated", d.usedmem() * MIB, "podnamespace", p.namespace(), "nodename", p.node(),
              "podname", p.name(), "containeridx", "0", "deviceuuid", d.uuid(), "zone", "vGPU");
          f.add("vGPUCoreAllocated", d.usedcores(), "podnamespace", p.namespace(), "nodename", p.node(),
              "podname", p.name(), "containeridx", "0", "deviceuuid", d.uuid(), "zone", "vGPU");
        }
      }
    }
    f.add("hami_build_info", 1, "version", VERSION, "revision", "", "build_date", "",
        "go_version", "java" + Runtime.version().feature(), "compiler", "javac", "platform",
        System.getProperty("os.name", "") + "/" + System.getProperty("os.arch", ""));
    return f.build();
  }

  private void gpu(Families f, String node, ClusterUsage.GpuUsage g) {
    GpuDevice d = g.device();
    String idx = Integer.toString(d.index());
    String cores = Integer.toString(d.devcore());
    f.add("hami_gpu_memory_limit_bytes", d.devmem() * MIB, "node", node, "device_uuid", d.id(), "device_index", idx,
        "device_type", d.type(), "zone", "vGPU");
    f.add("hami_gpu_core_limit_ratio", d.devcore(), "node", node, "device_uuid", d.id(), "device_index", idx,
        "device_type", d.type(), "zone", "vGPU");
    f.add("hami_gpu_memory_allocated_bytes", g.usedMemory() * MIB, "node", node, "device_uuid", d.id(),
        "device_index", idx, "device_cores", cores, "device_type", d.type(), "zone", "vGPU");
    f.add("hami_gpu_shared_count", g.used(), "node", node, "device_uuid", d.id(), "device_index", idx,
        "device_type", d.type(), "zone", "vGPU");
    f.add("hami_gpu_core_allocated_ratio", g.usedCores(), "node", node, "device_uuid", d.id(), "device_index", idx,
        "device_type", d.type(), "zone", "vGPU");
    f.add("hami_node_gpu_overview", g.usedMemory() * MIB, "node", node, "device_uuid", d.id(), "device_index", idx,
        "device_cores", cores, "device_memory_limit", Integer.toString(d.devmem()), "device_type", d.type(),
        "zone", "vGPU");
    if (d.devmem() > 0) {
      f.add("hami_node_gpu_memory_allocated_ratio", (double) g.usedMemory() / d.devmem(), "node", node,
          "device_uuid", d.id(), "device_index", idx, "device_type", d.type(), "zone", "vGPU");
    }
    for (ClusterUsage.MigInstance m : g.migInstances()) {
      MigAllocation a = m.allocation();
      if (a.runtimeReady()) {
        f.add("hami_node_gpu_mig_instance_info", 1, "node", node, "device_uuid", d.id(), "device_index", idx,
            "mig_uuid", a.migUUID(), "profile", a.profile(), "gpu_instance_id", a.gpuInstanceID().toString(),
            "compute_instance_id", a.computeInstanceID().toString(),
            "placement_start", Integer.toString(a.placement().start()),
            "placement_size", Integer.toString(a.placement().size()), "zone", "vGPU");
        if (legacy) {
          f.add("nodeGPUMigInstance", 1, "nodeid", node, "deviceuuid", d.id(), "deviceidx", idx,
              "migname", a.profile() + "-" + a.gpuInstanceID(), "zone", "vGPU");
        }
      }
    }
    if (legacy) {
      freeMigSlots(f, node, idx, g);
    }
    if (legacy) {
      f.add("GPUDeviceMemoryLimit", d.devmem() * MIB, "nodeid", node, "deviceuuid", d.id(), "deviceidx", idx,
          "devicetype", d.type(), "zone", "vGPU");
      f.add("GPUDeviceCoreLimit", d.devcore(), "nodeid", node, "deviceuuid", d.id(), "deviceidx", idx,
          "devicetype", d.type(), "zone", "vGPU");
      f.add("GPUDeviceMemoryAllocated", g.usedMemory() * MIB, "nodeid", node, "deviceuuid", d.id(), "deviceidx", idx,
          "devicecores", cores, "devicetype", d.type(), "zone", "vGPU");
      f.add("GPUDeviceSharedNum", g.used(), "nodeid", node, "deviceuuid", d.id(), "deviceidx", idx,
          "devicetype", d.type(), "zone", "vGPU");
      f.add("GPUDeviceCoreAllocated", g.usedCores(), "nodeid", node, "deviceuuid", d.id(), "deviceidx", idx,
          "devicetype", d.type(), "zone", "vGPU");
      f.add("nodeGPUOverview", g.usedMemory() * MIB, "nodeid", node, "deviceuuid", d.id(), "deviceidx", idx,
          "devicecores", cores, "devicememorylimit", Integer.toString(d.devmem()), "devicetype", d.type(),
          "zone", "vGPU");
      if (d.devmem() > 0) {
        f.add("nodeGPUMemoryPercentage", (double) g.usedMemory() / d.devmem(), "nodeid", node, "deviceuuid", d.id(),
            "deviceidx", idx, "zone", "vGPU");
      }
    }
  }

  /**
   * The seed's "0 = free template slot" samples of {@code nodeGPUMigInstance}, for dynamic MIG: one sample with
   * value 0 per advertised profile placement that overlaps no instance in use, named
   * {@code <profile>-free-<start>}, so a dashboard shows what each GPU can still take.
   */
  private static void freeMigSlots(Families f, String node, String idx, ClusterUsage.GpuUsage g) {
    GpuDevice d = g.device();
    for (dev.hamij.api.MigProfile p : d.migProfiles()) {
      for (dev.hamij.api.Placement pl : p.placements()) {
        boolean taken = g.migInstances().stream().anyMatch(m -> m.allocation().placement().overlaps(pl));
        if (!taken) {
          f.add("nodeGPUMigInstance", 0, "nodeid", node, "deviceuuid", d.id(), "deviceidx", idx,
              "migname", p.name() + "-free-" + pl.start(), "zone", "vGPU");
        }
      }
    }
  }
}
