package dev.hamij.mig;

import dev.hamij.api.Placement;

/**
 * A MIG instance the manager is responsible for: created or adopted for a reservation ({@code owner} set), or
 * awaiting destruction ({@code owner} null: left over from a failed Allocate, or found at start-up without an
 * active reservation). Ids are {@code -1} and {@code migUuid} null while unknown.
 *
 * @param quarantined true when the instance sits at a reservation's placement but its identity differs from the one
 *     recorded in the annotation: it is never handed to a container, and destroyed once the owner is gone
 */
public record ManagedInstance(String gpuUuid, int gpuIndex, String profile, int profileId, Placement placement,
    int gpuInstanceId, int computeInstanceId, String migUuid, ReservationKey owner, boolean quarantined) {

  /** True when no reservation owns the instance and the reconciler destroys it at the next chance. */
  public boolean doomed() {
    return owner == null;
  }

  ManagedInstance doom() {
    return new ManagedInstance(gpuUuid, gpuIndex, profile, profileId, placement, gpuInstanceId, computeInstanceId,
        migUuid, null, false);
  }

  String describe() {
    return "GPU " + gpuIndex + " (" + gpuUuid + ") " + profile + " at " + text(placement)
        + (gpuInstanceId < 0 ? "" : " GI " + gpuInstanceId)
        + (computeInstanceId < 0 ? "" : " CI " + computeInstanceId) + (migUuid == null ? "" : " " + migUuid)
        + (owner == null ? " (no owner)" : " for " + owner);
  }

  /** A placement as HAMi's messages write it: {@code {start,size}}. */
  static String text(Placement p) {
    return "{" + p.start() + "," + p.size() + "}";
  }
}
