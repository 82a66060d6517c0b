package dev.hamij.core;

import dev.hamij.api.HamiFormatException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Namespace quota accounting (scheduler.md §7): usage summed from the pods' collapsed bookings and
 * limits from ResourceQuota objects. Several quotas limiting the same resource combine to the
 * smallest limit (all must hold), independent of event order. Not thread-safe: guarded by the
 * scheduler's lock.
 */
final class QuotaBook {

  private static final class Namespace {
    long memUsed;
    long coreUsed;
    final TreeMap<String, Long> memLimits = new TreeMap<>();
    final TreeMap<String, Long> coreLimits = new TreeMap<>();

    boolean empty() {
      return memUsed == 0 && coreUsed == 0 && memLimits.isEmpty() && coreLimits.isEmpty();
    }
  }

  private final Map<String, Namespace> namespaces = new HashMap<>();
  private final String memoryResource;
  private final String coreResource;
  private final int memoryFactor;

  QuotaBook(SchedulerConfig config) {
    this.memoryResource = config.resourceNames().memory();
    this.coreResource = config.resourceNames().cores();
    this.memoryFactor = Math.max(config.memoryFactor(), 1);
  }

  void add(PodEntry pod, int sign) {
    if (pod.memoryTotal() == 0 && pod.coreTotal() == 0) {
      return;
    }
    Namespace ns = namespaces.computeIfAbsent(pod.namespace(), k -> new Namespace());
    ns.memUsed += sign * pod.memoryTotal();
    ns.coreUsed += sign * pod.coreTotal();
    if (ns.empty()) {
      namespaces.remove(pod.namespace());
    }
  }

  /**
   * Parses the {@code limits.<memory>} and {@code limits.<cores>} keys of a ResourceQuota's
   * {@code spec.hard}; other keys are ignored. Returns {memory, cores}, null where absent.
   */
  Long[] parse(String namespace, String quotaName, Map<String, String> hard) {
    Long[] out = new Long[2];
    String[] keys = {"limits." + memoryResource, "limits." + coreResource};
    for (int i = 0; i < 2; i++) {
      String raw = hard.get(keys[i]);
      if (raw == null) {
        continue;
      }
      Long v = Quantities.exactLong(raw);
      if (v == null || v < 0) {
        throw new HamiFormatException("spec.hard." + keys[i], "resourcequota " + namespace + "/" + quotaName,
            "\"" + raw + "\" is not a non-negative whole number");
      }
      out[i] = v;
    }
    return out;
  }

  void set(String namespace, String quotaName, Long[] limits) {
    remove(namespace, quotaName);
    if (limits[0] == null && limits[1] == null) {
      return;
    }
    Namespace ns = namespaces.computeIfAbsent(namespace, k -> new Namespace());
    if (limits[0] != null) {
      ns.memLimits.put(quotaName, limits[0]);
    }
    if (limits[1] != null) {
      ns.coreLimits.put(quotaName, limits[1]);
    }
  }

  void remove(String namespace, String quotaName) {
    Namespace ns = namespaces.get(namespace);
    if (ns == null) {
      return;
    }
    ns.memLimits.remove(quotaName);
    ns.coreLimits.remove(quotaName);
    if (ns.empty()) {
      namespaces.remove(namespace);
    }
  }

  /** The namespace's quota as a decision sees it, {@code own}'s usage (a pod being re-decided) excluded. */
  NodeFit.QuotaView view(String namespace, PodEntry own) {
    Namespace ns = namespaces.get(namespace);
    if (ns == null || (ns.memLimits.isEmpty() && ns.coreLimits.isEmpty())) {
      return NodeFit.QuotaView.NONE;
    }
    long memUsed = ns.memUsed;
    long coreUsed = ns.coreUsed;
    if (own != null && own.namespace().equals(namespace)) {
      memUsed -= own.memoryTotal();
      coreUsed -= own.coreTotal();
    }
    boolean memSet = !ns.memLimits.isEmpty();
    boolean coreSet = !ns.coreLimits.isEmpty();
    return new NodeFit.QuotaView(memSet, memUsed, memSet ? min(ns.memLimits) * memoryFactor : 0, coreSet, coreUsed,
        coreSet ? min(ns.coreLimits) : 0);
  }

  private static long min(TreeMap<String, Long> limits) {
    long m = Long.MAX_VALUE;
    for (long v : limits.values()) {
      m = Math.min(m, v);
    }
    return m;
  }

  List<ClusterUsage.QuotaUsage> usage() {
    List<ClusterUsage.QuotaUsage> out = new ArrayList<>();
    for (Map.Entry<String, Namespace> e : new TreeMap<>(namespaces).entrySet()) {
      Namespace ns = e.getValue();
      out.add(new ClusterUsage.QuotaUsage(e.getKey(), memoryResource, ns.memUsed,
          ns.memLimits.isEmpty() ? OptionalLong.empty() : OptionalLong.of(min(ns.memLimits) * memoryFactor),
          List.copyOf(ns.memLimits.keySet())));
      out.add(new ClusterUsage.QuotaUsage(e.getKey(), coreResource, ns.coreUsed,
          ns.coreLimits.isEmpty() ? OptionalLong.empty() : OptionalLong.of(min(ns.coreLimits)),
          List.copyOf(ns.coreLimits.keySet())));
    }
    return out;
  }
}
