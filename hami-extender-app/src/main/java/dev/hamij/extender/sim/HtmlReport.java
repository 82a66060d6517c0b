package dev.hamij.extender.sim;

import dev.hamij.core.sim.SimResult;
import dev.hamij.core.sim.SimSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The {@code --report} output: one self-contained HTML file (inline CSS and SVG; no scripts, no
 * external fetches) with the summary table, allocation and fragmentation against arrived workload,
 * utilisation and pending pods over time, a per-GPU heat map at the end, the failure reasons and MIG
 * layouts. Over-time charts and heat maps show each policy's first seed.
 */
final class HtmlReport {
  private HtmlReport() {}

  static void write(SimulateCommand.Outcome o, Path file) throws IOException {
    Files.writeString(file, render(o));
  }

  static String render(SimulateCommand.Outcome o) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>HAMi-J simulation report</title>\n")
        .append("<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}table{border-collapse:collapse;"
            + "margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}"
            + "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:13px}"
            + "h2{margin-top:32px;border-bottom:1px solid #ddd}.heat{margin:8px 0 16px}</style>\n</head><body>\n");
    sb.append("<h1>HAMi-J what-if simulation</h1>\n<p class=\"note\">")
        .append(Svg.esc(SimulateCommand.header(o)).replace("\n", "<br>\n")).append("</p>\n");
    sb.append("<p class=\"note\">Command: <code>").append(Svg.esc(o.command())).append("</code></p>\n");
    if (o.trace()) {
      sb.append("<p class=\"note\"><b>Data:</b> Alibaba GPU-sharing trace openb (cluster-trace-gpu-v2023), research/study "
          + "use only. Cite: ").append(Svg.esc(SimulateCommand.CITATION)).append("</p>\n");
    }
    summary(sb, o);
    allocation(sb, o);
    overTime(sb, o);
    heat(sb, o);
    reasons(sb, o);
    mig(sb, o);
    sb.append("</body></html>\n");
    return sb.toString();
  }

  private static void summary(StringBuilder sb, SimulateCommand.Outcome o) {
    sb.append("<h2>Summary</h2>\n<table id=\"summary\"><tr>");
    for (String h : SummaryTable.HEADER) {
      sb.append("<th>").append(Svg.esc(h)).append("</th>");
    }
    sb.append("</tr>\n");
    for (SimSummary s : o.summaries()) {
      sb.append("<tr>");
      for (String c : SummaryTable.row(s)) {
        sb.append("<td>").append(Svg.esc(c)).append("</td>");
      }
      sb.append("</tr>\n");
    }
    sb.append("</table>\n");
  }

  private static void allocation(StringBuilder sb, SimulateCommand.Outcome o) {
    int buckets = 101;
    for (SimSummary s : o.summaries()) {
      buckets = Math.max(buckets, s.curve().size());
    }
    List<Svg.Line> lines = new ArrayList<>();
    List<Svg.Line> frag = new ArrayList<>();
    for (int k = 0; k < o.summaries().size(); k++) {
      SimSummary s = o.summaries().get(k);
      double[] xs = new double[s.curve().size()];
      double[] lo = new double[xs.length];
      double[] mid = new double[xs.length];
      double[] hi = new double[xs.length];
      double[] f = new double[xs.length];
      for (int b = 0; b < xs.length; b++) {
        xs[b] = b;
        double[] q = s.curve().get(b);
        lo[b] = q == null ? Double.NaN : q[0];
        mid[b] = q == null ? Double.NaN : q[1];
        hi[b] = q == null ? Double.NaN : q[2];
        double sum = 0;
        int n = 0;
        for (SimResult r : s.runs()) {
          Double v = b < r.fragmentationByArrived().size() ? r.fragmentationByArrived().get(b) : null;
          if (v != null) {
            sum += v;
            n++;
          }
        }
        f[b] = n == 0 ? Double.NaN : sum / n;
      }
      lines.add(new Svg.Line(s.policy(), Svg.color(k), xs, mid, s.runs().size() > 1 ? lo : null, hi, false));
      frag.add(new Svg.Line(s.policy(), Svg.color(k), xs, f, null, null, false));
    }
    double[] ix = new double[buckets];
    double[] iy = new double[buckets];
    for (int b = 0; b < buckets; b++) {
      ix[b] = b;
      iy[b] = Math.min(b, 100);
    }
    lines.add(new Svg.Line("ideal", "#999999", ix, iy, null, null, true));
    sb.append("<h2>Allocation rate vs arrived workload</h2>\n<p class=\"note\">GPU demand of the running pods against the "
        + "GPU demand that has arrived so far (placed or not), both in % of cluster capacity; median over seeds with the "
        + "25–75% band. The dashed line is the ideal (everything that arrived is allocated, up to 100%).</p>\n");
    sb.append(Svg.lineChart("chart-allocation", "arrived workload (% of GPU capacity)", "allocation (% of GPU capacity)",
        buckets - 1, 100, lines));
    if (buckets > 101) {
      double xMax = Math.min(buckets - 1, 130);
      double yMin = 100;
      for (Svg.Line l : lines) {
        for (int i = 0; i < l.xs().length; i++) {
          if (l.xs()[i] >= 75 && l.xs()[i] <= xMax && !Double.isNaN(l.ys()[i])) {
            yMin = Math.min(yMin, l.low() != null && !Double.isNaN(l.low()[i]) ? l.low()[i] : l.ys()[i]);
          }
        }
      }
      sb.append("<p class=\"note\">Near saturation (arrived 75% and more), where the policies part ways.</p>\n");
      sb.append(Svg.lineChart("chart-allocation-zoom", "arrived workload (% of GPU capacity)",
          "allocation (% of GPU capacity)", 75, xMax, Math.max(0, yMin - 1), 100, lines));
    }
    sb.append("<h2>Fragmentation vs arrived workload</h2>\n<p class=\"note\">F(M): free GPU share that a request drawn "
        + "from the workload's own mix could not use (Weng et al., ATC '23), % of capacity, mean over seeds.</p>\n");
    double fmax = 10;
    for (Svg.Line l : frag) {
      for (double v : l.ys()) {
        if (!Double.isNaN(v)) {
          fmax = Math.max(fmax, Math.ceil(v / 10) * 10);
        }
      }
    }
    sb.append(Svg.lineChart("chart-fragmentation", "arrived workload (% of GPU capacity)", "fragmentation F(M) (%)",
        buckets - 1, fmax, frag));
  }

  private static void overTime(StringBuilder sb, SimulateCommand.Outcome o) {
    long end = 1;
    for (SimSummary s : o.summaries()) {
      end = Math.max(end, s.runs().get(0).totals().endMillis());
    }
    String unit;
    double div;
    if (end >= 3 * 3_600_000L) {
      unit = "h";
      div = 3_600_000;
    } else if (end >= 3 * 60_000L) {
      unit = "min";
      div = 60_000;
    } else if (end >= 3_000) {
      unit = "s";
      div = 1000;
    } else {
      unit = "ms";
      div = 1;
    }
    String x = "simulated time (" + unit + ")";
    sb.append("<h2>Utilisation over time</h2>\n<p class=\"note\">First seed of each policy. Booked GPU memory and "
        + "cores, % of all GPU memory and cores.")
        .append(o.workload().contains("fgd") ? " In the FGD protocol one pod arrives per millisecond and none leaves." : "")
        .append("</p>\n");
    sb.append(timeChart("chart-memory", x, "GPU memory booked (%)", o, div, end, Sample::memoryPct, 100));
    sb.append(timeChart("chart-cores", x, "GPU cores booked (%)", o, div, end, Sample::coresPct, 100));
    double pmax = 1;
    for (SimSummary s : o.summaries()) {
      for (SimResult.Sample p : s.runs().get(0).samples()) {
        pmax = Math.max(pmax, Math.max(p.pending(), p.failed()));
      }
    }
    sb.append("<h2>Pending and failed pods over time</h2>\n<p class=\"note\">Solid: pods waiting for a retry; dashed: "
        + "pods given up so far.</p>\n");
    List<Svg.Line> lines = new ArrayList<>();
    for (int k = 0; k < o.summaries().size(); k++) {
      SimSummary s = o.summaries().get(k);
      List<SimResult.Sample> samples = s.runs().get(0).samples();
      double[] xs = new double[samples.size()];
      double[] pend = new double[xs.length];
      double[] fail = new double[xs.length];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = samples.get(i).timeMillis() / div;
        pend[i] = samples.get(i).pending();
        fail[i] = samples.get(i).failed();
      }
      lines.add(new Svg.Line(s.policy() + " pending", Svg.color(k), xs, pend, null, null, false));
      lines.add(new Svg.Line(s.policy() + " failed", Svg.color(k), xs, fail, null, null, true));
    }
    sb.append(Svg.lineChart("chart-pending", x, "pods", end / div, Math.ceil(pmax * 1.1), lines));
  }

  /** Sample accessors used by the time charts. */
  private static final class Sample {
    static double memoryPct(SimResult.Sample s) {
      return s.memoryPct();
    }

    static double coresPct(SimResult.Sample s) {
      return s.coresPct();
    }
  }

  private static String timeChart(String id, String x, String y, SimulateCommand.Outcome o, double div, long end,
      ToDoubleFunction<SimResult.Sample> value, double yMax) {
    List<Svg.Line> lines = new ArrayList<>();
    for (int k = 0; k < o.summaries().size(); k++) {
      SimSummary s = o.summaries().get(k);
      List<SimResult.Sample> samples = s.runs().get(0).samples();
      double[] xs = new double[samples.size()];
      double[] ys = new double[xs.length];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = samples.get(i).timeMillis() / div;
        ys[i] = value.applyAsDouble(samples.get(i));
      }
      lines.add(new Svg.Line(s.policy(), Svg.color(k), xs, ys, null, null, false));
    }
    return Svg.lineChart(id, x, y, end / div, yMax, lines);
  }

  private static void heat(StringBuilder sb, SimulateCommand.Outcome o) {
    sb.append("<h2>Per-GPU allocation when the last pod arrived</h2>\n<p class=\"note\">First seed of each policy. One column per node "
        + "(nodes by name, wrapped), one cell per GPU; white = idle, dark blue = fully allocated; MIG GPUs have an "
        + "orange outline.</p>\n");
    for (int k = 0; k < o.summaries().size(); k++) {
      SimSummary s = o.summaries().get(k);
      List<SimResult.NodeHeat> heat = s.runs().get(0).heat();
      int rows = 1;
      for (SimResult.NodeHeat n : heat) {
        rows = Math.max(rows, n.gpus().size());
      }
      int cols = Math.max(1, Math.min(heat.size(), 120));
      int bands = (heat.size() + cols - 1) / cols;
      int cell = heat.size() * rows > 4000 ? 5 : heat.size() * rows > 1000 ? 9 : 16;
      int gap = 4;
      int width = cols * cell + 2;
      int height = bands * (rows * cell + gap) + 2;
      sb.append("<h3>").append(Svg.esc(s.policy())).append("</h3>\n<svg id=\"heat-").append(k)
          .append("\" class=\"heat\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
          .append(height).append("\">\n");
      for (int i = 0; i < heat.size(); i++) {
        SimResult.NodeHeat n = heat.get(i);
        int x = 1 + (i % cols) * cell;
        int y0 = 1 + (i / cols) * (rows * cell + gap);
        for (int g = 0; g < n.gpus().size(); g++) {
          SimResult.GpuHeat h = n.gpus().get(g);
          sb.append("<rect x=\"").append(x).append("\" y=\"").append(y0 + g * cell).append("\" width=\"").append(cell - 1)
              .append("\" height=\"").append(cell - 1).append("\" fill=\"").append(shade(h.share())).append('"')
              .append(h.mig() ? " stroke=\"#ff7f0e\"" : "").append("><title>").append(Svg.esc(n.node())).append(" GPU ")
              .append(g).append(": ").append(String.format(Locale.ROOT, "%.0f%%", h.share() * 100)).append("</title></rect>\n");
        }
      }
      sb.append("</svg>\n");
    }
  }

  /** White (0) to dark blue (1). */
  static String shade(double share) {
    double s = Math.max(0, Math.min(1, share));
    int r = (int) Math.round(255 - s * (255 - 8));
    int g = (int) Math.round(255 - s * (255 - 48));
    int b = (int) Math.round(255 - s * (255 - 107));
    return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
  }

  private static void reasons(StringBuilder sb, SimulateCommand.Outcome o) {
    TreeSet<String> all = new TreeSet<>();
    List<Map<String, Long>> per = new ArrayList<>();
    for (SimSummary s : o.summaries()) {
      Map<String, Long> sum = new TreeMap<>();
      for (SimResult r : s.runs()) {
        r.failureReasons().forEach((k, v) -> sum.merge(k, v, Long::sum));
      }
      all.addAll(sum.keySet());
      per.add(sum);
    }
    sb.append("<h2>Why pods could not be placed</h2>\n<p class=\"note\">Pods affected, summed over seeds; a pod counts "
        + "once for every distinct reason any candidate node gave at its first failed attempt.</p>\n");
    if (all.isEmpty()) {
      sb.append("<p id=\"reasons\">Every pod was placed.</p>\n");
      return;
    }
    sb.append("<table id=\"reasons\"><tr><th>reason</th>");
    for (SimSummary s : o.summaries()) {
      sb.append("<th>").append(Svg.esc(s.policy())).append("</th>");
    }
    sb.append("</tr>\n");
    for (String reason : all) {
      sb.append("<tr><td>").append(Svg.esc(reason)).append("</td>");
      for (Map<String, Long> m : per) {
        sb.append("<td>").append(m.getOrDefault(reason, 0L)).append("</td>");
      }
      sb.append("</tr>\n");
    }
    sb.append("</table>\n");
  }

  private static void mig(StringBuilder sb, SimulateCommand.Outcome o) {
    boolean any = o.summaries().stream().anyMatch(s -> !s.runs().get(0).mig().layouts().isEmpty());
    if (!any) {
      return;
    }
    sb.append("<h2>MIG</h2>\n<p class=\"note\">First seed. Re-layouts: instances created or destroyed on a GPU that "
        + "kept other instances.</p>\n<table id=\"mig\"><tr><th>policy</th><th>created</th><th>destroyed</th>"
        + "<th>re-layouts</th><th>layouts at the last arrival (GPUs)</th></tr>\n");
    for (SimSummary s : o.summaries()) {
      SimResult.Mig m = s.runs().get(0).mig();
      StringBuilder layouts = new StringBuilder();
      new TreeMap<>(m.layouts()).forEach((k, v) -> layouts.append(layouts.length() == 0 ? "" : "; ").append(k)
          .append(": ").append(v));
      sb.append("<tr><td>").append(Svg.esc(s.policy())).append("</td><td>").append(m.created()).append("</td><td>")
          .append(m.destroyed()).append("</td><td>").append(m.relayouts()).append("</td><td style=\"text-align:left\">")
          .append(Svg.esc(layouts.toString())).append("</td></tr>\n");
    }
    sb.append("</table>\n");
  }
}
