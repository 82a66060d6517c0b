package dev.hamij.nvml;

/**
 * NVML's plain {@code N}-slice profile enums. GPU-instance ({@code NVML_GPU_INSTANCE_PROFILE_<N>_SLICE}) and
 * compute-instance ({@code NVML_COMPUTE_INSTANCE_PROFILE_<N>_SLICE}) profiles share the numbering
 * 1→0, 2→1, 3→2, 4→3, 7→4, 8→5, 6→6. Variants ({@code REV1} {@code +me}, {@code REV2}, graphics ...) are not plain.
 */
public final class SliceProfiles {
  private static final int[] SLICES_BY_ENUM = {1, 2, 3, 4, 7, 8, 6};

  private SliceProfiles() {}

  /** Slices of a plain profile enum, or 0 when the enum is not a plain one. */
  public static int slicesOf(int profileEnum) {
    return profileEnum >= 0 && profileEnum < SLICES_BY_ENUM.length ? SLICES_BY_ENUM[profileEnum] : 0;
  }

  /** The plain profile enum with {@code slices} slices, or -1 when there is none. */
  public static int enumFor(int slices) {
    for (int e = 0; e < SLICES_BY_ENUM.length; e++) {
      if (SLICES_BY_ENUM[e] == slices) {
        return e;
      }
    }
    return -1;
  }
}
