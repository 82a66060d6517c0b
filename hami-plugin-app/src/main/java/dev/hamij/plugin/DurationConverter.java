package dev.hamij.plugin;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations on the command line as Go writes them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h30m}. */
final class DurationConverter implements ITypeConverter<Duration> {

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    Matcher m = PART.matcher(value);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.lookingAt()) {
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      });
      end = m.end();
      m.region(end, value.length());
    }
    if (end == 0 || end != value.length()) {
      throw new TypeConversionException("'" + value + "' is not a duration such as 500ms, 30s, 5m or 1h30m");
    }
    return total;
  }
}
