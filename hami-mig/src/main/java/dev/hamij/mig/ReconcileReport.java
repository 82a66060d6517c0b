package dev.hamij.mig;

import java.util.ArrayList;
import java.util.List;

/**
 * What one {@link MigManager#reconcileOnce()} did.
 *
 * @param clusterError why the node's pods could not be read (then nothing was touched), or null
 * @param synced whether the start-up adoption and clean-up has completed (in this round or an earlier one)
 * @param adopted instances found on the GPUs and taken over for the active reservations they serve
 * @param quarantined instances at a reservation's placement whose identity differs from the recorded one
 * @param destroyed instances destroyed because no active reservation holds them any more
 * @param stillInUse released instances NVML refused to destroy because work still runs in them; retried next round
 * @param errors NVML failures, each naming the GPU and the instance; other GPUs were handled regardless
 * @param notes things left alone on purpose, e.g. an annotation that cannot be decoded
 */
public record ReconcileReport(String clusterError, boolean synced, List<ManagedInstance> adopted,
    List<ManagedInstance> quarantined, List<ManagedInstance> destroyed, List<ManagedInstance> stillInUse,
    List<String> errors, List<String> notes) {

  public ReconcileReport {
    adopted = List.copyOf(adopted);
    quarantined = List.copyOf(quarantined);
    destroyed = List.copyOf(destroyed);
    stillInUse = List.copyOf(stillInUse);
    errors = List.copyOf(errors);
    notes = List.copyOf(notes);
  }

  /** True when the cluster could be read this round. */
  public boolean clusterRead() {
    return clusterError == null;
  }

  /** Collects a report. */
  static final class Builder {
    String clusterError;
    boolean synced;
    final List<ManagedInstance> adopted = new ArrayList<>();
    final List<ManagedInstance> quarantined = new ArrayList<>();
    final List<ManagedInstance> destroyed = new ArrayList<>();
    final List<ManagedInstance> stillInUse = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    ReconcileReport build() {
      return new ReconcileReport(clusterError, synced, adopted, quarantined, destroyed, stillInUse, errors, notes);
    }
  }
}
