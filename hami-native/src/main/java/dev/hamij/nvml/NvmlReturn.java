package dev.hamij.nvml;

/**
 * NVML return codes ({@code nvmlReturn_t}, node.md §8.3). {@link #UNRECOGNIZED} stands for any code this
 * version does not know; {@link NvmlException#rawCode()} keeps the original number.
 */
public enum NvmlReturn {
  SUCCESS(0),
  UNINITIALIZED(1),
  INVALID_ARGUMENT(2),
  NOT_SUPPORTED(3),
  NO_PERMISSION(4),
  ALREADY_INITIALIZED(5),
  NOT_FOUND(6),
  INSUFFICIENT_SIZE(7),
  INSUFFICIENT_POWER(8),
  DRIVER_NOT_LOADED(9),
  TIMEOUT(10),
  IRQ_ISSUE(11),
  LIBRARY_NOT_FOUND(12),
  FUNCTION_NOT_FOUND(13),
  CORRUPTED_INFOROM(14),
  GPU_IS_LOST(15),
  RESET_REQUIRED(16),
  OPERATING_SYSTEM(17),
  LIB_RM_VERSION_MISMATCH(18),
  IN_USE(19),
  MEMORY(20),
  NO_DATA(21),
  VGPU_ECC_NOT_SUPPORTED(22),
  INSUFFICIENT_RESOURCES(23),
  FREQ_NOT_SUPPORTED(24),
  ARGUMENT_VERSION_MISMATCH(25),
  DEPRECATED(26),
  NOT_READY(27),
  GPU_NOT_FOUND(28),
  INVALID_STATE(29),
  RESET_TYPE_NOT_SUPPORTED(30),
  UNKNOWN(999),
  /** A code not listed here; see {@link NvmlException#rawCode()}. */
  UNRECOGNIZED(-1);

  private static final NvmlReturn[] BY_SMALL_CODE = new NvmlReturn[31];

  static {
    for (NvmlReturn r : values()) {
      if (r.code >= 0 && r.code < BY_SMALL_CODE.length) {
        BY_SMALL_CODE[r.code] = r;
      }
    }
  }

  private final int code;

  NvmlReturn(int code) {
    this.code = code;
  }

  /** The numeric {@code nvmlReturn_t} value ({@code -1} for {@link #UNRECOGNIZED}). */
  public int code() {
    return code;
  }

  /** Maps a numeric {@code nvmlReturn_t}; never null. */
  public static NvmlReturn of(int code) {
    if (code >= 0 && code < BY_SMALL_CODE.length) {
      return BY_SMALL_CODE[code];
    }
    return code == UNKNOWN.code ? UNKNOWN : UNRECOGNIZED;
  }

  /**
   * True for the codes that mean the device itself is in trouble ({@code GPU_IS_LOST}, {@code UNKNOWN},
   * {@code IRQ_ISSUE}): the caller should mark that GPU unhealthy rather than treat the answer as a capability.
   */
  public boolean meansDeviceUnhealthy() {
    return this == GPU_IS_LOST || this == UNKNOWN || this == IRQ_ISSUE;
  }
}
