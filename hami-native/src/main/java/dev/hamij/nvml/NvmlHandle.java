package dev.hamij.nvml;

import java.util.Objects;

/**
 * An opaque NVML handle produced by one {@link Nvml} implementation and only meaningful to it. Two handles are
 * equal when they refer to the same native object. {@link #toString()} is a human-readable label used in errors.
 */
public abstract sealed class NvmlHandle permits DeviceHandle, GpuInstanceHandle, ComputeInstanceHandle, EventSet {
  private final Object ref;
  private final String label;

  NvmlHandle(Object ref, String label) {
    this.ref = Objects.requireNonNull(ref, "ref");
    this.label = Objects.requireNonNull(label, "label");
  }

  final Object ref() {
    return ref;
  }

  @Override
  public final boolean equals(Object o) {
    return o != null && o.getClass() == getClass() && ((NvmlHandle) o).ref.equals(ref);
  }

  @Override
  public final int hashCode() {
    return ref.hashCode();
  }

  @Override
  public final String toString() {
    return label;
  }
}
