package dev.hamij.plugin;

import static dev.hamij.plugin.NodeTestbed.GPU_0;
import static dev.hamij.plugin.NodeTestbed.GPU_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Allocate latency for a 2-GPU hami-core container, not run in CI (the class name does not match
 * the test patterns). Each round the test, playing the scheduler, creates a pod whose one container
 * has two GPUs and takes the node lock (untimed); the fake kubelet then calls Allocate over the Unix
 * socket (timed: pod lookup through the lock, checks, answer, per-container directory, annotation
 * rewrite, bind-phase and lock release against fabric8's mock API server); the pod is deleted
 * (untimed). Run:
 *
 * <pre>
 * ./mvnw -B -o -pl hami-plugin-app -am verify -Dtest=AllocateBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dallocate.rounds=2000] [-Dallocate.warmup=300]
 * </pre>
 *
 * The figures go to {@code hami-plugin-app/target/allocate-benchmark.txt}.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class AllocateBenchmark {

  static KubernetesClient client;
  /** Held so that the level set below stays in force: the mock server logs every request at INFO. */
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  @Test
  void allocateLatencyOfATwoGpuContainer() throws Exception {
    MOCK_LOG.setLevel(Level.WARNING);
    int warmup = Integer.getInteger("allocate.warmup", 300);
    int rounds = Integer.getInteger("allocate.rounds", 2000);
    long[] nanos = new long[rounds];
    List<String> ids = List.of(GPU_0 + "-0", GPU_1 + "-0");
    try (NodeTestbed bed = NodeTestbed.start(client, "bench")) {
      for (int i = -warmup; i < rounds; i++) {
        String name = "pod-" + (i + warmup);
        bed.schedule(name, 2, GPU_0 + ",NVIDIA,3000,30:" + GPU_1 + ",NVIDIA,3000,30:;");
        bed.lock(name);
        long start = System.nanoTime();
        ContainerAllocateResponse answer = bed.kubelet.allocate(ids);
        long took = System.nanoTime() - start;
        assertThat(answer.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_0 + "," + GPU_1);
        if (i >= 0) {
          nanos[i] = took;
        }
        assertThat(bed.podAnnotations(name)).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
        bed.client.pods().inNamespace(bed.node).withName(name).delete();
      }
    }
    Arrays.sort(nanos);
    String report = String.format(Locale.ROOT,
        "Allocate of a 2-GPU hami-core container, fake kubelet over a Unix socket, fabric8 mock API server%n"
            + "%d rounds after %d warm-up rounds on %d CPUs, Java %s%n"
            + "p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n",
        rounds, warmup, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        ms(nanos, 0.50), ms(nanos, 0.90), ms(nanos, 0.99), ms(nanos, 0.999), nanos[rounds - 1] / 1e6);
    Files.writeString(Path.of("target", "allocate-benchmark.txt"), report, StandardCharsets.UTF_8);
    System.out.print(report);
  }

  private static double ms(long[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e6;
  }
}
