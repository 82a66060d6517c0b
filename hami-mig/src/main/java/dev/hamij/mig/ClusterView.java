package dev.hamij.mig;

import dev.hamij.api.HamiFormatException;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One reading of the node's active pods and their decoded MIG reservations. A pod whose annotation cannot be decoded
 * keeps everything it owns (its claims are unknown), and makes the view incomplete.
 */
final class ClusterView {

  /** A reservation of an active pod. */
  record Claim(ReservationKey key, MigAllocation allocation) {}

  private final Map<String, List<MigAllocation>> reservationsByUid = new HashMap<>();
  private final Map<String, PodRef> podsByUid = new HashMap<>();
  private final Set<String> undecodable = new HashSet<>();
  private final List<String> problems = new ArrayList<>();

  ClusterView(List<MigCluster.NodePod> pods) {
    for (MigCluster.NodePod p : pods) {
      podsByUid.put(p.pod().uid(), p.pod());
      try {
        reservationsByUid.put(p.pod().uid(), MigAllocationsCodec.decode(p.migAllocations(), p.pod().ref()));
      } catch (HamiFormatException e) {
        undecodable.add(p.pod().uid());
        problems.add(e.getMessage());
      }
    }
  }

  /** True when every active pod's reservations could be read. */
  boolean complete() {
    return undecodable.isEmpty();
  }

  /** Why the view is incomplete (one message per unreadable annotation). */
  List<String> problems() {
    return problems;
  }

  /**
   * True when the instance's owner is an active pod that still reserves exactly this GPU, profile and placement for
   * that container and device, or an active pod whose reservations cannot be read.
   */
  boolean claims(ManagedInstance m) {
    ReservationKey owner = m.owner();
    if (owner == null || !podsByUid.containsKey(owner.pod().uid())) {
      return false;
    }
    if (undecodable.contains(owner.pod().uid())) {
      return true;
    }
    return reservationsByUid.get(owner.pod().uid()).stream().anyMatch(a ->
        a.containerIndex() == owner.containerIndex() && a.deviceIndex() == owner.deviceIndex()
            && a.gpuUUID().equals(m.gpuUuid()) && a.profile().equals(m.profile())
            && a.placement().equals(m.placement()));
  }

  /** The decodable reservations of active pods on one GPU. */
  List<Claim> claimsOn(String gpuUuid) {
    List<Claim> out = new ArrayList<>();
    reservationsByUid.forEach((uid, allocations) -> {
      for (MigAllocation a : allocations) {
        if (a.gpuUUID().equals(gpuUuid)) {
          out.add(new Claim(new ReservationKey(podsByUid.get(uid), a.containerIndex(), a.deviceIndex()), a));
        }
      }
    });
    return out;
  }
}
