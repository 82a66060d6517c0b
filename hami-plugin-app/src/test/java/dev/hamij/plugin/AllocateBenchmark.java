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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Allocate latency of a 2-GPU hami-core container; not part of CI. Each round plays the scheduler —
 * creates a pod whose one container has two GPUs and takes the node lock (untimed) — then the fake
 * kubelet calls Allocate over the plugin's Unix socket (timed: finding the pod through the lock, the
 * checks, the answer, the per-container directory, the annotation rewrite, bind-phase and the lock
 * release against fabric8's CRUD mock API server), and the pod is deleted (untimed). Run:
 *
 * <pre>
 * ./mvnw -B -q -pl hami-plugin-app -am -Pallocate-bench -DskipTests verify \
 *     [-Dallocate.rounds=2000] [-Dallocate.warmup=300]
 * </pre>
 *
 * The figures are printed and written to {@code hami-plugin-app/target/allocate-benchmark.txt}.
 */
public final class AllocateBenchmark {

  /** Held so that the level set below stays in force: the mock server logs every request at INFO. */
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  private AllocateBenchmark() {}

  public static void main(String[] args) throws Exception {
    MOCK_LOG.setLevel(Level.WARNING);
    int warmup = Integer.getInteger("allocate.warmup", 300);
    int rounds = Integer.getInteger("allocate.rounds", 2000);
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMockServer server = new KubernetesMockServer(new Context(Serialization.jsonMapper()),
        new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
    server.init();
    long[] nanos = new long[rounds];
    List<String> ids = List.of(GPU_0 + "-0", GPU_1 + "-0");
    try (KubernetesClient client = server.createClient(); NodeTestbed bed = NodeTestbed.start(client, "bench")) {
      for (int i = -warmup; i < rounds; i++) {
        String name = "pod-" + (i + warmup);
        bed.schedule(name, 2, GPU_0 + ",NVIDIA,3000,30:" + GPU_1 + ",NVIDIA,3000,30:;");
        bed.lock(name);
        long start = System.nanoTime();
        ContainerAllocateResponse answer = bed.kubelet.allocate(ids);
        long took = System.nanoTime() - start;
        if (!(GPU_0 + "," + GPU_1).equals(answer.getEnvsMap().get("NVIDIA_VISIBLE_DEVICES"))
            || !Annotations.PHASE_SUCCESS.equals(bed.podAnnotations(name).get(Annotations.BIND_PHASE))) {
          throw new IllegalStateException("round " + i + ": wrong answer " + answer + " or pod not served");
        }
        if (i >= 0) {
          nanos[i] = took;
        }
        client.pods().inNamespace(bed.node).withName(name).delete();
      }
    } finally {
      server.destroy();
    }
    Arrays.sort(nanos);
    String report = String.format(Locale.ROOT,
        "Allocate of a 2-GPU hami-core container, fake kubelet over a Unix socket, fabric8 CRUD mock API server%n"
            + "%d rounds after %d warm-up rounds; %d CPUs, Java %s%n"
            + "p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n",
        rounds, warmup, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        ms(nanos, 0.50), ms(nanos, 0.90), ms(nanos, 0.99), ms(nanos, 0.999), nanos[rounds - 1] / 1e6);
    Files.writeString(Path.of(System.getProperty("allocate.report", "allocate-benchmark.txt")), report,
        StandardCharsets.UTF_8);
    System.out.print(report);
  }

  private static double ms(long[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e6;
  }
}
