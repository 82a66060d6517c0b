package dev.hamij.extender.sim;

import java.io.PrintWriter;
import java.util.Locale;

/** A one-line progress bar redrawn in place on stderr; silent when disabled. */
final class ProgressBar {
  private static final int WIDTH = 30;
  private final PrintWriter err;
  private final boolean enabled;
  private final int runs;
  private int lastShown = -1;

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
    double overall = (run + (total == 0 ? 1 : (double) done / total)) / runs;
    int permille = (int) (overall * 1000);
    if (permille == lastShown) {
      return;
    }
    lastShown = permille;
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
