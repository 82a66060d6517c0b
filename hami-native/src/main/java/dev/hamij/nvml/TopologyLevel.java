package dev.hamij.nvml;

/**
 * Closest common ancestor of two GPUs in the system topology ({@code nvmlGpuTopologyLevel_t}), from nearest to
 * farthest.
 */
public enum TopologyLevel {
  /** The same board (e.g. two GPUs on one card). */
  INTERNAL(0),
  /** One PCIe switch. */
  SINGLE(10),
  /** Several PCIe switches, no host bridge. */
  MULTIPLE(20),
  /** One host bridge. */
  HOSTBRIDGE(30),
  /** Host bridges within one NUMA node. */
  NODE(40),
  /** Across NUMA nodes (SMP interconnect). */
  SYSTEM(50);

  private final int code;

  TopologyLevel(int code) {
    this.code = code;
  }

  /** The NVML numeric value. */
  public int code() {
    return code;
  }

  /** Maps NVML's numeric value; unknown values are an {@link IllegalArgumentException}. */
  public static TopologyLevel of(int code) {
    for (TopologyLevel level : values()) {
      if (level.code == code) {
        return level;
      }
    }
    throw new IllegalArgumentException("unknown NVML topology level " + code);
  }
}
