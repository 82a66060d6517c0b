package dev.hamij.mig;

import dev.hamij.api.Placement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The MIG instances this process is responsible for. Each entry carries the sequence number of its registration, so
 * a reconcile round can tell instances that existed before it read the cluster from ones an Allocate registered
 * while it ran (those it must not judge by its older view). Thread-safe.
 */
final class Ledger {

  /** One managed instance; {@code instance} changes when it is doomed. */
  static final class Entry {
    final long seq;
    private ManagedInstance instance;

    Entry(long seq, ManagedInstance instance) {
      this.seq = seq;
      this.instance = instance;
    }

    synchronized ManagedInstance instance() {
      return instance;
    }

    synchronized void set(ManagedInstance replacement) {
      instance = replacement;
    }
  }

  private final List<Entry> entries = new ArrayList<>();
  private long nextSeq;

  synchronized Entry add(ManagedInstance instance) {
    Entry e = new Entry(nextSeq++, instance);
    entries.add(e);
    return e;
  }

  synchronized boolean contains(Entry entry) {
    return entries.contains(entry);
  }

  synchronized void remove(Entry entry) {
    entries.remove(entry);
  }

  /** The sequence number the next registration gets. */
  synchronized long horizon() {
    return nextSeq;
  }

  synchronized List<Entry> all() {
    return List.copyOf(entries);
  }

  synchronized List<Entry> onGpu(String gpuUuid) {
    return entries.stream().filter(e -> e.instance().gpuUuid().equals(gpuUuid)).toList();
  }

  synchronized Optional<Entry> owned(ReservationKey key) {
    return entries.stream().filter(e -> key.equals(e.instance().owner())).findFirst();
  }

  /** The entry for the instance of this profile id at exactly this placement on the GPU. */
  synchronized Optional<Entry> at(String gpuUuid, int profileId, Placement placement) {
    for (Entry e : entries) {
      ManagedInstance m = e.instance();
      if (m.gpuUuid().equals(gpuUuid) && m.profileId() == profileId && m.placement().equals(placement)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  synchronized List<ManagedInstance> snapshot() {
    List<ManagedInstance> out = new ArrayList<>();
    for (Entry e : entries) {
      out.add(e.instance());
    }
    return out;
  }
}
