package dev.hamij.nvml;

import java.util.Objects;

/**
 * How one GPU of a {@link SimulatedNvml} looks. Build it with {@link #of(String)} and the {@code with...} methods.
 *
 * @param model catalog key ({@code A100-40GB}) or a name drivers report ({@code NVIDIA A100-SXM4-40GB}); see
 *     {@link SimulatedNvml#knownModels()}
 * @param migEnabled current MIG mode (only for MIG-capable models)
 * @param migPendingEnabled pending MIG mode; differs from {@code migEnabled} when a change awaits a GPU reset
 * @param migChangeRequiresReset whether {@link Nvml#setMigMode} leaves the change pending ({@code RESET_REQUIRED})
 * @param numaNode NUMA node, {@code -1} for none
 * @param uuid the GPU UUID, or null for a deterministic one derived from the GPU's index
 * @param memoryMiB frame-buffer size, or 0 for the model's
 * @param unifiedMemory true for a unified-memory part whose memory query answers {@code NOT_SUPPORTED}
 */
public record SimulatedGpu(
    String model,
    boolean migEnabled,
    boolean migPendingEnabled,
    boolean migChangeRequiresReset,
    int numaNode,
    String uuid,
    long memoryMiB,
    boolean unifiedMemory) {
  public SimulatedGpu {
    Objects.requireNonNull(model, "model");
    if (numaNode < -1) {
      throw new IllegalArgumentException("GPU " + model + ": numaNode must be >= -1, got " + numaNode);
    }
    if (memoryMiB < 0) {
      throw new IllegalArgumentException("GPU " + model + ": memoryMiB must be >= 0, got " + memoryMiB);
    }
    if (uuid != null && !uuid.startsWith("GPU-")) {
      throw new IllegalArgumentException("GPU " + model + ": uuid '" + uuid + "' must start with GPU-");
    }
  }

  /** A GPU of this model with MIG off, NUMA node 0, derived UUID and the model's memory. */
  public static SimulatedGpu of(String model) {
    return new SimulatedGpu(model, false, false, false, 0, null, 0, false);
  }

  /** Same GPU with MIG mode current and pending set to {@code enabled}. */
  public SimulatedGpu withMig(boolean enabled) {
    return new SimulatedGpu(model, enabled, enabled, migChangeRequiresReset, numaNode, uuid, memoryMiB,
        unifiedMemory);
  }

  /** Same GPU with a pending MIG mode that differs from the current one until a reset. */
  public SimulatedGpu withPendingMig(boolean pendingEnabled) {
    return new SimulatedGpu(model, migEnabled, pendingEnabled, migChangeRequiresReset, numaNode, uuid, memoryMiB,
        unifiedMemory);
  }

  /** Same GPU whose MIG mode changes need a reset. */
  public SimulatedGpu withMigChangeRequiringReset() {
    return new SimulatedGpu(model, migEnabled, migPendingEnabled, true, numaNode, uuid, memoryMiB, unifiedMemory);
  }

  /** Same GPU on another NUMA node ({@code -1}: none). */
  public SimulatedGpu withNuma(int node) {
    return new SimulatedGpu(model, migEnabled, migPendingEnabled, migChangeRequiresReset, node, uuid, memoryMiB,
        unifiedMemory);
  }

  /** Same GPU with a fixed UUID. */
  public SimulatedGpu withUuid(String gpuUuid) {
    return new SimulatedGpu(model, migEnabled, migPendingEnabled, migChangeRequiresReset, numaNode, gpuUuid,
        memoryMiB, unifiedMemory);
  }

  /** Same GPU with another frame-buffer size. */
  public SimulatedGpu withMemoryMiB(long mib) {
    return new SimulatedGpu(model, migEnabled, migPendingEnabled, migChangeRequiresReset, numaNode, uuid, mib,
        unifiedMemory);
  }

  /** Same GPU as a unified-memory part (memory query {@code NOT_SUPPORTED}). */
  public SimulatedGpu withUnifiedMemory() {
    return new SimulatedGpu(model, migEnabled, migPendingEnabled, migChangeRequiresReset, numaNode, uuid, memoryMiB,
        true);
  }
}
