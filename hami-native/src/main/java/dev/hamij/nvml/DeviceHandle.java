package dev.hamij.nvml;

/** A GPU or a MIG device ({@code nvmlDevice_t}). Opaque; valid only for the {@link Nvml} that returned it. */
public final class DeviceHandle extends NvmlHandle {
  DeviceHandle(Object ref, String label) {
    super(ref, label);
  }
}
