package dev.hamij.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.PodDevicesCodec;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Property;
import dev.hamij.core.testing.LedgerInvariants;
import dev.hamij.core.testing.SchedulingGens;
import dev.hamij.core.testing.SchedulingGens.GeneratedNode;
import dev.hamij.core.testing.SchedulingGens.Op;
import dev.hamij.core.testing.SchedulingGens.Scenario;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Properties of decisions and the ledger over generated clusters and event sequences. */
class LedgerPropertiesTest {

  /** Plays a scenario against a scheduler, keeping the current objects as an API server would hold them. */
  static final class World {
    final GpuScheduler scheduler;
    final Map<String, GeneratedNode> allNodes = new LinkedHashMap<>();
    final Map<String, GeneratedNode> registered = new LinkedHashMap<>();
    final Map<String, PodAllocation> pods = new LinkedHashMap<>();
    final Map<String, Long> quotas = new LinkedHashMap<>();
    final List<Decision> decisions = new ArrayList<>();

    World(Scenario sc, SchedulerConfig config) {
      scheduler = GpuScheduler.create(config);
      for (GeneratedNode n : sc.nodes()) {
        allNodes.put(n.name(), n);
        register(n);
      }
    }

    void register(GeneratedNode n) {
      scheduler.upsertNode(n.name(), n.devices(), n.annotations());
      registered.put(n.name(), n);
    }

    List<String> candidates() {
      List<String> c = new ArrayList<>(allNodes.keySet());
      c.add("not-a-node");
      return c;
    }

    /** Applies one event; returns the decision of a SCHEDULE. */
    Decision apply(Op op) {
      List<String> scheduled = new ArrayList<>(pods.keySet());
      List<GeneratedNode> nodes = new ArrayList<>(allNodes.values());
      switch (op.kind()) {
        case SCHEDULE -> {
          Decision d = scheduler.schedule(op.pod(), candidates());
          decisions.add(d);
          if (d.scheduled()) {
            pods.put(op.pod().uid(), readBack(op.pod(), d));
          }
          return d;
        }
        case RELEASE -> {
          if (!scheduled.isEmpty()) {
            String uid = scheduled.get(op.ref() % scheduled.size());
            assertThat(scheduler.release(uid)).isTrue();
            pods.remove(uid);
          }
        }
        case INIT_DONE -> {
          if (!scheduled.isEmpty()) {
            PodAllocation a = pods.get(scheduled.get(op.ref() % scheduled.size())).withInitReleased();
            scheduler.upsertPod(a);
            pods.put(a.uid(), a);
          }
        }
        case REREGISTER -> register(nodes.get(op.ref()));
        case REMOVE_NODE -> {
          scheduler.removeNode(nodes.get(op.ref()).name());
          registered.remove(nodes.get(op.ref()).name());
        }
        case SET_QUOTA -> {
          scheduler.setQuota(op.namespace(), "gpu", Map.of("limits.nvidia.com/gpumem", Long.toString(op.limit())));
          quotas.put(op.namespace(), op.limit());
        }
        case REMOVE_QUOTA -> {
          scheduler.removeQuota(op.namespace(), "gpu");
          quotas.remove(op.namespace());
        }
      }
      return null;
    }

    /** The allocation as the pod's annotations describe it, decoded with the wire codecs. */
    static PodAllocation readBack(PodSpec pod, Decision d) {
      Map<String, String> a = d.annotations(Instant.EPOCH);
      String mig = a.get(Annotations.MIG_ALLOCATIONS);
      return new PodAllocation(pod.uid(), pod.namespace(), pod.name(), a.get(Annotations.VGPU_NODE),
          PodDevicesCodec.decode(a.get(Annotations.DEVICES_ALLOCATED), pod.ref()),
          mig == null ? List.of() : MigAllocationsCodec.decode(mig, pod.ref()), pod.initContainers().size(), false);
    }

    /** A fresh scheduler fed the current objects in a shuffled order. */
    GpuScheduler rebuilt(SchedulerConfig config, Random order) {
      GpuScheduler fresh = GpuScheduler.create(config);
      List<Runnable> events = new ArrayList<>();
      registered.values().forEach(n -> events.add(() -> fresh.upsertNode(n.name(), n.devices(), n.annotations())));
      pods.values().forEach(p -> events.add(() -> fresh.upsertPod(p)));
      quotas.forEach((ns, limit) -> events.add(
          () -> fresh.setQuota(ns, "gpu", Map.of("limits.nvidia.com/gpumem", Long.toString(limit)))));
      Collections.shuffle(events, order);
      events.forEach(Runnable::run);
      return fresh;
    }
  }

  private static final SchedulerConfig CONFIG = SchedulerConfig.defaults();

  @Test
  void noGpuIsOvercommittedAndBookingsAddUpAfterEveryEvent() {
    Property.forAll(SchedulingGens.scenario(6)).seeds(120).check(sc -> {
      World w = new World(sc, CONFIG);
      for (Op op : sc.ops()) {
        ClusterUsage before = w.scheduler.usage();
        Decision d = w.apply(op);
        ClusterUsage after = w.scheduler.usage();
        LedgerInvariants.check(after);
        if (d != null && d.scheduled() && w.quotas.containsKey(op.pod().namespace())) {
          long limit = w.quotas.get(op.pod().namespace());
          long used = memoryUse(after, op.pod().namespace());
          assertThat(used <= limit || used == memoryUse(before, op.pod().namespace()))
              .as("quota of %s: %s used, limit %s", op.pod().namespace(), used, limit).isTrue();
        }
      }
    });
  }

  private static long memoryUse(ClusterUsage u, String ns) {
    return u.quotas().stream().filter(q -> q.namespace().equals(ns) && q.resource().equals("nvidia.com/gpumem"))
        .mapToLong(ClusterUsage.QuotaUsage::used).sum();
  }

  @Test
  void theLedgerEqualsOneRebuiltFromTheCurrentObjectsInAnyOrder() {
    Property.forAll(SchedulingGens.scenario(5)).seeds(120).check(sc -> {
      World w = new World(sc, CONFIG);
      sc.ops().forEach(w::apply);
      ClusterUsage live = w.scheduler.usage();
      Random order = new Random(sc.ops().size());
      assertThat(w.rebuilt(CONFIG, order).usage()).isEqualTo(live);
      assertThat(w.rebuilt(CONFIG, order).usage()).isEqualTo(live);
      // replaying every current object into the live scheduler changes nothing
      w.registered.values().forEach(n -> w.scheduler.upsertNode(n.name(), n.devices(), n.annotations()));
      w.pods.values().forEach(w.scheduler::upsertPod);
      assertThat(w.scheduler.usage()).isEqualTo(live);
    });
  }

  private record Probe(Scenario scenario, PodSpec pod) {}

  private static Gen<Probe> probe() {
    return (r, size) -> new Probe(SchedulingGens.scenario(8).generate(r, size),
        SchedulingGens.pod("probe").generate(r, size));
  }

  @Test
  void theChoiceDoesNotDependOnCandidateOrder() {
    Property.forAll(probe()).seeds(120).check(p -> {
      World w = new World(p.scenario(), CONFIG);
      p.scenario().ops().forEach(w::apply);
      List<String> names = w.candidates();
      Decision first = w.scheduler.filter(p.pod(), names);
      Random shuffle = new Random(names.size());
      for (int i = 0; i < 3; i++) {
        Collections.shuffle(names, shuffle);
        Decision again = w.scheduler.filter(p.pod(), names);
        assertThat(again.node()).isEqualTo(first.node());
        assertThat(again.devices()).isEqualTo(first.devices());
        assertThat(again.migAllocations()).isEqualTo(first.migAllocations());
      }
    });
  }

  @Test
  void thePrunedChoiceEqualsTheExhaustiveOne() {
    Property.forAll(probe()).seeds(150).check(p -> {
      World w = new World(p.scenario(), CONFIG);
      p.scenario().ops().forEach(w::apply);
      Decision d = w.scheduler.filter(p.pod(), w.candidates());
      if (d.outcome() == Decision.Outcome.NOT_GPU_POD || d.outcome() == Decision.Outcome.INVALID_REQUEST) {
        return;
      }
      boolean spread = "spread".equals(p.pod().annotations().get(Annotations.NODE_SCHEDULER_POLICY));
      Decision.NodeResult best = null;
      for (Decision.NodeResult r : d.nodeResults()) {
        if (r.fits() && (best == null || (r.score() != best.score()
            ? (spread ? r.score() < best.score() : r.score() > best.score())
            : r.node().compareTo(best.node()) < 0))) {
          best = r;
        }
      }
      assertThat(d.node()).isEqualTo(java.util.Optional.ofNullable(best).map(Decision.NodeResult::node));
      assertThat(d.scheduled()).isEqualTo(best != null);
    });
  }

  @Test
  void aDecisionReadBackFromItsAnnotationsChangesNothing() {
    Property.forAll(probe()).seeds(100).check(p -> {
      World w = new World(p.scenario(), CONFIG);
      p.scenario().ops().forEach(w::apply);
      Decision d = w.scheduler.schedule(p.pod(), w.candidates());
      ClusterUsage reserved = w.scheduler.usage();
      if (d.scheduled()) {
        w.scheduler.upsertPod(World.readBack(p.pod(), d));
      }
      assertThat(w.scheduler.usage()).isEqualTo(reserved);
    });
  }
}
