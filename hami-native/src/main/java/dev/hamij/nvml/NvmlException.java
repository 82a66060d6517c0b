package dev.hamij.nvml;

import java.util.Objects;

/**
 * An NVML call that did not return {@code NVML_SUCCESS}. The message always names the C function, the device (or
 * "system" for calls without one) and the return code, e.g.
 * {@code nvmlDeviceCreateGpuInstanceWithPlacement on GPU 0 (GPU-8e2b...): INSUFFICIENT_RESOURCES (23)}.
 */
public final class NvmlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final NvmlReturn code;
  private final int rawCode;
  private final NvmlFunction function;
  private final String device;

  /** An error for {@code function} on {@code device} ("system" when the call has no device). */
  public NvmlException(NvmlReturn code, NvmlFunction function, String device) {
    this(code, code.code(), function, device, null, null);
  }

  /** As {@link #NvmlException(NvmlReturn, NvmlFunction, String)} with extra detail and an optional cause. */
  public NvmlException(NvmlReturn code, NvmlFunction function, String device, String detail, Throwable cause) {
    this(code, code.code(), function, device, detail, cause);
  }

  NvmlException(NvmlReturn code, int rawCode, NvmlFunction function, String device, String detail, Throwable cause) {
    super(message(code, rawCode, function, device, detail), cause);
    if (code == NvmlReturn.SUCCESS) {
      throw new IllegalArgumentException("an NvmlException cannot carry SUCCESS");
    }
    this.code = code;
    this.rawCode = rawCode;
    this.function = Objects.requireNonNull(function, "function");
    this.device = Objects.requireNonNull(device, "device");
  }

  private static String message(NvmlReturn code, int raw, NvmlFunction function, String device, String detail) {
    String text = function.symbol() + " on " + device + ": " + code + " (" + raw + ")";
    return detail == null || detail.isEmpty() ? text : text + ": " + detail;
  }

  /** The NVML return code. */
  public NvmlReturn code() {
    return code;
  }

  /** The numeric return code as NVML gave it (differs from {@code code().code()} only for UNRECOGNIZED). */
  public int rawCode() {
    return rawCode;
  }

  /** The NVML function that failed. */
  public NvmlFunction function() {
    return function;
  }

  /** The device the call was about, e.g. {@code GPU 0 (GPU-...)}, or {@code system}. */
  public String device() {
    return device;
  }
}
