package dev.hamij.extender;

import static dev.hamij.extender.Fixtures.bindArgs;
import static dev.hamij.extender.Fixtures.filterArgs;
import static dev.hamij.extender.Fixtures.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.api.PodDevices;
import dev.hamij.api.PodDevicesCodec;
import dev.hamij.core.ClusterUsage;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * Many threads filter and bind pods that compete for one GPU, through the HTTP API, in both filter
 * modes. All filters run first (interleaved), then all binds in random order (interleaved), as
 * kube-scheduler's parallel scheduling cycles and asynchronous binds would; a pod whose bind loses a
 * race is re-filtered like kube-scheduler re-queues it. Invariants: the GPU is never over-committed,
 * and every pod ends either bound with a valid allocation or rejected with a reason.
 */
class ConcurrencyTest {
  private static final int GPU_MEM = 10_000;
  private static final int SLOTS = 10;

  private record Outcome(boolean bound, String reason) {}

  @ParameterizedTest
  @EnumSource(Extender.FilterMode.class)
  void oneGpuIsNeverOverCommitted(Extender.FilterMode mode) throws Exception {
    MemoryCluster cluster = new MemoryCluster(new Snapshot(List.of(Fixtures.gpuNode("solo", 1, GPU_MEM)), List.of(), List.of()));
    Random random = new Random(42);
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      int mem = 500 + random.nextInt(3) * 500;
      int cores = random.nextInt(4) * 10;
      pods.add(cluster.applyPod(Fixtures.pod("default", "c-" + i, "uid-c-" + i, "nvidia.com/gpu", "1",
          "nvidia.com/gpumem", Integer.toString(mem), "nvidia.com/gpucores", Integer.toString(cores))));
    }
    try (ExtenderRuntime rt = ExtenderRuntime.start(Fixtures.options(mode), cluster, null)) {
      int port = rt.httpPort();
      Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
      List<Pod> pending = new ArrayList<>(pods);
      ExecutorService pool = Executors.newFixedThreadPool(16);
      for (int round = 0; round < 20 && !pending.isEmpty(); round++) {
        // all filters at once
        Map<String, String> chosen = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> filters = new ArrayList<>();
        for (Pod p : pending) {
          filters.add(pool.submit(() -> {
            go.await();
            JsonNode r = ExtenderWire.JSON.readTree(post(port, "/filter", filterArgs(p, "solo")).body());
            if (!r.get("Error").asString().isEmpty()) {
              outcomes.put(p.getMetadata().getName(), new Outcome(false, r.get("Error").asString()));
            } else if (r.get("NodeNames").isNull()) {
              outcomes.put(p.getMetadata().getName(), new Outcome(false, r.get("FailedNodes").get("solo").asString()));
            } else {
              chosen.put(p.getMetadata().getName(), r.get("NodeNames").get(0).asString());
            }
            return null;
          }));
        }
        go.countDown();
        for (Future<?> f : filters) {
          f.get();
        }
        // then all binds, shuffled
        List<Pod> toBind = new ArrayList<>(pending.stream().filter(p -> chosen.containsKey(p.getMetadata().getName())).toList());
        Collections.shuffle(toBind, random);
        List<Pod> retry = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch go2 = new CountDownLatch(1);
        List<Future<?>> binds = new ArrayList<>();
        for (Pod p : toBind) {
          binds.add(pool.submit(() -> {
            go2.await();
            String name = p.getMetadata().getName();
            String error = ExtenderWire.JSON.readTree(post(port, "/bind", bindArgs(p, chosen.get(name))).body())
                .get("Error").asString();
            if (error.isEmpty()) {
              outcomes.put(name, new Outcome(true, ""));
            } else {
              retry.add(p);
            }
            return null;
          }));
        }
        go2.countDown();
        for (Future<?> f : binds) {
          f.get();
        }
        pending = new ArrayList<>(retry);
      }
      pool.shutdown();
      assertThat(pending).as("pods still racing after 20 rounds").isEmpty();
      assertThat(outcomes).hasSize(pods.size());

      int mem = 0;
      int cores = 0;
      int slots = 0;
      int bound = 0;
      for (Pod p : pods) {
        String name = p.getMetadata().getName();
        Outcome o = outcomes.get(name);
        Pod now = cluster.pod("default", name);
        if (o.bound()) {
          bound++;
          assertThat(now.getSpec().getNodeName()).isEqualTo("solo");
          PodDevices d = PodDevicesCodec.decode(now.getMetadata().getAnnotations().get(Annotations.DEVICES_ALLOCATED), name);
          assertThat(d.all()).hasSize(1);
          ContainerDevice dev = d.all().get(0);
          assertThat(dev.uuid()).isEqualTo(Fixtures.gpuId("solo", 0));
          var limits = p.getSpec().getContainers().get(0).getResources().getLimits();
          assertThat(dev.usedmem()).isEqualTo(Integer.parseInt(limits.get("nvidia.com/gpumem").toString()));
          assertThat(dev.usedcores()).isEqualTo(Integer.parseInt(limits.get("nvidia.com/gpucores").toString()));
          mem += dev.usedmem();
          cores += dev.usedcores();
          slots++;
        } else {
          assertThat(o.reason()).as("reason for " + name).matches("1/1 Card\\w+");
          assertThat(now.getSpec().getNodeName()).isNull();
        }
      }
      assertThat(mem).isLessThanOrEqualTo(GPU_MEM);
      assertThat(cores).isLessThanOrEqualTo(100);
      assertThat(slots).isLessThanOrEqualTo(SLOTS);
      assertThat(bound).as("the GPU is actually used").isGreaterThanOrEqualTo(4);
      // the ledger agrees with what the pods' annotations claim: the bound pods, and pending pods that
      // still carry an earlier filter's allocation (a ledger rebuilt after a restart counts them too)
      int claimed = 0;
      for (Pod p : pods) {
        String allocated = cluster.pod("default", p.getMetadata().getName()).getMetadata().getAnnotations()
            .get(Annotations.DEVICES_ALLOCATED);
        if (allocated != null) {
          claimed += PodDevicesCodec.decode(allocated, p.getMetadata().getName()).all().get(0).usedmem();
        }
      }
      assertThat(claimed).isGreaterThanOrEqualTo(mem);
      int claimedMem = claimed;
      assertThat(Fixtures.eventually(java.time.Duration.ofSeconds(2), () -> {
        ClusterUsage.GpuUsage g = rt.ledger().scheduler().usage().node("solo").orElseThrow().gpus().get(0);
        return g.usedMemory() == claimedMem;
      })).isTrue();
    }
  }
}
