package dev.hamij.extender.sim;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place on stderr, at most five times a second and only once a
 * run has taken more than a second; silent when disabled.
 */
final class ProgressBar {
  private static final int WIDTH = 30;
  private final PrintWriter err;
  private final boolean enabled;
  private final int runs;
  private int lastShown = -1;
  private final long started = System.nanoTime();
  private long lastDraw;

  ProgressBar(PrintWriter err, boolean enabled, int runs) {
    this.err = err;
    this.enabled = enabled;
    this.runs = runs;
  }

  /** Run {@code run} (0-based) of {@code label} has processed {@code done} of {@code total} arrivals. */
  void update(int run, String label, long done, long total) {
    if (!enabled) {
      return;
    }
    long nowNanos = System.nanoTime();
    if (nowNanos - started < 1_000_000_000L || nowNanos - lastDraw < 200_000_000L) {
      return;
    }
    lastDraw = nowNanos;
    double overall = (run + (total == 0 ? 1 : (double) done / total)) / runs;
    lastShown = (int) (overall * 1000);
    int filled = (int) Math.round(overall * WIDTH);
    err.print(String.format(Locale.ROOT, "\r[%s%s] %5.1f%%  run %d/%d %-40s", "#".repeat(filled),
        ".".repeat(WIDTH - filled), overall * 100, run + 1, runs, label));
    err.flush();
  }

  void finish() {
    if (enabled && lastShown >= 0) {
      err.println();
      err.flush();
    }
  }
}
