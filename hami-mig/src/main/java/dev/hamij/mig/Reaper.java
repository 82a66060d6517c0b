package dev.hamij.mig;

/** Destroys managed instances and keeps the ledger and the log in step with what NVML did. */
final class Reaper {
  private final NodeGpus gpus;
  private final NvmlMig ops;
  private final Ledger ledger;

  Reaper(NodeGpus gpus, NvmlMig ops, Ledger ledger) {
    this.gpus = gpus;
    this.ops = ops;
    this.ledger = ledger;
  }

  /**
   * Destroys the entry's instance; the caller holds the GPU's lock. The entry leaves the ledger when the instance is
   * destroyed, already gone, or replaced by one that is not ours; it stays (to be retried) when NVML answers
   * {@code IN_USE} or fails, and NVML's error propagates. An entry another thread already removed is left alone.
   */
  NvmlMig.Outcome reap(NodeGpus.Gpu gpu, Ledger.Entry entry, String why) {
    if (!ledger.contains(entry)) {
      return NvmlMig.Outcome.GONE;
    }
    ManagedInstance m = entry.instance();
    NvmlMig.Outcome outcome = ops.destroy(gpus.device(gpu), m.profileId(), m.placement(), m.gpuInstanceId(),
        m.computeInstanceId(), m.migUuid());
    switch (outcome) {
      case DESTROYED -> {
        ledger.remove(entry);
        MigLog.destroyed(m, why);
      }
      case GONE -> {
        ledger.remove(entry);
        MigLog.forgotten(m, "it no longer exists");
      }
      case NOT_OURS -> {
        ledger.remove(entry);
        MigLog.forgotten(m, "the instance at its placement now has another identity, left alone");
      }
      case IN_USE -> MigLog.inUse(m);
    }
    return outcome;
  }
}
