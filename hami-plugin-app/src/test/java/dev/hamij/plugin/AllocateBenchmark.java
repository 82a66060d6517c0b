package dev.hamij.plugin;

import static dev.hamij.plugin.NodeTestbed.GPU_0;
import static dev.hamij.plugin.NodeTestbed.GPU_1;

import dev.hamij.api.Annotations;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Allocate latency of a 2-GPU hami-core container, with the node monitor on as {@code serve} runs by
 * default (its pod informer spares Allocate a GET of the pod); not part of CI. Each round plays the scheduler —
 * creates a pod whose one container has two GPUs and takes the node lock (untimed) — then the fake
 * kubelet calls Allocate over the plugin's Unix socket (timed: the gRPC round trip as kubelet sees it,
 * with finding the pod through the lock, the checks, the answer, the per-container directory, the
 * annotation rewrite with bind-phase and the lock release against fabric8's CRUD mock API server, which
 * runs in this JVM), and the pod is deleted (untimed). Besides the latency quantiles it reports, for the
 * timed windows only, the API requests the mock server received and the CPU time of the whole process
 * (mock server, JIT and GC included) and of each group of threads. Run:
 *
 * <pre>
 * ./mvnw -B -q -pl hami-plugin-app -am -Pallocate-bench -DskipTests verify \
 *     [-Dallocate.rounds=2000] [-Dallocate.warmup=12000]
 * </pre>
 *
 * The warm-up is long because the JIT compilers keep working for more than a minute of this load (fabric8,
 * Jackson, Vert.x, Netty, gRPC); a node agent runs for days. The figures are printed and written to
 * {@code hami-plugin-app/target/allocate-benchmark.txt}.
 */
public final class AllocateBenchmark {

  /** Held so that the level set below stays in force: the mock server logs every request at INFO. */
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  private AllocateBenchmark() {}

  public static void main(String[] args) throws Exception {
    MOCK_LOG.setLevel(Level.WARNING);
    int warmup = Integer.getInteger("allocate.warmup", 12000);
    int rounds = Integer.getInteger("allocate.rounds", 2000);
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMockServer server = new KubernetesMockServer(new Context(Serialization.jsonMapper()),
        new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
    server.init();
    long[] nanos = new long[rounds];
    Map<String, Integer> calls = new TreeMap<>();
    Map<String, Long> threadCpu = new TreeMap<>();
    Map<String, Long> allocated = new TreeMap<>();
    long processCpu = 0;
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    List<String> ids = List.of(GPU_0 + "-0", GPU_1 + "-0");
    try (KubernetesClient client = server.createClient(); NodeTestbed bed = NodeTestbed.start(client, "bench", NodeTestbed.TWO_A100,
        "nvidia: {}\n", PluginNode.MONITOR)) {
      for (int i = -warmup; i < rounds; i++) {
        String name = "pod-" + (i + warmup);
        bed.schedule(name, 2, GPU_0 + ",NVIDIA,3000,30:" + GPU_1 + ",NVIDIA,3000,30:;");
        bed.lock(name);
        drain(server, null);
        long[] threadIds = threads.getAllThreadIds();
        long[] threadCpuBefore = cpuTimes(threads, threadIds);
        long[] allocatedBefore = threads.getThreadAllocatedBytes(threadIds);
        long cpuBefore = os.getProcessCpuTime();
        long start = System.nanoTime();
        ContainerAllocateResponse answer = bed.kubelet.allocate(ids);
        long took = System.nanoTime() - start;
        long cpu = os.getProcessCpuTime() - cpuBefore;
        long[] threadCpuAfter = cpuTimes(threads, threadIds);
        long[] allocatedAfter = threads.getThreadAllocatedBytes(threadIds);
        if (i >= 0) {
          nanos[i] = took;
          processCpu += cpu;
          drain(server, calls);
          ThreadInfo[] infos = threads.getThreadInfo(threadIds);
          for (int t = 0; t < threadIds.length; t++) {
            if (infos[t] != null && threadCpuBefore[t] >= 0 && threadCpuAfter[t] >= 0) {
              String group = infos[t].getThreadName().replaceAll("[-#0-9]+$", "");
              threadCpu.merge(group, threadCpuAfter[t] - threadCpuBefore[t], Long::sum);
              allocated.merge(group, allocatedAfter[t] - allocatedBefore[t], Long::sum);
            }
          }
        }
        if (!(GPU_0 + "," + GPU_1).equals(answer.getEnvsMap().get("NVIDIA_VISIBLE_DEVICES"))
            || !Annotations.PHASE_SUCCESS.equals(bed.podAnnotations(name).get(Annotations.BIND_PHASE))) {
          throw new IllegalStateException("round " + i + ": wrong answer " + answer + " or pod not served");
        }
        client.pods().inNamespace(bed.node).withName(name).delete();
      }
    } finally {
      server.destroy();
    }
    Arrays.sort(nanos);
    StringBuilder byThread = new StringBuilder();
    long javaThreads = 0;
    long allocatedBytes = 0;
    for (Map.Entry<String, Long> e : threadCpu.entrySet()) {
      javaThreads += e.getValue();
      long bytes = allocated.getOrDefault(e.getKey(), 0L);
      allocatedBytes += bytes;
      if (e.getValue() / rounds >= 5_000) {
        byThread.append(String.format(Locale.ROOT, "  %-28s %.3f ms  %5.0f KiB allocated%n", e.getKey(),
            e.getValue() / 1e6 / rounds, bytes / 1024.0 / rounds));
      }
    }
    String report = String.format(Locale.ROOT,
        "Allocate of a 2-GPU hami-core container, fake kubelet over a Unix socket, fabric8 CRUD mock API server%n"
            + "%d rounds after %d warm-up rounds; %d CPUs, Java %s%n"
            + "p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n"
            + "API requests per Allocate: %.2f (%s)%n"
            + "CPU time per Allocate, whole process (mock API server, JIT and GC included): %.2f ms%n"
            + "CPU time per Allocate by thread (named threads only; %.2f ms and %.0f KiB allocated in all):%n%s",
        rounds, warmup, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        ms(nanos, 0.50), ms(nanos, 0.90), ms(nanos, 0.99), ms(nanos, 0.999), nanos[rounds - 1] / 1e6,
        calls.values().stream().mapToInt(Integer::intValue).sum() / (double) rounds, perRound(calls, rounds),
        processCpu / 1e6 / rounds, javaThreads / 1e6 / rounds, allocatedBytes / 1024.0 / rounds, byThread);
    Files.writeString(Path.of(System.getProperty("allocate.report", "allocate-benchmark.txt")), report,
        StandardCharsets.UTF_8);
    System.out.print(report);
  }

  /** CPU time of each thread so far, -1 for a thread that ended. */
  private static long[] cpuTimes(java.lang.management.ThreadMXBean threads, long[] ids) {
    long[] out = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = threads.getThreadCpuTime(ids[i]);
    }
    return out;
  }

  /**
   * Takes the requests the mock server recorded so far (it keeps every one) and counts them by method
   * and resource kind into {@code calls}, when given.
   */
  private static void drain(KubernetesMockServer server, Map<String, Integer> calls) throws InterruptedException {
    for (RecordedRequest r; (r = server.takeRequest(0, TimeUnit.MILLISECONDS)) != null; ) {
      if (calls != null) {
        String path = r.getPath().replaceAll("\\?.*", "");
        String kind = path.contains("/pods") ? "pod" : path.contains("/nodes") ? "node" : path;
        calls.merge(r.getMethod() + " " + kind, 1, Integer::sum);
      }
    }
  }

  private static String perRound(Map<String, Integer> calls, int rounds) {
    StringBuilder out = new StringBuilder();
    calls.forEach((call, count) -> out.append(out.length() == 0 ? "" : ", ")
        .append(String.format(Locale.ROOT, "%s %.2f", call, count / (double) rounds)));
    return out.toString();
  }

  private static double ms(long[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e6;
  }
}
