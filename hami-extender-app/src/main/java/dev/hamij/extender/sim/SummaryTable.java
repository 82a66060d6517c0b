package dev.hamij.extender.sim;

import dev.hamij.core.sim.SimSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The terminal summary: one row per policy, aligned columns, mean ± sd over seeds where there are several. */
final class SummaryTable {
  static final List<String> HEADER = List.of("policy", "runs", "alloc@100% arrived", "alloc mean", "alloc peak",
      "GPUs full", "GPUs shared", "frag", "failed", "pending", "wait mean", "p50 ms", "p99 ms");

  private SummaryTable() {}

  /** The cells of one policy's row. */
  static List<String> row(SimSummary s) {
    return List.of(s.policy(), Integer.toString(s.runs().size()), pct(s.allocationAt100()), pct(s.allocationMean()),
        pct(s.allocationPeak()), count(s.gpusFull()), count(s.gpusShared()), pct(s.fragmentationAtLastArrival()),
        count(s.failed()), count(s.pendingAtEnd()), duration(s.waitMean()), millis(s.p50Nanos()),
        millis(s.p99Nanos()));
  }

  static String render(List<SimSummary> summaries) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(HEADER);
    for (SimSummary s : summaries) {
      rows.add(row(s));
    }
    int[] width = new int[HEADER.size()];
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < rows.size(); k++) {
      List<String> r = rows.get(k);
      for (int i = 0; i < r.size(); i++) {
        String cell = r.get(i);
        String pad = " ".repeat(width[i] - cell.length());
        sb.append(i == 0 ? cell + pad : "  " + pad + cell);
      }
      sb.append('\n');
      if (k == 0) {
        int total = 0;
        for (int w : width) {
          total += w + 2;
        }
        sb.append("-".repeat(total - 2)).append('\n');
      }
    }
    return sb.toString();
  }

  static String pct(SimSummary.Stat s) {
    if (s.n() == 0) {
      return "-";
    }
    return s.n() > 1 ? String.format(Locale.ROOT, "%.2f ± %.2f%%", s.mean(), s.sd())
        : String.format(Locale.ROOT, "%.2f%%", s.mean());
  }

  static String count(SimSummary.Stat s) {
    if (s.n() == 0) {
      return "-";
    }
    return s.n() > 1 ? String.format(Locale.ROOT, "%.1f ± %.1f", s.mean(), s.sd())
        : String.format(Locale.ROOT, "%.0f", s.mean());
  }

  /** A mean duration in the largest unit that keeps it at least 1 (ms, s, min, h). */
  static String duration(SimSummary.Stat s) {
    if (s.n() == 0) {
      return "-";
    }
    double ms = s.mean();
    if (ms >= 3_600_000) {
      return String.format(Locale.ROOT, "%.1f h", ms / 3_600_000);
    }
    if (ms >= 60_000) {
      return String.format(Locale.ROOT, "%.1f min", ms / 60_000);
    }
    if (ms >= 1000) {
      return String.format(Locale.ROOT, "%.1f s", ms / 1000);
    }
    return String.format(Locale.ROOT, "%.0f ms", ms);
  }

  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }
}
