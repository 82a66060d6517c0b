package dev.hamij.nvml;

import java.util.Objects;

/**
 * One NVML event ({@code nvmlEventData_t}). For XID events {@code eventData} is the XID; the instance ids are
 * {@link Nvml#NO_INSTANCE} unless the driver attributed the event to a MIG instance.
 */
public record EventData(
    DeviceHandle device, long eventType, long eventData, int gpuInstanceId, int computeInstanceId) {
  /** {@code nvmlEventTypeSingleBitEccError}. */
  public static final long SINGLE_BIT_ECC_ERROR = 0x1L;
  /** {@code nvmlEventTypeDoubleBitEccError}. */
  public static final long DOUBLE_BIT_ECC_ERROR = 0x2L;
  /** {@code nvmlEventTypePState}. */
  public static final long PSTATE = 0x4L;
  /** {@code nvmlEventTypeXidCriticalError}. */
  public static final long XID_CRITICAL_ERROR = 0x8L;
  /** {@code nvmlEventTypeClock}. */
  public static final long CLOCK = 0x10L;

  public EventData {
    Objects.requireNonNull(device, "device");
  }

  /** True for an XID critical-error event. */
  public boolean isXid() {
    return eventType == XID_CRITICAL_ERROR;
  }
}
