package dev.hamij.core;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.MigAllocation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A pod's contribution to the ledger: its usage collapsed to one booking per physical GPU
 * (scheduler.md §3.5) and its MIG reservations. Value object: two entries built from the same
 * allocation are equal, which makes replays no-ops.
 */
record PodEntry(String uid, String namespace, String name, String node, List<Booking> bookings,
    List<MigAllocation> mig, long memoryTotal, long coreTotal) {

  /**
   * Collapsed usage of one GPU. {@code legacyMig} marks a v2.5–v2.9 template-MIG UUID
   * ({@code GPU-…[g-s]}), booked on the base GPU, which then fails closed.
   */
  record Booking(String uuid, int mem, int cores, int slots, boolean legacyMig) {}

  static PodEntry of(PodAllocation a) {
    Map<String, int[]> init = new TreeMap<>();
    Map<String, int[]> app = new TreeMap<>();
    Map<String, Boolean> legacy = new TreeMap<>();
    List<List<ContainerDevice>> containers = a.devices().containers();
    for (int c = 0; c < containers.size(); c++) {
      boolean isInit = c < a.initContainerCount();
      for (ContainerDevice d : containers.get(c)) {
        String uuid = d.uuid();
        int bracket = uuid.indexOf('[');
        if (bracket > 0 && uuid.endsWith("]")) {
          uuid = uuid.substring(0, bracket);
          legacy.put(uuid, true);
        }
        if (isInit) {
          int[] v = init.computeIfAbsent(uuid, k -> new int[3]);
          v[0] = Math.max(v[0], d.usedmem());
          v[1] = Math.max(v[1], d.usedcores());
          v[2] = 1;
        } else {
          int[] v = app.computeIfAbsent(uuid, k -> new int[3]);
          v[0] += d.usedmem();
          v[1] += d.usedcores();
          v[2] += 1;
        }
      }
    }
    TreeMap<String, int[]> collapsed = new TreeMap<>();
    if (!a.initReleased()) {
      for (Map.Entry<String, int[]> e : init.entrySet()) {
        collapsed.put(e.getKey(), e.getValue().clone());
      }
    }
    for (Map.Entry<String, int[]> e : app.entrySet()) {
      int[] v = e.getValue();
      int[] cur = collapsed.get(e.getKey());
      if (cur == null) {
        collapsed.put(e.getKey(), v.clone());
      } else {
        cur[0] = Math.max(cur[0], v[0]);
        cur[1] = Math.max(cur[1], v[1]);
        cur[2] = Math.max(cur[2], v[2]);
      }
    }
    List<Booking> bookings = new ArrayList<>(collapsed.size());
    long mem = 0;
    long cores = 0;
    for (Map.Entry<String, int[]> e : collapsed.entrySet()) {
      int[] v = e.getValue();
      bookings.add(new Booking(e.getKey(), v[0], v[1], Math.max(v[2], 1), legacy.containsKey(e.getKey())));
      mem += v[0];
      cores += v[1];
    }
    return new PodEntry(a.uid(), a.namespace(), a.name(), a.node(), List.copyOf(bookings), a.mig(), mem, cores);
  }

  /** The collapsed usage as container devices (vendor {@code NVIDIA}), sorted by UUID. */
  List<ContainerDevice> devices() {
    List<ContainerDevice> out = new ArrayList<>(bookings.size());
    for (Booking b : bookings) {
      out.add(ContainerDevice.nvidia(b.uuid(), b.mem(), b.cores()));
    }
    return out;
  }
}
