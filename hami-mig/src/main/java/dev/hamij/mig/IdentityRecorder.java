package dev.hamij.mig;

import dev.hamij.api.HamiFormatException;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the runtime identity of realised MIG devices into the pod's {@code hami.io/vgpu-mig-allocations} with
 * optimistic concurrency. A 409 Conflict (kubelet updated the pod status meanwhile) is not a failure: the pod is read
 * afresh and the identity merged again, up to {@link MigSettings#identityWriteAttempts()} times. The write changes
 * nothing but the runtime fields of the realised entries, and is skipped when they already hold these values.
 */
final class IdentityRecorder {
  private final MigCluster cluster;
  private final int attempts;

  IdentityRecorder(MigCluster cluster, int attempts) {
    this.cluster = cluster;
    this.attempts = attempts;
  }

  void record(PodRef pod, List<MigDevice> devices) {
    for (int attempt = 1; attempt <= attempts; attempt++) {
      MigCluster.VersionedAllocations read = cluster.readAllocations(pod).orElseThrow(() -> new MigException(
          "pod " + pod + " no longer exists; the runtime identity of its MIG devices was not recorded"));
      List<MigAllocation> current;
      try {
        current = MigAllocationsCodec.decode(read.allocations(), pod.ref());
      } catch (HamiFormatException e) {
        throw new MigException("pod " + pod + ": cannot record the MIG runtime identity: " + e.getMessage(), e);
      }
      List<MigAllocation> updated = merge(pod, current, devices);
      if (updated.equals(current)) {
        return;
      }
      if (cluster.replaceAllocations(pod, read.resourceVersion(), MigAllocationsCodec.encode(updated))) {
        return;
      }
      MigLog.info("pod " + pod + " changed while its MIG runtime identity was written (409 Conflict, attempt "
          + attempt + " of " + attempts + "); reading it again");
    }
    throw new MigException("pod " + pod + ": the MIG runtime identity could not be written: the pod changed under"
        + " each of " + attempts + " attempts (409 Conflict)");
  }

  private static List<MigAllocation> merge(PodRef pod, List<MigAllocation> current, List<MigDevice> devices) {
    List<MigAllocation> out = new ArrayList<>(current);
    for (MigDevice d : devices) {
      int at = -1;
      for (int i = 0; i < out.size(); i++) {
        if (out.get(i).containerIndex() == d.containerIndex() && out.get(i).deviceIndex() == d.deviceIndex()) {
          at = i;
        }
      }
      String where = "pod " + pod + " container " + d.containerIndex() + " device " + d.deviceIndex();
      if (at < 0) {
        throw new MigException(where + ": the reservation disappeared from hami.io/vgpu-mig-allocations while its"
            + " MIG device was created");
      }
      MigAllocation a = out.get(at);
      if (!a.gpuUUID().equals(d.gpuUuid()) || !a.profile().equals(d.profile())
          || !a.placement().equals(d.placement())) {
        throw new MigException(where + ": the reservation changed to " + a.profile() + " at {"
            + a.placement().start() + "," + a.placement().size() + "} on " + a.gpuUUID()
            + " while its MIG device was created as " + d.profile() + " at {" + d.placement().start() + ","
            + d.placement().size() + "} on " + d.gpuUuid());
      }
      out.set(at, a.withRuntime(d.migUuid(), d.gpuInstanceId(), d.computeInstanceId()));
    }
    return out;
  }
}
