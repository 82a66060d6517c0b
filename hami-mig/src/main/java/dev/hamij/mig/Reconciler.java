package dev.hamij.mig;

import dev.hamij.api.MigAllocation;
import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.NvmlException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the GPUs in step with the cluster's reservations (node.md §4.3.5–4.3.6 with the §9 fixes).
 *
 * <p>Until it has succeeded once, each round first <em>syncs</em>: on every managed GPU it adopts the instances that
 * active reservations claim (by recorded identity, or by placement when the pod has no identity yet), quarantines
 * those at a reserved placement with another identity, and marks every other instance for destruction, which also
 * cleans idle GPUs. Then every round destroys marked instances and instances whose reservation has ended. An instance
 * NVML reports {@code IN_USE} is skipped and retried next round; an error on one GPU never stops the others. When the
 * cluster cannot be read, nothing is touched; while some pod's reservations cannot be decoded, nothing unclaimed is
 * marked.
 */
final class Reconciler {
  private final NodeGpus gpus;
  private final NvmlMig ops;
  private final Ledger ledger;
  private final Reaper reaper;
  private final MigCluster cluster;
  private volatile boolean synced;

  Reconciler(NodeGpus gpus, NvmlMig ops, Ledger ledger, Reaper reaper, MigCluster cluster) {
    this.gpus = gpus;
    this.ops = ops;
    this.ledger = ledger;
    this.reaper = reaper;
    this.cluster = cluster;
  }

  boolean synced() {
    return synced;
  }

  synchronized ReconcileReport reconcileOnce() {
    ReconcileReport.Builder report = new ReconcileReport.Builder();
    gpus.refresh();
    long horizon = ledger.horizon();
    ClusterView view;
    try {
      view = new ClusterView(cluster.activePods());
    } catch (RuntimeException e) {
      report.clusterError = "cannot read the pods of this node: " + e.getMessage();
      report.synced = synced;
      MigLog.warn("MIG reconcile skipped, nothing touched: " + report.clusterError);
      return report.build();
    }
    report.notes.addAll(view.problems());
    if (!synced) {
      synced = sync(view, report);
    }
    release(view, horizon, report);
    report.synced = synced;
    return report.build();
  }

  /** Adopts, quarantines and marks what lives on the managed GPUs; true when every GPU was handled completely. */
  private boolean sync(ClusterView view, ReconcileReport.Builder report) {
    boolean complete = view.complete();
    if (!complete) {
      report.notes.add("start-up clean-up postponed: some reservations cannot be decoded");
    }
    for (NodeGpus.Gpu gpu : gpus.all()) {
      if (gpu.unreachable) {
        complete = false;
        report.notes.add("start-up adoption and clean-up of " + gpu.label() + " waits: " + gpu.unmanagedReason);
      }
    }
    for (NodeGpus.Gpu gpu : gpus.managed()) {
      gpu.lock.lock();
      try {
        NodeGpus.ModeState mode = gpus.modeState(gpu);
        if (mode == NodeGpus.ModeState.READY || mode == NodeGpus.ModeState.DISABLE_PENDING) {
          syncGpu(gpu, view, report);
        }
      } catch (NvmlException | MigException e) {
        complete = false;
        report.errors.add(gpu.label() + ": start-up adoption and clean-up failed, retried next round: "
            + e.getMessage());
      } finally {
        gpu.lock.unlock();
      }
    }
    if (complete) {
      MigLog.info("MIG start-up sync complete: " + report.adopted.size() + " adopted, " + report.quarantined.size()
          + " quarantined");
    }
    return complete;
  }

  private void syncGpu(NodeGpus.Gpu gpu, ClusterView view, ReconcileReport.Builder report) {
    DeviceHandle dev = gpus.device(gpu);
    List<ClusterView.Claim> claims = view.claimsOn(gpu.uuid);
    for (NvmlMig.LiveInstance live : ops.live(gpu, dev)) {
      if (ledger.at(gpu.uuid, live.profileId(), live.placement()).isPresent()) {
        continue;
      }
      Optional<ClusterView.Claim> claim = claims.stream()
          .filter(c -> c.allocation().placement().equals(live.placement())
              && profileId(gpu, dev, c.allocation().profile()) == live.profileId()
              && ledger.owned(c.key()).isEmpty())
          .findFirst();
      if (claim.isPresent()) {
        adopt(gpu, live, claim.get(), report);
      } else if (view.complete()) {
        ManagedInstance m = new ManagedInstance(gpu.uuid, gpu.index, live.profile(), live.profileId(),
            live.placement(), live.id(), -1, null, null, false);
        ledger.add(m);
        MigLog.doomed(m, "no active reservation claims it" + (live.busy() ? " (work still runs in it)" : ""));
      } else {
        report.notes.add(gpu.label() + ": GI " + live.id() + " (" + live.profile() + " at "
            + ManagedInstance.text(live.placement()) + ") is unclaimed but left alone while reservations are"
            + " unreadable");
      }
    }
  }

  private void adopt(NodeGpus.Gpu gpu, NvmlMig.LiveInstance live, ClusterView.Claim claim,
      ReconcileReport.Builder report) {
    MigAllocation a = claim.allocation();
    NvmlMig.LiveCompute ci = live.computeInstances().size() == 1 ? live.computeInstances().get(0) : null;
    ManagedInstance found = new ManagedInstance(gpu.uuid, gpu.index, a.profile(), live.profileId(), live.placement(),
        live.id(), ci == null ? -1 : ci.id(), ci == null ? null : ci.migUuid(), claim.key(), false);
    if (!a.runtimeReady()) {
      ledger.add(found);
      report.adopted.add(found);
      MigLog.adopted(found, "at the reserved placement; the pod records no identity yet");
      return;
    }
    boolean same = live.id() == a.gpuInstanceID() && live.computeInstances().stream()
        .anyMatch(c -> c.id() == a.computeInstanceID() && a.migUUID().equals(c.migUuid()));
    if (same) {
      ManagedInstance m = new ManagedInstance(gpu.uuid, gpu.index, a.profile(), live.profileId(), live.placement(),
          a.gpuInstanceID(), a.computeInstanceID(), a.migUUID(), claim.key(), false);
      ledger.add(m);
      report.adopted.add(m);
      MigLog.adopted(m, "identity recorded in the pod");
    } else {
      ManagedInstance q = new ManagedInstance(found.gpuUuid(), found.gpuIndex(), found.profile(), found.profileId(),
          found.placement(), found.gpuInstanceId(), found.computeInstanceId(), found.migUuid(), claim.key(), true);
      ledger.add(q);
      report.quarantined.add(q);
      MigLog.quarantined(q, "the pod records " + a.migUUID() + " (GI " + a.gpuInstanceID() + " CI "
          + a.computeInstanceID() + "); destroyed once the pod is gone");
    }
  }

  /** The NVML profile id of a reserved profile name, or -1 when the GPU has no such profile. */
  private int profileId(NodeGpus.Gpu gpu, DeviceHandle dev, String profile) {
    try {
      return ops.resolve(gpu, dev, profile).profileId();
    } catch (MigException e) {
      return -1;
    }
  }

  /** Destroys marked instances and those whose reservation ended before this round read the cluster. */
  private void release(ClusterView view, long horizon, ReconcileReport.Builder report) {
    Map<String, List<Ledger.Entry>> byGpu = new LinkedHashMap<>();
    for (Ledger.Entry e : ledger.all()) {
      ManagedInstance m = e.instance();
      if (m.doomed() || (e.seq < horizon && !view.claims(m))) {
        byGpu.computeIfAbsent(m.gpuUuid(), k -> new ArrayList<>()).add(e);
      }
    }
    byGpu.forEach((uuid, entries) -> {
      NodeGpus.Gpu gpu = gpus.byUuid(uuid).orElseThrow();
      gpu.lock.lock();
      try {
        for (Ledger.Entry e : entries) {
          ManagedInstance m = e.instance();
          if (!m.doomed() && view.claims(m)) {
            continue;
          }
          try {
            NvmlMig.Outcome outcome = reaper.reap(gpu, e, m.doomed() ? "no reservation holds it"
                : "its reservation has ended");
            if (outcome == NvmlMig.Outcome.DESTROYED) {
              report.destroyed.add(m);
            } else if (outcome == NvmlMig.Outcome.IN_USE) {
              report.stillInUse.add(m);
            }
          } catch (NvmlException ex) {
            report.errors.add(m.describe() + ": destroy failed, retried next round: " + ex.getMessage());
          }
        }
      } finally {
        gpu.lock.unlock();
      }
    });
  }
}
