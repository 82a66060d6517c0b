package dev.hamij.extender;

import static dev.hamij.extender.Fixtures.bindArgs;
import static dev.hamij.extender.Fixtures.filterArgs;
import static dev.hamij.extender.Fixtures.get;
import static dev.hamij.extender.Fixtures.kv;
import static dev.hamij.extender.Fixtures.pod;
import static dev.hamij.extender.Fixtures.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics} on the metrics port, over the example cluster: values, legacy names, and format. */
class MetricsTest {
  private static ExtenderRuntime runtime;
  private static String exposition;
  private static ExpositionChecker checked;

  @BeforeAll
  static void scrape() throws Exception {
    MemoryCluster cluster = new MemoryCluster(Snapshot.load(ScheduleCommandTest.SNAPSHOT));
    ExtenderRuntime.Options o = Fixtures.options(Extender.FilterMode.BEST_NODE);
    o = new ExtenderRuntime.Options(o.httpBind(), o.metricsBind(), o.certFile(), o.keyFile(), o.deviceConfigFile(),
        o.policies(), o.filterMode(), o.nodeLockTimeout(), o.podGroupLockWait(), o.leaderElect(), o.followLease(),
        o.leaseNamespace(), o.leaseName(), o.identity(), true, o.httpThreads(), o.trustedUsers(), o.readyWait(), o.healthInterval(),
        o.reloadInterval(), o.lease());
    runtime = ExtenderRuntime.start(o, cluster, null);
    int port = runtime.httpPort();
    Pod ok = cluster.applyPod(pod("default", "m-ok", "uid-m-ok", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    assertThat(post(port, "/filter", filterArgs(ok, "gpu-node-2")).body()).contains("[\"gpu-node-2\"]");
    assertThat(post(port, "/bind", bindArgs(ok, "gpu-node-2")).body()).isEqualTo("{\"Error\":\"\"}");
    Pod big = cluster.applyPod(pod("default", "m-big", "uid-m-big", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "99999"));
    assertThat(post(port, "/filter", filterArgs(big, "gpu-node-1", "gpu-node-2", "cpu-node-1")).body()).contains("FailedNodes");
    HttpResponse<String> r = get(runtime.metricsPort(), "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
    exposition = r.body();
    checked = ExpositionChecker.check(exposition);
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  private static double value(String name, String... labels) {
    List<ExpositionChecker.Sample> found = checked.find(name, kv(labels));
    assertThat(found).as(name + " " + List.of(labels)).hasSize(1);
    return found.get(0).value();
  }

  @Test
  void expositionIsWellFormed() {
    assertThat(checked.problems()).isEmpty();
    assertThat(checked.types()).containsEntry("hami_gpu_memory_limit_bytes", "gauge")
        .containsEntry("hami_extender_filter_duration_seconds", "histogram")
        .containsEntry("hami_extender_node_rejections_total", "counter");
  }

  @Test
  void theCheckerRejectsBrokenExpositions() {
    assertThat(ExpositionChecker.check("x 1\n").problems()).isNotEmpty();
    assertThat(ExpositionChecker.check("# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n").problems())
        .anyMatch(p -> p.contains("duplicate series"));
    assertThat(ExpositionChecker.check("# TYPE x gauge\nx{a=\"\\q\"} 1\n").problems()).anyMatch(p -> p.contains("escape"));
    assertThat(ExpositionChecker.check("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n")
        .problems()).anyMatch(p -> p.contains("must not decrease"));
    assertThat(ExpositionChecker.check("# TYPE x gauge\nx abc\n").problems()).anyMatch(p -> p.contains("invalid value"));
  }

  @Test
  void gpuFamiliesCarryZoneVgpuAndTheLedgerValues() {
    String a10 = "GPU-a10a10a1-0000-4000-8000-000000000000";
    assertThat(value("hami_gpu_memory_limit_bytes", "node", "gpu-node-1", "device_uuid", a10, "device_index", "0",
        "device_type", "NVIDIA A10", "zone", "vGPU")).isEqualTo(23028.0 * 1024 * 1024);
    assertThat(value("hami_gpu_memory_allocated_bytes", "device_uuid", a10, "device_cores", "100"))
        .isEqualTo(8000.0 * 1024 * 1024);
    assertThat(value("hami_gpu_core_allocated_ratio", "device_uuid", a10)).isEqualTo(30);
    assertThat(value("hami_gpu_core_limit_ratio", "device_uuid", a10)).isEqualTo(100);
    assertThat(value("hami_gpu_shared_count", "device_uuid", a10)).isEqualTo(1);
    assertThat(value("hami_node_gpu_overview", "device_uuid", a10, "device_memory_limit", "23028"))
        .isEqualTo(8000.0 * 1024 * 1024);
    assertThat(value("hami_node_gpu_memory_allocated_ratio", "device_uuid", a10)).isEqualTo(8000.0 / 23028);
    // the finished pod done-1 holds nothing; m-ok, bound during the test, holds one slot
    assertThat(checked.find("hami_gpu_shared_count", kv("node", "gpu-node-2")))
        .extracting(ExpositionChecker.Sample::value).containsExactlyInAnyOrder(0.0, 1.0);
  }

  @Test
  void podQuotaAndMigFamilies() {
    assertThat(value("hami_vgpu_memory_allocated_bytes", "namespace", "default", "pod", "train-1", "node", "gpu-node-1",
        "container_index", "0", "zone", "vGPU")).isEqualTo(8000.0 * 1024 * 1024);
    assertThat(value("hami_vgpu_core_allocated_ratio", "pod", "train-1")).isEqualTo(30);
    assertThat(value("hami_resource_quota_used", "namespace", "ml", "quota_name", "nvidia.com/gpumem", "limit", "40000"))
        .isEqualTo(9856);
    assertThat(value("hami_resource_quota_limit", "namespace", "ml", "quota_name", "nvidia.com/gpumem")).isEqualTo(40000);
    assertThat(value("hami_node_gpu_mig_instance_info", "node", "mig-node-1", "profile", "2g.10gb",
        "mig_uuid", "MIG-2f1e9c1a-77b0-5d1c-8a4e-0c9d1e2f3a4b", "gpu_instance_id", "3", "compute_instance_id", "0",
        "placement_start", "0", "placement_size", "2")).isEqualTo(1);
    assertThat(value("hami_build_info", "version", UsageMetrics.VERSION)).isEqualTo(1);
    assertThat(checked.find("hami_build_info", Map.of()).get(0).labels()).doesNotContainKey("zone");
  }

  @Test
  void legacyNamesAreThereWhenAskedFor() {
    String a10 = "GPU-a10a10a1-0000-4000-8000-000000000000";
    assertThat(value("GPUDeviceMemoryLimit", "nodeid", "gpu-node-1", "deviceuuid", a10, "deviceidx", "0",
        "devicetype", "NVIDIA A10")).isEqualTo(23028.0 * 1024 * 1024);
    assertThat(value("GPUDeviceMemoryAllocated", "deviceuuid", a10, "devicecores", "100")).isEqualTo(8000.0 * 1024 * 1024);
    assertThat(value("nodeGPUMigInstance", "nodeid", "mig-node-1", "migname", "2g.10gb-3")).isEqualTo(1);
    // free placements beside the running 2g.10gb at {0,2} show as 0, the occupied one does not
    assertThat(value("nodeGPUMigInstance", "nodeid", "mig-node-1", "deviceidx", "0", "migname", "2g.10gb-free-2")).isZero();
    assertThat(checked.find("nodeGPUMigInstance", Map.of("deviceidx", "0", "migname", "2g.10gb-free-0"))).isEmpty();
    assertThat(value("QuotaUsed", "quotanamespace", "ml", "quotaName", "nvidia.com/gpumem", "limit", "40000")).isEqualTo(9856);
    assertThat(value("vGPUMemoryAllocated", "podnamespace", "default", "podname", "train-1", "containeridx", "0"))
        .isEqualTo(8000.0 * 1024 * 1024);
  }

  @Test
  void latencyHistogramsAndRejectionsCount() {
    assertThat(value("hami_extender_filter_duration_seconds_count")).isEqualTo(2);
    assertThat(value("hami_extender_bind_duration_seconds_count", "result", "success")).isEqualTo(1);
    assertThat(value("hami_extender_node_rejections_total", "reason", "CardInsufficientMemory")).isEqualTo(2);
    assertThat(value("hami_extender_node_rejections_total", "reason", "node unregistered")).isEqualTo(1);
  }

  /**
   * promtool (Debian package {@code prometheus}, installed by CI) must parse the exposition; its only
   * lint findings may be HAMi's own names kept for compatibility.
   */
  @Test
  void promtoolAcceptsTheExpositionWhenInstalled() throws Exception {
    String promtool = onPath("promtool");
    if (promtool == null) {
      return;
    }
    Process p = new ProcessBuilder(promtool, "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool: " + out).isIn(0, 3);
    List<String> unexpected = new ArrayList<>();
    for (String line : out.split("\n")) {
      boolean legacyName = line.matches("(GPUDevice\\w+|nodeGPU\\w+|QuotaUsed|vGPU\\w+) (metric|label) names should be "
          + "written in 'snake_case' not 'camelCase'");
      boolean hamiName = line.equals("hami_gpu_shared_count non-histogram and non-summary metrics should not have "
          + "\"_count\" suffix");
      if (!line.isBlank() && !legacyName && !hamiName) {
        unexpected.add(line);
      }
    }
    assertThat(unexpected).isEmpty();
  }

  private static String onPath(String tool) throws IOException {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      File f = new File(dir, tool);
      if (f.canExecute()) {
        return f.getCanonicalPath();
      }
    }
    return null;
  }
}
