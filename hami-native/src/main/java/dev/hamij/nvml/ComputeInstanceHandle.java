package dev.hamij.nvml;

/** A MIG compute instance ({@code nvmlComputeInstance_t}). Opaque; valid only for the {@link Nvml} that returned it. */
public final class ComputeInstanceHandle extends NvmlHandle {
  ComputeInstanceHandle(Object ref, String label) {
    super(ref, label);
  }
}
