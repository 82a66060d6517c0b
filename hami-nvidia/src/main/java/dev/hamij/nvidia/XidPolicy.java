package dev.hamij.nvidia;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which XIDs make a GPU unhealthy (node.md §2.6). By default every XID except HAMi's application errors
 * {@code 13, 31, 43, 45, 68, 109}. {@code DP_DISABLE_HEALTHCHECKS} = {@code all} or {@code xids} turns checking off,
 * otherwise it lists more XIDs to ignore. {@code DP_ENABLE_HEALTHCHECKS} lists XIDs that always count, overriding
 * both lists (also with checking off: then only they count), and {@code all} makes every XID count. Lists are
 * comma-separated; entries that are not numbers are ignored. Immutable.
 */
public final class XidPolicy {
  /** Environment variable: XIDs to ignore, or {@code all}/{@code xids}. */
  public static final String DISABLE_ENV = "DP_DISABLE_HEALTHCHECKS";
  /** Environment variable: XIDs that always count, or {@code all}. */
  public static final String ENABLE_ENV = "DP_ENABLE_HEALTHCHECKS";
  /** Application-error XIDs HAMi never treats as a GPU fault. */
  public static final Set<Long> APPLICATION_XIDS = Set.of(13L, 31L, 43L, 45L, 68L, 109L);

  private final boolean everyXidCounts;
  private final boolean checksDisabled;
  private final Set<Long> ignored;
  private final Set<Long> forced;

  private XidPolicy(boolean everyXidCounts, boolean checksDisabled, Set<Long> ignored, Set<Long> forced) {
    this.everyXidCounts = everyXidCounts;
    this.checksDisabled = checksDisabled;
    this.ignored = Set.copyOf(ignored);
    this.forced = Set.copyOf(forced);
  }

  /** The policy HAMi uses without either variable. */
  public static XidPolicy defaults() {
    return of(null, null);
  }

  /** The policy from an environment such as {@code System.getenv()}. */
  public static XidPolicy fromEnvironment(Map<String, String> env) {
    return of(env.get(DISABLE_ENV), env.get(ENABLE_ENV));
  }

  /** The policy for the two variables' values (null = unset). */
  public static XidPolicy of(String disable, String enable) {
    Set<Long> forced = new HashSet<>();
    boolean everyXidCounts = parse(enable, forced);
    Set<Long> ignored = new HashSet<>(APPLICATION_XIDS);
    boolean checksDisabled = parse(disable, ignored) || containsWord(disable, "xids");
    ignored.removeAll(forced);
    return new XidPolicy(everyXidCounts, checksDisabled && !everyXidCounts, ignored, forced);
  }

  /** False when no XID can ever make a GPU unhealthy, so the watcher need not run. */
  public boolean healthChecksEnabled() {
    return everyXidCounts || !checksDisabled || !forced.isEmpty();
  }

  /** True when this XID marks the GPU unhealthy. */
  public boolean isCritical(long xid) {
    if (everyXidCounts || forced.contains(xid)) {
      return true;
    }
    return !checksDisabled && !ignored.contains(xid);
  }

  /** Adds the numeric entries of a comma list to {@code into}; returns true when the list says {@code all}. */
  private static boolean parse(String list, Set<Long> into) {
    boolean all = false;
    if (list == null) {
      return false;
    }
    for (String raw : list.split(",")) {
      String entry = raw.trim().toLowerCase(Locale.ROOT);
      if (entry.equals("all")) {
        all = true;
      } else {
        try {
          into.add(Long.parseLong(entry));
        } catch (NumberFormatException e) {
          // upstream ignores entries it cannot parse
        }
      }
    }
    return all;
  }

  private static boolean containsWord(String list, String word) {
    if (list == null) {
      return false;
    }
    for (String raw : list.split(",")) {
      if (raw.trim().equalsIgnoreCase(word)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    if (everyXidCounts) {
      return "every XID counts";
    }
    if (checksDisabled) {
      return forced.isEmpty() ? "health checks disabled" : "only XIDs " + forced + " count";
    }
    return "every XID except " + ignored + " counts";
  }
}
