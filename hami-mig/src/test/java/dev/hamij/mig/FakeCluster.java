package dev.hamij.mig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** An in-memory API server for one node's pods, with the failures the MIG manager must survive. */
final class FakeCluster implements MigCluster {

  private static final class Pod {
    final PodRef ref;
    String allocations;
    long resourceVersion = 1;
    boolean active = true;

    Pod(PodRef ref, String allocations) {
      this.ref = ref;
      this.allocations = allocations;
    }
  }

  private final Map<String, Pod> pods = new LinkedHashMap<>();
  private int listFailures;
  private int conflicts;
  private int writeFailures;
  private int writes;
  private Consumer<FakeCluster> duringList = c -> {};

  synchronized PodRef addPod(String name, String allocations) {
    PodRef ref = new PodRef("default", name, "uid-" + name);
    pods.put(ref.uid(), new Pod(ref, allocations));
    return ref;
  }

  /** The pod's containers have ended (phase Succeeded/Failed): it no longer counts as active. */
  synchronized void endPod(PodRef pod) {
    pods.get(pod.uid()).active = false;
  }

  /** The pod is deleted from the API server. */
  synchronized void deletePod(PodRef pod) {
    pods.remove(pod.uid());
  }

  synchronized String allocations(PodRef pod) {
    return pods.get(pod.uid()).allocations;
  }

  /** Someone else (the scheduler, a user) rewrites the annotation. */
  synchronized void setAllocations(PodRef pod, String value) {
    Pod p = pods.get(pod.uid());
    p.allocations = value;
    p.resourceVersion++;
  }

  /** The next {@code n} pod listings fail. */
  synchronized void failListings(int n) {
    listFailures = n;
  }

  /** The next {@code n} conditional writes meet a kubelet status update first (409 Conflict). */
  synchronized void conflictNextWrites(int n) {
    conflicts = n;
  }

  /** The next {@code n} conditional writes fail with an API error. */
  synchronized void failNextWrites(int n) {
    writeFailures = n;
  }

  /** Successful annotation writes so far. */
  synchronized int writes() {
    return writes;
  }

  /** Runs {@code action} while the next listing is in flight, after the list was taken. */
  synchronized void duringNextList(Consumer<FakeCluster> action) {
    duringList = action;
  }

  @Override
  public List<NodePod> activePods() {
    List<NodePod> out = new ArrayList<>();
    Consumer<FakeCluster> hook;
    synchronized (this) {
      if (listFailures > 0) {
        listFailures--;
        throw new IllegalStateException("the API server is unavailable (injected)");
      }
      for (Pod p : pods.values()) {
        if (p.active) {
          out.add(new NodePod(p.ref, p.allocations));
        }
      }
      hook = duringList;
      duringList = c -> {};
    }
    hook.accept(this);
    return out;
  }

  @Override
  public synchronized Optional<VersionedAllocations> readAllocations(PodRef pod) {
    Pod p = pods.get(pod.uid());
    return p == null ? Optional.empty()
        : Optional.of(new VersionedAllocations(p.allocations, Long.toString(p.resourceVersion)));
  }

  @Override
  public synchronized boolean replaceAllocations(PodRef pod, String resourceVersion, String allocations) {
    if (writeFailures > 0) {
      writeFailures--;
      throw new IllegalStateException("the API server is unavailable (injected)");
    }
    Pod p = pods.get(pod.uid());
    if (p == null) {
      throw new IllegalStateException("pod " + pod.ref() + " not found");
    }
    if (conflicts > 0) {
      conflicts--;
      p.resourceVersion++;
      return false;
    }
    if (!Long.toString(p.resourceVersion).equals(resourceVersion)) {
      return false;
    }
    p.allocations = allocations;
    p.resourceVersion++;
    writes++;
    return true;
  }
}
