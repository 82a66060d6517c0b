package dev.hamij.api;

/** A MIG placement: the memory-slice interval {@code [start, start + size)} of one GPU instance. */
public record Placement(int start, int size) {
  public Placement {
    if (start < 0 || size <= 0) {
      throw new IllegalArgumentException("placement needs start >= 0 and size > 0, got {" + start + "," + size + "}");
    }
  }

  /** True when the two intervals share at least one memory slice. */
  public boolean overlaps(Placement other) {
    return start < other.start + other.size && other.start < start + size;
  }

  /** Exclusive end slice. */
  public int end() {
    return start + size;
  }
}
