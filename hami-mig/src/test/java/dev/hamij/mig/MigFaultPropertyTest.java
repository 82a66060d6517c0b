package dev.hamij.mig;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;
import dev.hamij.api.Placement;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Property;
import dev.hamij.nvml.NvmlFunction;
import dev.hamij.nvml.NvmlReturn;
import dev.hamij.nvml.SimulatedNvml;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random sequences of pod arrivals, Allocates, pod ends, processes, reconciles, plugin restarts, NVML faults
 * ({@code INSUFFICIENT_RESOURCES}, {@code IN_USE}, {@code NOT_FOUND} injected into any MIG-related call) and API
 * faults on two simulated A100-40GBs. After every step: an active pod's instances are alive and no MIG device
 * serves two reservations. At the end, once faults stop: exactly the active pods' instances exist, and after every
 * pod has ended, none.
 */
class MigFaultPropertyTest {
  private static final Logger MIG_LOG = Logger.getLogger("dev.hamij.mig");
  private static Level savedLevel;

  private static final List<MigProfileTable.Profile> PROFILES =
      MigProfileTable.bundled().forKey("A100-40GB").orElseThrow().profiles();
  private static final List<NvmlFunction> FAULTABLE = List.of(
      NvmlFunction.DEVICE_BY_INDEX, NvmlFunction.UUID, NvmlFunction.MIG_MODE,
      NvmlFunction.GPU_INSTANCE_PROFILE_INFO, NvmlFunction.GPU_INSTANCE_POSSIBLE_PLACEMENTS,
      NvmlFunction.CREATE_GPU_INSTANCE_WITH_PLACEMENT, NvmlFunction.GPU_INSTANCES, NvmlFunction.GPU_INSTANCE_INFO,
      NvmlFunction.DESTROY_GPU_INSTANCE, NvmlFunction.COMPUTE_INSTANCE_PROFILE_INFO,
      NvmlFunction.CREATE_COMPUTE_INSTANCE, NvmlFunction.COMPUTE_INSTANCES, NvmlFunction.COMPUTE_INSTANCE_INFO,
      NvmlFunction.DESTROY_COMPUTE_INSTANCE, NvmlFunction.MIG_GPU_INSTANCE_ID, NvmlFunction.MIG_COMPUTE_INSTANCE_ID,
      NvmlFunction.MAX_MIG_DEVICE_COUNT, NvmlFunction.MIG_DEVICE_BY_INDEX, NvmlFunction.COMPUTE_RUNNING_PROCESSES);
  private static final List<NvmlReturn> CODES =
      List.of(NvmlReturn.INSUFFICIENT_RESOURCES, NvmlReturn.IN_USE, NvmlReturn.NOT_FOUND);

  @BeforeAll
  static void quiet() {
    savedLevel = MIG_LOG.getLevel();
    MIG_LOG.setLevel(Level.SEVERE);
  }

  @AfterAll
  static void restore() {
    MIG_LOG.setLevel(savedLevel);
  }

  sealed interface Op permits NewPod, ReAllocate, EndPod, Attach, Detach, Reconcile, Restart, Fault, ApiFault {}

  /** One device of a new pod: GPU, profile and placement as picks resolved against the current reservations. */
  record Pick(int gpu, int profile, int placement) {}

  record NewPod(List<Pick> devices) implements Op {}

  record ReAllocate(int pod) implements Op {}

  record EndPod(int pod, boolean delete) implements Op {}

  record Attach(int pod) implements Op {}

  record Detach(int process) implements Op {}

  record Reconcile() implements Op {}

  record Restart() implements Op {}

  record Fault(int gpu, NvmlFunction function, int times, NvmlReturn code) implements Op {}

  record ApiFault(int kind, int times) implements Op {}

  private static final Gen<Pick> PICK = (r, size) -> new Pick(r.nextInt(2), r.nextInt(100), r.nextInt(100));

  static final Gen<List<Op>> OPS = Gen.listOf(Gen.<Op>frequency(
      Gen.weight(5, Gen.listOf(PICK, 1, 2).map(NewPod::new)),
      Gen.weight(1, Gen.choose(0, 99).map(ReAllocate::new)),
      Gen.weight(3, (r, size) -> new EndPod(r.nextInt(100), r.nextBoolean())),
      Gen.weight(1, Gen.choose(0, 99).map(Attach::new)),
      Gen.weight(1, Gen.choose(0, 99).map(Detach::new)),
      Gen.weight(3, Gen.constant(new Reconcile())),
      Gen.weight(1, Gen.constant(new Restart())),
      Gen.weight(3, (r, size) -> new Fault(r.nextInt(2), FAULTABLE.get(r.nextInt(FAULTABLE.size())),
          1 + r.nextInt(2), CODES.get(r.nextInt(CODES.size())))),
      Gen.weight(1, (r, size) -> new ApiFault(r.nextInt(3), 1 + r.nextInt(3)))));

  @Test
  void noInstanceIsLeakedDoubledOrSharedUnderFaults() {
    Property.forAll(OPS).seeds(120).maxSize(60).check(ops -> new Run().execute(ops));
  }

  /** One sequence against a fresh node. */
  private static final class Run {
    final SimulatedNvml nvml = SimGpus.twoA100();
    final FakeCluster cluster = new FakeCluster();
    final Map<PodRef, List<MigAllocation>> active = new LinkedHashMap<>();
    final Map<PodRef, List<String>> realised = new HashMap<>();
    final List<Integer> processes = new ArrayList<>();
    final Map<Integer, String> processDevice = new HashMap<>();
    MigManager mig = newManager();
    int podSerial;
    int pidSerial = 1000;

    MigManager newManager() {
      return MigManager.create(nvml, new MigSettings("gpu-node", NodeConfig.FilterDevices.NONE, false, 3,
          MigProfileTable.bundled()), cluster);
    }

    void execute(List<Op> ops) {
      try {
        mig.reconcileOnce();
        for (Op op : ops) {
          apply(op);
          checkActivePodsKeepTheirInstances();
        }
        quiesce();
      } finally {
        mig.close();
      }
    }

    void apply(Op op) {
      if (op instanceof NewPod n) {
        newPod(n.devices());
      } else if (op instanceof ReAllocate a && !realised.isEmpty()) {
        PodRef pod = nth(realised.keySet(), a.pod());
        List<String> before = realised.get(pod);
        try {
          List<String> again = realise(pod);
          assertThat(again).as("a repeated Allocate returns the same MIG devices").isEqualTo(before);
        } catch (MigException e) {
          // a fault; the instances it reused must survive (checked after every step)
        }
      } else if (op instanceof EndPod e && !active.isEmpty()) {
        PodRef pod = nth(active.keySet(), e.pod());
        if (e.delete()) {
          cluster.deletePod(pod);
        } else {
          cluster.endPod(pod);
        }
        active.remove(pod);
        realised.remove(pod);
      } else if (op instanceof Attach a && !realised.isEmpty()) {
        PodRef pod = nth(realised.keySet(), a.pod());
        String device = realised.get(pod).get(0);
        int pid = pidSerial++;
        nvml.attachProcess(device, pid, 10);
        processes.add(pid);
        processDevice.put(pid, device);
      } else if (op instanceof Detach d && !processes.isEmpty()) {
        int pid = processes.remove(Math.floorMod(d.process(), processes.size()));
        nvml.detachProcess(pid);
      } else if (op instanceof Reconcile) {
        mig.reconcileOnce();
      } else if (op instanceof Restart) {
        mig.close();
        mig = newManager();
        mig.reconcileOnce();
      } else if (op instanceof Fault f) {
        nvml.failNextOnGpu(f.gpu(), f.function(), f.times(), f.code());
      } else if (op instanceof ApiFault f) {
        switch (f.kind()) {
          case 0 -> cluster.failListings(f.times());
          case 1 -> cluster.conflictNextWrites(f.times());
          default -> cluster.failNextWrites(1);
        }
      }
    }

    void newPod(List<Pick> picks) {
      List<MigAllocation> reservations = new ArrayList<>();
      for (Pick p : picks) {
        String gpu = SimGpus.uuid(p.gpu());
        MigProfileTable.Profile profile = PROFILES.get(p.profile() % PROFILES.size());
        List<Placement> free = profile.placements().stream().filter(pl -> reservedOn(gpu, reservations).stream()
            .noneMatch(pl::overlaps)).toList();
        if (!free.isEmpty()) {
          reservations.add(MigAllocation.reserve(0, reservations.size(), gpu, profile.name(),
              free.get(p.placement() % free.size())));
        }
      }
      if (reservations.isEmpty()) {
        return;
      }
      PodRef pod = cluster.addPod("p" + podSerial++, MigAllocationsCodec.encode(reservations));
      active.put(pod, reservations);
      try {
        realised.put(pod, realise(pod));
      } catch (MigException e) {
        // kubelet fails the admission: the pod ends as Failed
        cluster.endPod(pod);
        active.remove(pod);
      }
    }

    List<Placement> reservedOn(String gpu, List<MigAllocation> more) {
      List<Placement> out = new ArrayList<>();
      active.values().forEach(list -> list.stream().filter(a -> a.gpuUUID().equals(gpu))
          .forEach(a -> out.add(a.placement())));
      more.stream().filter(a -> a.gpuUUID().equals(gpu)).forEach(a -> out.add(a.placement()));
      return out;
    }

    List<String> realise(PodRef pod) {
      List<String> gpus = active.get(pod).stream().map(MigAllocation::gpuUUID).toList();
      ContainerMig result = mig.realise(pod, cluster.allocations(pod), 0, gpus);
      List<MigAllocation> recorded = MigAllocationsCodec.decode(cluster.allocations(pod), pod.ref());
      List<String> uuids = result.devices().stream().map(MigDevice::migUuid).toList();
      assertThat(recorded).extracting(MigAllocation::migUUID).as("identity written back").isEqualTo(uuids);
      return uuids;
    }

    /** Every realised active pod's MIG devices exist at their placements; no device serves two reservations. */
    void checkActivePodsKeepTheirInstances() {
      Map<String, SimGpus.Live> live = new HashMap<>();
      for (int g = 0; g < 2; g++) {
        for (SimGpus.Live l : SimGpus.live(nvml, g)) {
          l.migUuids().forEach(u -> live.put(u, l));
        }
      }
      Set<String> seen = new HashSet<>();
      realised.forEach((pod, uuids) -> {
        for (int i = 0; i < uuids.size(); i++) {
          String uuid = uuids.get(i);
          assertThat(seen.add(uuid)).as("MIG device %s serves one reservation only", uuid).isTrue();
          MigAllocation a = active.get(pod).get(i);
          assertThat(live).as("instance of %s device %d", pod, i).containsKey(uuid);
          assertThat(new Placement(live.get(uuid).start(), live.get(uuid).size())).isEqualTo(a.placement());
          assertThat(live.get(uuid).profile()).isEqualTo(a.profile());
        }
      });
    }

    /** Faults stop; the node settles to exactly the active pods' instances, then to nothing. */
    void quiesce() {
      cluster.failListings(0);
      cluster.conflictNextWrites(0);
      cluster.failNextWrites(0);
      processes.forEach(nvml::detachProcess);
      processes.clear();
      settle();
      Set<String> expected = new HashSet<>();
      realised.values().forEach(expected::addAll);
      assertThat(liveUuids()).as("instances once faults stopped").isEqualTo(expected);
      assertThat(mig.instances()).noneMatch(ManagedInstance::doomed);

      active.keySet().forEach(cluster::endPod);
      active.clear();
      realised.clear();
      settle();
      assertThat(liveUuids()).as("instances after every pod ended").isEmpty();
      assertThat(mig.instances()).isEmpty();
    }

    void settle() {
      for (int round = 0; round < 40; round++) {
        ReconcileReport r = mig.reconcileOnce();
        if (r.clusterRead() && r.synced() && r.errors().isEmpty() && r.destroyed().isEmpty()
            && r.stillInUse().isEmpty() && mig.instances().stream().noneMatch(ManagedInstance::doomed)) {
          return;
        }
      }
    }

    Set<String> liveUuids() {
      Set<String> out = new HashSet<>();
      for (int g = 0; g < 2; g++) {
        SimGpus.live(nvml, g).forEach(l -> {
          assertThat(l.migUuids()).as("every instance has one compute instance").hasSize(1);
          out.addAll(l.migUuids());
        });
      }
      return out;
    }

    static <T> T nth(Set<T> set, int pick) {
      List<T> list = new ArrayList<>(set);
      return list.get(Math.floorMod(pick, list.size()));
    }
  }
}
