package dev.hamij.api;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Codec of the node annotation {@code hami.io/mutex.lock} (scheduler.md §3.6, node.md §2.7.1):
 * {@code <RFC3339 time>,<pod namespace>,<pod name>}, e.g. {@code 2026-08-21T06:20:39Z,default,gpu-pod},
 * or the legacy bare RFC3339 time without an owner.
 */
public final class NodeLockCodec {
  private NodeLockCodec() {}

  private static final String KEY = Annotations.NODE_LOCK;
  private static final DateTimeFormatter UTC_SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'");
  /** RFC 3339 as Go's {@code time.Parse(time.RFC3339, …)} accepts it (fractional seconds allowed). */
  private static final Pattern RFC3339 = Pattern.compile(
      "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d{1,9})?(Z|([+-])(\\d{2}):(\\d{2}))");

  /**
   * Encodes the lock: the time in UTC truncated to seconds, then {@code ,namespace,name}; a lock
   * without owner (both empty) is the legacy bare timestamp.
   *
   * @throws HamiFormatException when the namespace or name contains {@code ,}
   */
  public static String encode(NodeLock lock) {
    String time = UTC_SECONDS.format(lock.time().truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC));
    if (lock.namespace().isEmpty() && lock.name().isEmpty()) {
      return time;
    }
    if (lock.namespace().indexOf(',') >= 0 || lock.name().indexOf(',') >= 0) {
      throw new HamiFormatException(KEY, lock.namespace() + "/" + lock.name(), "lock owner must not contain ','");
    }
    return time + "," + lock.namespace() + "," + lock.name();
  }

  /**
   * Decodes a lock value: three comma-separated parts, or one (legacy, no owner).
   *
   * @param nodeName the locked node, for error messages
   * @throws HamiFormatException "malformed lock annotation: expected 3 parts, got N from …" for a
   *     wrong shape, or a message naming the timestamp when it is not RFC 3339
   */
  public static NodeLock decode(String value, String nodeName) {
    if (value == null) {
      throw new HamiFormatException(KEY, nodeName, "malformed lock annotation: value is missing");
    }
    String[] parts = value.split(",", -1);
    if (parts.length != 1 && parts.length != 3) {
      throw new HamiFormatException(KEY, nodeName, "malformed lock annotation: expected 3 parts, got "
          + parts.length + " from " + GoText.abbreviate(value));
    }
    Instant time = parseRfc3339(parts[0]);
    if (time == null) {
      throw new HamiFormatException(KEY, nodeName, "malformed lock annotation: invalid time \""
          + GoText.abbreviate(parts[0]) + "\" (expected RFC 3339 such as 2026-08-21T06:20:39Z)");
    }
    return parts.length == 1 ? new NodeLock(time, "", "") : new NodeLock(time, parts[1], parts[2]);
  }

  private static Instant parseRfc3339(String text) {
    Matcher m = RFC3339.matcher(text);
    if (!m.matches()) {
      return null;
    }
    try {
      int nanos = 0;
      if (m.group(7) != null) {
        String fraction = (m.group(7).substring(1) + "00000000").substring(0, 9);
        nanos = Integer.parseInt(fraction);
      }
      LocalDateTime local = LocalDateTime.of(num(m, 1), num(m, 2), num(m, 3), num(m, 4), num(m, 5), num(m, 6), nanos);
      ZoneOffset offset = ZoneOffset.UTC;
      if (m.group(9) != null) {
        int hours = num(m, 10);
        int minutes = num(m, 11);
        if (hours > 23 || minutes > 59) {
          return null;
        }
        int seconds = (hours * 3600 + minutes * 60) * ("-".equals(m.group(9)) ? -1 : 1);
        offset = ZoneOffset.ofTotalSeconds(seconds);
      }
      return local.toInstant(offset);
    } catch (DateTimeException e) {
      return null;
    }
  }

  private static int num(Matcher m, int group) {
    return Integer.parseInt(m.group(group));
  }
}
