package dev.hamij.nvml;

/**
 * Placement of a MIG instance ({@code nvmlGpuInstancePlacement_t}, also used for compute instances): it occupies
 * slices {@code [start, start + size)} (memory slices for GPU instances, compute slices for compute instances).
 */
public record InstancePlacement(int start, int size) {
  public InstancePlacement {
    if (start < 0 || size < 1) {
      throw new IllegalArgumentException("placement needs start >= 0 and size >= 1, got start=" + start
          + " size=" + size);
    }
  }

  /** One past the last slice. */
  public int end() {
    return start + size;
  }

  /** True when the two slice intervals intersect. */
  public boolean overlaps(InstancePlacement other) {
    return start < other.end() && other.start < end();
  }

  @Override
  public String toString() {
    return start + ":" + size;
  }
}
