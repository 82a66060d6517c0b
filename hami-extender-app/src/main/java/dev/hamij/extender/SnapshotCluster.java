package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.PodDevices;
import dev.hamij.api.RegisterCodec;
import dev.hamij.core.PodAllocation;
import dev.hamij.core.sim.SimCluster;
import dev.hamij.core.sim.SimNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A cluster snapshot in the {@code schedule} command's format (Nodes with register annotations,
 * running Pods with allocation annotations) as the simulator's starting cluster: each Node becomes a
 * node with its allocatable CPU and memory and its registered GPUs (none without a register
 * annotation); each non-terminated Pod bound to a node stays there for the whole simulation with its
 * CPU and memory requests (kube-scheduler's rule: the larger of the containers' sum and the largest
 * init container) and its recorded GPU allocation. ResourceQuotas are not applied.
 */
public final class SnapshotCluster {
  private static final BigDecimal MILLI = BigDecimal.valueOf(1000);
  private static final BigDecimal MIB = BigDecimal.valueOf(1L << 20);

  private SnapshotCluster() {}

  /**
   * Loads the snapshot.
   *
   * @throws IllegalArgumentException naming the file, the object and the field when something is malformed
   */
  public static SimCluster load(Path file) {
    Snapshot snap;
    try {
      snap = Snapshot.load(file);
    } catch (Snapshot.InvalidInput e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    List<SimNode> nodes = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Node n : snap.nodes()) {
      String name = n.getMetadata().getName();
      names.add(name);
      Map<String, String> ann = n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
      Map<String, Quantity> alloc = n.getStatus() == null || n.getStatus().getAllocatable() == null ? Map.of()
          : n.getStatus().getAllocatable();
      String where = file + ": Node " + name + ": ";
      long cpu = amount(alloc.get("cpu"), MILLI, where + "status.allocatable.cpu");
      long mem = amount(alloc.get("memory"), BigDecimal.ONE.divide(MIB), where + "status.allocatable.memory");
      List<GpuDevice> gpus = List.of();
      String register = ann.get(Annotations.NODE_NVIDIA_REGISTER);
      if (register != null) {
        try {
          gpus = RegisterCodec.decode(register, name);
        } catch (HamiFormatException e) {
          throw new IllegalArgumentException(where + OfflineDecision.field("metadata.annotations", e), e);
        }
      }
      nodes.add(new SimNode(name, cpu, mem, gpus, ann));
    }
    List<SimCluster.Resident> residents = new ArrayList<>();
    for (Pod p : snap.pods()) {
      String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
      String where = file + ": Pod " + PodViews.ref(p) + ": ";
      PodAllocation a;
      try {
        a = PodViews.allocation(p);
      } catch (HamiFormatException | IllegalArgumentException e) {
        throw new IllegalArgumentException(where + OfflineDecision.field("metadata.annotations", e), e);
      }
      if (a != null) {
        node = a.node();
      }
      if (PodViews.terminated(p) || node == null || node.isEmpty()) {
        continue;
      }
      if (!names.contains(node)) {
        throw new IllegalArgumentException(where + "runs on node " + node + ", which the snapshot does not contain");
      }
      String uid = p.getMetadata().getUid() == null || p.getMetadata().getUid().isEmpty() ? PodViews.ref(p)
          : p.getMetadata().getUid();
      if (a == null || a.uid() == null || a.uid().isEmpty()) {
        a = new PodAllocation(uid, p.getMetadata().getNamespace(), p.getMetadata().getName(), node,
            a == null ? PodDevices.empty() : a.devices(), a == null ? List.of() : a.mig(),
            a == null ? 0 : a.initContainerCount(), a != null && a.initReleased());
      }
      residents.add(new SimCluster.Resident(a, request(p, "cpu", MILLI, where),
          request(p, "memory", BigDecimal.ONE.divide(MIB), where)));
    }
    try {
      return new SimCluster(nodes, residents);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  private static long amount(Quantity q, BigDecimal scale, String where) {
    if (q == null) {
      throw new IllegalArgumentException(where + ": missing");
    }
    try {
      return q.getNumericalAmount().multiply(scale).setScale(0, RoundingMode.FLOOR).longValueExact();
    } catch (ArithmeticException | IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": \"" + q + "\" is not a usable quantity", e);
    }
  }

  /** kube-scheduler's effective request: max(sum of containers, largest init container), rounded up. */
  private static long request(Pod p, String resource, BigDecimal scale, String where) {
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal init = BigDecimal.ZERO;
    var spec = p.getSpec();
    for (Container c : spec.getContainers()) {
      sum = sum.add(requested(c, resource, where));
    }
    if (spec.getInitContainers() != null) {
      for (Container c : spec.getInitContainers()) {
        init = init.max(requested(c, resource, where));
      }
    }
    return sum.max(init).multiply(scale).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  private static BigDecimal requested(Container c, String resource, String where) {
    if (c.getResources() == null || c.getResources().getRequests() == null) {
      return BigDecimal.ZERO;
    }
    Quantity q = c.getResources().getRequests().get(resource);
    if (q == null) {
      return BigDecimal.ZERO;
    }
    try {
      return q.getNumericalAmount();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + "container " + c.getName() + " resources.requests." + resource
          + ": \"" + q + "\" is not a quantity", e);
    }
  }
}
