package dev.hamij.mig;

import dev.hamij.api.HamiFormatException;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.Placement;
import dev.hamij.nvml.ComputeInstanceHandle;
import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.GpuInstanceHandle;
import dev.hamij.nvml.NvmlException;
import dev.hamij.nvml.NvmlReturn;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Realises one container's MIG reservations (node.md §4.3.4 with the §9 fixes): for each reservation, in
 * {@code deviceIndex} order, reuse the instance already held for it or create exactly the reserved profile at
 * exactly the reserved placement (GPU instance, then compute instance), find its MIG device by GPU-instance id, then
 * record the runtime identity in the pod. When anything fails, what this call created (and only that) is destroyed.
 */
final class Realiser {
  private final MigSettings settings;
  private final NodeGpus gpus;
  private final NvmlMig ops;
  private final Ledger ledger;
  private final Reaper reaper;
  private final MigCluster cluster;
  private final IdentityRecorder identity;

  Realiser(MigSettings settings, NodeGpus gpus, NvmlMig ops, Ledger ledger, Reaper reaper, MigCluster cluster) {
    this.settings = settings;
    this.gpus = gpus;
    this.ops = ops;
    this.ledger = ledger;
    this.reaper = reaper;
    this.cluster = cluster;
    this.identity = new IdentityRecorder(cluster, settings.identityWriteAttempts());
  }

  /** What one call created, so that a failure can undo exactly that. */
  private static final class Created {
    final NodeGpus.Gpu gpu;
    final GpuInstanceHandle gi;
    ManagedInstance instance;
    ComputeInstanceHandle ci;
    Ledger.Entry entry;

    Created(NodeGpus.Gpu gpu, GpuInstanceHandle gi, ManagedInstance instance) {
      this.gpu = gpu;
      this.gi = gi;
      this.instance = instance;
    }
  }

  ContainerMig realise(PodRef pod, String migAllocations, int containerIndex, List<String> gpuUuids) {
    String where = "pod " + pod + " container " + containerIndex;
    List<MigAllocation> mine = reservations(where, pod, migAllocations, containerIndex, gpuUuids);
    List<Created> created = new ArrayList<>();
    try {
      List<MigDevice> devices = new ArrayList<>();
      for (MigAllocation r : mine) {
        devices.add(ensure(pod, r, created));
      }
      identity.record(pod, devices);
      return new ContainerMig(pod, containerIndex, devices);
    } catch (RuntimeException e) {
      String undo = rollback(created);
      String message = e instanceof MigException ? e.getMessage() : where + ": " + e.getMessage();
      throw new MigException(message + undo, e);
    }
  }

  private List<MigAllocation> reservations(String where, PodRef pod, String migAllocations, int containerIndex,
      List<String> gpuUuids) {
    List<MigAllocation> all;
    try {
      all = MigAllocationsCodec.decode(migAllocations, pod.ref());
    } catch (HamiFormatException e) {
      throw new MigException(where + ": " + e.getMessage(), e);
    }
    List<MigAllocation> mine = all.stream().filter(a -> a.containerIndex() == containerIndex)
        .sorted(Comparator.comparingInt(MigAllocation::deviceIndex)).toList();
    if (mine.isEmpty()) {
      throw new MigException(where + ": hami.io/vgpu-mig-allocations holds no reservation for this container");
    }
    if (gpuUuids.size() != mine.size()) {
      throw new MigException(where + ": " + gpuUuids.size() + " device(s) allocated but " + mine.size()
          + " MIG reservation(s) in hami.io/vgpu-mig-allocations");
    }
    for (int i = 0; i < mine.size(); i++) {
      if (!mine.get(i).gpuUUID().equals(gpuUuids.get(i))) {
        throw new MigException(where + " device " + mine.get(i).deviceIndex() + ": the reservation names GPU "
            + mine.get(i).gpuUUID() + " but the allocated device is " + gpuUuids.get(i));
      }
    }
    return mine;
  }

  private MigDevice ensure(PodRef pod, MigAllocation r, List<Created> created) {
    ReservationKey key = new ReservationKey(pod, r.containerIndex(), r.deviceIndex());
    String what = key + ": " + r.profile() + " at " + text(r.placement()) + " on " + r.gpuUUID();
    NodeGpus.Gpu gpu = gpus.byUuid(r.gpuUUID()).orElseThrow(() -> new MigException(what + ": no such GPU on node "
        + settings.nodeName() + gpus.unreachableNote()));
    gpu.lock.lock();
    try {
      return ensureLocked(gpu, key, r, created);
    } catch (MigException | NvmlException e) {
      throw new MigException(what + ": " + e.getMessage(), e);
    } finally {
      gpu.lock.unlock();
    }
  }

  private MigDevice ensureLocked(NodeGpus.Gpu gpu, ReservationKey key, MigAllocation r, List<Created> created) {
    gpus.ensureReady(gpu);
    DeviceHandle dev = gpus.device(gpu);
    Optional<Ledger.Entry> held = ledger.owned(key);
    if (held.isPresent()) {
      Optional<MigDevice> reused = reuse(gpu, dev, held.get(), r);
      if (reused.isPresent()) {
        return reused.get();
      }
    }
    NvmlMig.Profile profile = ops.resolve(gpu, dev, r.profile());
    if (!profile.placements().contains(r.placement())) {
      throw new MigException("placement " + text(r.placement()) + " is not legal for " + r.profile() + " on "
          + gpu.label() + " (legal: " + profile.placements().stream().map(Realiser::text).toList() + ")");
    }
    clearOverlaps(gpu, key, r.placement());
    Optional<MigDevice> adopted = adoptRecorded(gpu, dev, key, r, profile);
    if (adopted.isPresent()) {
      return adopted.get();
    }
    GpuInstanceHandle gi;
    try {
      gi = ops.createGpuInstance(dev, profile, r.placement());
    } catch (NvmlException e) {
      if (e.code() == NvmlReturn.INSUFFICIENT_RESOURCES) {
        throw new MigException(e.getMessage() + occupants(gpu, dev, r.placement()), e);
      }
      throw e;
    }
    Created c = new Created(gpu, gi, instance(gpu, profile, r, -1, -1, null, key));
    created.add(c);
    int giId = ops.gpuInstanceId(gi);
    c.instance = instance(gpu, profile, r, giId, -1, null, key);
    c.ci = ops.createComputeInstance(gi, profile);
    int ciId = ops.computeInstanceId(c.ci);
    c.instance = instance(gpu, profile, r, giId, ciId, null, key);
    String migUuid = ops.migUuid(dev, giId, ciId).orElseThrow(() -> new MigException("no MIG device of "
        + gpu.label() + " has GPU instance " + giId + " and compute instance " + ciId));
    c.instance = instance(gpu, profile, r, giId, ciId, migUuid, key);
    c.entry = ledger.add(c.instance);
    MigLog.created(c.instance);
    return device(c.instance, true);
  }

  /**
   * The instance already held for this reservation, if it still exists as recorded. A held instance that no longer
   * matches (the reservation changed) or no longer exists is destroyed and forgotten, so that a fresh one can be made.
   */
  private Optional<MigDevice> reuse(NodeGpus.Gpu gpu, DeviceHandle dev, Ledger.Entry entry, MigAllocation r) {
    ManagedInstance m = entry.instance();
    boolean same = m.profile().equals(r.profile()) && m.placement().equals(r.placement());
    if (same && m.quarantined()) {
      throw new MigException("the instance at this placement (" + m.describe() + ") does not have the identity"
          + " recorded in the pod (" + r.migUUID() + "); it is quarantined and not handed out");
    }
    if (same && m.migUuid() != null
        && ops.migUuid(dev, m.gpuInstanceId(), m.computeInstanceId()).filter(m.migUuid()::equals).isPresent()) {
      return Optional.of(device(m, false));
    }
    String why = same ? "its MIG device is incomplete or gone" : "the reservation now asks for " + r.profile()
        + " at " + text(r.placement());
    if (reaper.reap(gpu, entry, why) == NvmlMig.Outcome.IN_USE) {
      throw new MigException("the instance held for this reservation (" + m.describe() + ") must be replaced but is"
          + " still in use");
    }
    return Optional.empty();
  }

  /**
   * Managed instances of other reservations overlapping the placement: leftovers awaiting destruction and instances
   * whose reservation has ended are destroyed now (the reconciler may not have run yet); an instance whose owner still
   * holds it makes the reservation fail, since two reservations never share slices.
   */
  private void clearOverlaps(NodeGpus.Gpu gpu, ReservationKey key, Placement placement) {
    ClusterView view = null;
    for (Ledger.Entry e : ledger.onGpu(gpu.uuid)) {
      ManagedInstance m = e.instance();
      if (key.equals(m.owner()) || !m.placement().overlaps(placement)) {
        continue;
      }
      if (!m.doomed()) {
        if (view == null) {
          view = new ClusterView(cluster.activePods());
        }
        if (view.claims(m)) {
          throw new MigException("placement " + text(placement) + " overlaps " + m.describe()
              + ", which that reservation still holds; two reservations never share MIG slices");
        }
      }
      if (reaper.reap(gpu, e, m.doomed() ? "its slices are reserved again" : "its reservation has ended")
          == NvmlMig.Outcome.IN_USE) {
        throw new MigException("placement " + text(placement) + " overlaps " + m.describe()
            + ", which is released but still in use (its pod is terminating); retry once it has stopped");
      }
    }
  }

  /**
   * An unmanaged instance at exactly the reserved placement whose identity the pod already records (e.g. realised
   * before a restart that has not yet been reconciled) is adopted rather than created twice.
   */
  private Optional<MigDevice> adoptRecorded(NodeGpus.Gpu gpu, DeviceHandle dev, ReservationKey key, MigAllocation r,
      NvmlMig.Profile profile) {
    if (!r.runtimeReady() || ledger.at(gpu.uuid, profile.profileId(), r.placement()).isPresent()) {
      return Optional.empty();
    }
    Optional<String> live = ops.migUuid(dev, r.gpuInstanceID(), r.computeInstanceID());
    if (live.isEmpty() || !live.get().equals(r.migUUID())) {
      return Optional.empty();
    }
    boolean atPlacement = ops.live(gpu, dev).stream().anyMatch(i -> i.id() == r.gpuInstanceID()
        && i.profileId() == profile.profileId() && i.placement().equals(r.placement()));
    if (!atPlacement) {
      return Optional.empty();
    }
    ManagedInstance m = instance(gpu, profile, r, r.gpuInstanceID(), r.computeInstanceID(), r.migUUID(), key);
    ledger.add(m);
    MigLog.adopted(m, "identity recorded in the pod");
    return Optional.of(device(m, false));
  }

  /** For an INSUFFICIENT_RESOURCES error: what occupies the placement now. */
  private String occupants(NodeGpus.Gpu gpu, DeviceHandle dev, Placement placement) {
    try {
      List<String> found = new ArrayList<>();
      for (NvmlMig.LiveInstance i : ops.live(gpu, dev)) {
        if (i.placement().overlaps(placement)) {
          boolean managed = ledger.at(gpu.uuid, i.profileId(), i.placement()).isPresent();
          found.add("GI " + i.id() + " (" + i.profile() + " at " + text(i.placement()) + ", "
              + (managed ? "managed" : "not managed by this node") + ")");
        }
      }
      return found.isEmpty() ? "" : "; the placement is occupied by " + String.join(", ", found);
    } catch (NvmlException e) {
      return "";
    }
  }

  /** Destroys what this call created, newest first; what NVML refuses to destroy is left to the reconciler. */
  private String rollback(List<Created> created) {
    List<String> left = new ArrayList<>();
    for (int i = created.size() - 1; i >= 0; i--) {
      Created c = created.get(i);
      c.gpu.lock.lock();
      try {
        ops.destroyCreated(c.gi, c.ci);
        if (c.entry != null) {
          ledger.remove(c.entry);
        }
        MigLog.destroyed(c.instance, "rolled back after a failed Allocate");
      } catch (RuntimeException e) {
        ManagedInstance doomed = c.instance.doom();
        if (c.entry != null) {
          c.entry.set(doomed);
        } else {
          ledger.add(doomed);
        }
        MigLog.doomed(doomed, "rollback failed (" + e.getMessage() + "); the reconciler retries");
        left.add(doomed.describe());
      } finally {
        c.gpu.lock.unlock();
      }
    }
    if (created.isEmpty()) {
      return "";
    }
    return left.isEmpty() ? " (the " + created.size() + " MIG instance(s) created by this call were destroyed)"
        : " (not yet destroyed, retried by the reconciler: " + String.join("; ", left) + ")";
  }

  private static ManagedInstance instance(NodeGpus.Gpu gpu, NvmlMig.Profile profile, MigAllocation r, int giId,
      int ciId, String migUuid, ReservationKey owner) {
    return new ManagedInstance(gpu.uuid, gpu.index, r.profile(), profile.profileId(), r.placement(), giId, ciId,
        migUuid, owner, false);
  }

  private static MigDevice device(ManagedInstance m, boolean created) {
    return new MigDevice(m.owner().containerIndex(), m.owner().deviceIndex(), m.gpuUuid(), m.profile(),
        m.placement(), m.migUuid(), m.gpuInstanceId(), m.computeInstanceId(), created);
  }

  private static String text(Placement p) {
    return ManagedInstance.text(p);
  }
}
