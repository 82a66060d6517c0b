package dev.hamij.mig;

import static dev.hamij.mig.RealiseTest.at;
import static dev.hamij.mig.RealiseTest.reserve;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;
import dev.hamij.nvml.SimulatedNvml;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ConcurrencyTest {

  @Test
  void parallelAllocatesOnBothGpusWhileReconcilingCreateEachInstanceExactlyOnce() throws Exception {
    SimulatedNvml nvml = SimGpus.twoA100();
    FakeCluster cluster = new FakeCluster();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try (MigManager mig = MigManager.create(nvml,
        new MigSettings("gpu-node", NodeConfig.FilterDevices.NONE, false, 5, MigProfileTable.bundled()), cluster)) {
      mig.reconcileOnce();
      List<PodRef> pods = new ArrayList<>();
      for (int gpu = 0; gpu < 2; gpu++) {
        for (int start = 0; start < 7; start++) {
          pods.add(cluster.addPod("p" + gpu + start, reserve(at(0, SimGpus.uuid(gpu), "1g.5gb", start, 1))));
        }
      }
      CountDownLatch go = new CountDownLatch(1);
      AtomicBoolean allocating = new AtomicBoolean(true);
      Future<Integer> reconciler = pool.submit(() -> {
        go.await();
        int rounds = 0;
        while (allocating.get()) {
          assertThat(mig.reconcileOnce().destroyed()).isEmpty();
          rounds++;
        }
        return rounds;
      });
      List<Future<String>> results = new ArrayList<>();
      for (PodRef pod : pods) {
        results.add(pool.submit(() -> {
          go.await();
          String gpu = pod.name().startsWith("p0") ? SimGpus.uuid(0) : SimGpus.uuid(1);
          // kubelet may call Allocate twice for the same container: both calls must get the same device
          String first = mig.realise(pod, cluster.allocations(pod), 0, List.of(gpu)).migUuids().get(0);
          String second = mig.realise(pod, cluster.allocations(pod), 0, List.of(gpu)).migUuids().get(0);
          assertThat(second).isEqualTo(first);
          return first;
        }));
      }
      go.countDown();
      Set<String> uuids = new HashSet<>();
      for (Future<String> f : results) {
        uuids.add(f.get(30, TimeUnit.SECONDS));
      }
      allocating.set(false);
      assertThat(reconciler.get(30, TimeUnit.SECONDS)).isPositive();

      assertThat(uuids).hasSize(14);
      assertThat(SimGpus.live(nvml, 0)).hasSize(7);
      assertThat(SimGpus.live(nvml, 1)).hasSize(7);
      assertThat(mig.instances()).hasSize(14).noneMatch(ManagedInstance::doomed);
    } finally {
      pool.shutdownNow();
    }
  }
}
