package dev.hamij.mig;

/**
 * The owner of a MIG instance: one device of one container of one pod. Because the pod uid is part of the key, two
 * reservations never share a MIG device, even when a stale annotation names the same GPU, profile and placement.
 */
public record ReservationKey(PodRef pod, int containerIndex, int deviceIndex) {
  public ReservationKey {
    if (pod == null || containerIndex < 0 || deviceIndex < 0) {
      throw new IllegalArgumentException("a reservation key needs a pod and non-negative indexes");
    }
  }

  @Override
  public String toString() {
    return "pod " + pod + " container " + containerIndex + " device " + deviceIndex;
  }
}
