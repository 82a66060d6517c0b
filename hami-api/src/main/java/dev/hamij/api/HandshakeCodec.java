package dev.hamij.api;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Values of the node annotation {@code hami.io/node-handshake} (scheduler.md §2.6, node.md §2.5):
 * {@code Requesting_<yyyy-MM-dd HH:mm:ss>} and {@code Deleted_<…>} written by schedulers, and
 * {@code Reported <Go time.String()>} written by v2.5–v2.7 device plugins.
 *
 * <p>Times are wall-clock times in a zone the caller gives (upstream uses the process's local
 * zone). {@link #parse} never throws: like upstream, a value whose time does not parse is still
 * classified, just without a time.
 */
public final class HandshakeCodec {
  private HandshakeCodec() {}

  /** What a handshake value says. */
  public enum Kind {
    /** The scheduler asked the device plugin to report ({@code Requesting_…}). */
    REQUESTING,
    /** The scheduler dropped the node's devices ({@code Deleted_…}). */
    DELETED,
    /** A device plugin reported ({@code Reported …}). */
    REPORTED,
    /** Absent, empty or anything else; schedulers treat it like {@link #REPORTED}. */
    OTHER
  }

  /** A classified handshake value and, when it parsed, its time. */
  public record Handshake(Kind kind, Optional<Instant> time) {
    public Handshake {
      if (kind == null || time == null) {
        throw new IllegalArgumentException("kind and time must not be null");
      }
    }
  }

  private static final DateTimeFormatter WALL = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss")
      .withResolverStyle(ResolverStyle.STRICT);
  private static final DateTimeFormatter OFFSET = DateTimeFormatter.ofPattern("xx", Locale.ROOT);
  private static final DateTimeFormatter ZONE_NAME = DateTimeFormatter.ofPattern("zzz", Locale.ROOT);
  private static final Pattern WALL_PREFIX =
      Pattern.compile("(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})(\\.\\d{1,9})?");
  private static final Pattern REPORTED =
      Pattern.compile("Reported (\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})(\\.\\d{1,9})? ([+-])(\\d{2})(\\d{2})\\b.*",
          Pattern.DOTALL);

  /** {@code Requesting_} + the wall time of {@code now} in {@code zone}. */
  public static String requesting(Instant now, ZoneId zone) {
    return "Requesting_" + wall(now, zone);
  }

  /** {@code Deleted_} + the wall time of {@code now} in {@code zone}. */
  public static String deleted(Instant now, ZoneId zone) {
    return "Deleted_" + wall(now, zone);
  }

  /**
   * {@code Reported } + Go's {@code time.Time.String()} without the monotonic part, e.g.
   * {@code Reported 2025-01-03 09:56:10.43 +0000 UTC}.
   */
  public static String reported(Instant now, ZoneId zone) {
    ZonedDateTime t = now.atZone(zone);
    StringBuilder out = new StringBuilder("Reported ").append(WALL.format(t));
    int nanos = t.getNano();
    if (nanos != 0) {
      String fraction = String.format(Locale.ROOT, "%09d", nanos).replaceAll("0+$", "");
      out.append('.').append(fraction);
    }
    String offset = OFFSET.format(t);
    String name = zone instanceof ZoneOffset ? (zone.equals(ZoneOffset.UTC) ? "UTC" : offset) : ZONE_NAME.format(t);
    return out.append(' ').append(offset).append(' ').append(name).toString();
  }

  private static String wall(Instant now, ZoneId zone) {
    return WALL.format(now.truncatedTo(ChronoUnit.SECONDS).atZone(zone));
  }

  /**
   * Classifies a value. A value containing {@code Requesting} is {@link Kind#REQUESTING} (HEAD's
   * rule), else one containing {@code Deleted} is {@link Kind#DELETED}, else one starting with
   * {@code Reported } is {@link Kind#REPORTED}; anything else, including {@code null}, is
   * {@link Kind#OTHER}. The time of a Requesting/Deleted value is the text after the first
   * {@code _} (up to a further {@code _}) read as wall time in {@code zone}.
   */
  public static Handshake parse(String value, ZoneId zone) {
    if (value == null) {
      return new Handshake(Kind.OTHER, Optional.empty());
    }
    if (value.contains("Requesting")) {
      return new Handshake(Kind.REQUESTING, underscoreTime(value, zone));
    }
    if (value.contains("Deleted")) {
      return new Handshake(Kind.DELETED, underscoreTime(value, zone));
    }
    if (value.startsWith("Reported ")) {
      return new Handshake(Kind.REPORTED, reportedTime(value));
    }
    return new Handshake(Kind.OTHER, Optional.empty());
  }

  private static Optional<Instant> underscoreTime(String value, ZoneId zone) {
    int us = value.indexOf('_');
    if (us < 0) {
      return Optional.empty();
    }
    int end = value.indexOf('_', us + 1);
    String text = end < 0 ? value.substring(us + 1) : value.substring(us + 1, end);
    Matcher m = WALL_PREFIX.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      LocalDateTime local = LocalDateTime.parse(m.group(1), WALL).withNano(nanos(m.group(2)));
      return Optional.of(local.atZone(zone).toInstant());
    } catch (DateTimeException e) {
      return Optional.empty();
    }
  }

  private static Optional<Instant> reportedTime(String value) {
    Matcher m = REPORTED.matcher(value);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      LocalDateTime local = LocalDateTime.parse(m.group(1), WALL).withNano(nanos(m.group(2)));
      int sign = "-".equals(m.group(3)) ? -1 : 1;
      ZoneOffset offset = ZoneOffset.ofHoursMinutes(sign * Integer.parseInt(m.group(4)),
          sign * Integer.parseInt(m.group(5)));
      return Optional.of(local.toInstant(offset));
    } catch (DateTimeException e) {
      return Optional.empty();
    }
  }

  private static int nanos(String fractionWithDot) {
    if (fractionWithDot == null) {
      return 0;
    }
    return Integer.parseInt((fractionWithDot.substring(1) + "00000000").substring(0, 9));
  }
}
