package dev.hamij.core.testing;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigProfile;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.Placement;
import dev.hamij.core.ClusterUsage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks of a {@link ClusterUsage} that must hold whenever every allocation came from the
 * scheduler's own decisions: no hami-core GPU exceeds its slots, memory or cores; no MIG GPU holds
 * overlapping instances, placements its model does not allow for the profile, or more instances of
 * a profile than NVIDIA permits; every GPU's booked memory and cores are the sum of its pods'
 * bookings; every namespace's quota use is the sum of its pods' bookings. Each method throws an
 * {@link AssertionError} naming the node, GPU or namespace.
 */
public final class LedgerInvariants {
  private LedgerInvariants() {}

  private static final MigProfileTable TABLE = MigProfileTable.bundled();

  /** All checks below. */
  public static void check(ClusterUsage usage) {
    checkCapacity(usage);
    checkMig(usage);
    checkBookingsAddUp(usage);
    checkQuotaUse(usage);
  }

  /** hami-core and MPS GPUs: used ≤ count, memory ≤ devmem, cores ≤ devcore; MIG GPUs: used ≤ count. */
  public static void checkCapacity(ClusterUsage usage) {
    for (ClusterUsage.NodeUsage n : usage.nodes()) {
      for (ClusterUsage.GpuUsage g : n.gpus()) {
        GpuDevice d = g.device();
        require(g.used() <= d.count(), n, d, "uses " + g.used() + " of " + d.count() + " slots");
        require(g.used() >= 0 && g.usedMemory() >= 0 && g.usedCores() >= 0, n, d, "has negative usage");
        if (!d.isMig()) {
          require(g.usedMemory() <= d.devmem(), n, d, "books " + g.usedMemory() + " of " + d.devmem() + " MiB");
          require(g.usedCores() <= d.devcore(), n, d, "books " + g.usedCores() + " of " + d.devcore() + "% cores");
        }
      }
    }
  }

  /** MIG instances never overlap, use placements allowed for their profile, and respect per-profile limits. */
  public static void checkMig(ClusterUsage usage) {
    for (ClusterUsage.NodeUsage n : usage.nodes()) {
      for (ClusterUsage.GpuUsage g : n.gpus()) {
        List<ClusterUsage.MigInstance> inst = g.migInstances();
        require(inst.isEmpty() || g.device().isMig(), n, g.device(), "holds MIG instances but is not in MIG mode");
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < inst.size(); i++) {
          Placement p = inst.get(i).allocation().placement();
          String profile = inst.get(i).allocation().profile();
          for (int j = i + 1; j < inst.size(); j++) {
            require(!p.overlaps(inst.get(j).allocation().placement()), n, g.device(),
                "holds overlapping instances " + inst.get(i) + " and " + inst.get(j));
          }
          require(allowed(g.device(), profile, p), n, g.device(),
              "holds " + profile + " at {" + p.start() + "," + p.size() + "}, a placement its model does not allow");
          int c = counts.merge(profile, 1, Integer::sum);
          int max = maxCount(g.device(), profile);
          require(max == 0 || c <= max, n, g.device(), "holds " + c + " instances of " + profile + " (max " + max + ")");
        }
      }
    }
  }

  private static boolean allowed(GpuDevice d, String profile, Placement p) {
    for (MigProfile mp : d.migProfiles()) {
      if (mp.name().equals(profile)) {
        return mp.placements().contains(p);
      }
    }
    Optional<MigProfileTable.Profile> tp = TABLE.forName(d.type()).flatMap(m -> m.profile(profile));
    return tp.isPresent() && tp.get().placements().contains(p);
  }

  private static int maxCount(GpuDevice d, String profile) {
    return TABLE.forName(d.type()).flatMap(m -> m.profile(profile)).map(MigProfileTable.Profile::maxCount).orElse(0);
  }

  /** Every registered GPU's booked memory and cores equal the sum of the pods' collapsed bookings on it. */
  public static void checkBookingsAddUp(ClusterUsage usage) {
    Map<String, long[]> sums = new HashMap<>();
    for (ClusterUsage.PodUsage p : usage.pods()) {
      for (ContainerDevice d : p.devices()) {
        long[] s = sums.computeIfAbsent(p.node() + "/" + d.uuid(), k -> new long[2]);
        s[0] += d.usedmem();
        s[1] += d.usedcores();
      }
    }
    for (ClusterUsage.NodeUsage n : usage.nodes()) {
      for (ClusterUsage.GpuUsage g : n.gpus()) {
        long[] s = sums.getOrDefault(n.name() + "/" + g.device().id(), new long[2]);
        require(s[0] == g.usedMemory() && s[1] == g.usedCores(), n, g.device(),
            "books " + g.usedMemory() + " MiB / " + g.usedCores() + "% but its pods hold " + s[0] + " / " + s[1]);
      }
    }
  }

  /** Every namespace's quota use equals the sum of its pods' collapsed bookings. */
  public static void checkQuotaUse(ClusterUsage usage) {
    Map<String, long[]> sums = new HashMap<>();
    for (ClusterUsage.PodUsage p : usage.pods()) {
      long[] s = sums.computeIfAbsent(p.namespace(), k -> new long[2]);
      for (ContainerDevice d : p.devices()) {
        s[0] += d.usedmem();
        s[1] += d.usedcores();
      }
    }
    List<String> errors = new ArrayList<>();
    for (ClusterUsage.QuotaUsage q : usage.quotas()) {
      long[] s = sums.getOrDefault(q.namespace(), new long[2]);
      long expected = q.resource().endsWith("gpucores") ? s[1] : s[0];
      if (q.used() != expected) {
        errors.add("namespace " + q.namespace() + " " + q.resource() + " uses " + q.used() + ", its pods hold " + expected);
      }
    }
    for (Map.Entry<String, long[]> e : sums.entrySet()) {
      boolean listed = usage.quotas().stream().anyMatch(q -> q.namespace().equals(e.getKey()));
      if (!listed && (e.getValue()[0] != 0 || e.getValue()[1] != 0)) {
        errors.add("namespace " + e.getKey() + " holds GPU usage but has no quota usage entry");
      }
    }
    if (!errors.isEmpty()) {
      throw new AssertionError(String.join("; ", errors));
    }
  }

  /** Quota use within the limit for every namespace (holds while limits were set before the pods). */
  public static void checkQuotaLimits(ClusterUsage usage) {
    for (ClusterUsage.QuotaUsage q : usage.quotas()) {
      if (q.limit().isPresent() && q.used() > q.limit().getAsLong()) {
        throw new AssertionError("namespace " + q.namespace() + " " + q.resource() + " uses " + q.used()
            + " above its limit " + q.limit().getAsLong());
      }
    }
  }

  private static void require(boolean ok, ClusterUsage.NodeUsage n, GpuDevice d, String what) {
    if (!ok) {
      throw new AssertionError("node " + n.name() + " GPU " + d.id() + " (" + d.type() + ", " + d.mode() + ") " + what);
    }
  }
}
