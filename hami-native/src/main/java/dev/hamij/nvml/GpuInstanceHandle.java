package dev.hamij.nvml;

/** A MIG GPU instance ({@code nvmlGpuInstance_t}). Opaque; valid only for the {@link Nvml} that returned it. */
public final class GpuInstanceHandle extends NvmlHandle {
  GpuInstanceHandle(Object ref, String label) {
    super(ref, label);
  }
}
