package dev.hamij.api;

import java.time.Instant;

/**
 * Codec of the Unix-seconds pod annotations {@code hami.io/vgpu-time} and {@code hami.io/bind-time}
 * (scheduler.md §3.1): a decimal integer, as Go's {@code strconv.FormatInt(t.Unix(), 10)} writes it.
 */
public final class UnixTimeCodec {
  private UnixTimeCodec() {}

  /** Whole seconds since the epoch, truncated toward negative infinity like Go's {@code Unix()}. */
  public static String encode(Instant time) {
    return Long.toString(time.getEpochSecond());
  }

  /**
   * Parses a Unix-seconds value.
   *
   * @param annotationKey the annotation read, for error messages
   * @param podRef {@code namespace/name} of the pod, for error messages
   * @throws HamiFormatException when the value is not a base-10 64-bit integer within {@link Instant}'s range
   */
  public static Instant decode(String value, String annotationKey, String podRef) {
    Long seconds = GoText.parseInteger(value, Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond());
    if (seconds == null) {
      throw new HamiFormatException(annotationKey, podRef, "expected Unix seconds as a decimal integer, got "
          + (value == null ? "nothing" : "\"" + GoText.abbreviate(value) + "\""));
    }
    return Instant.ofEpochSecond(seconds);
  }
}
