package dev.hamij.extender.sim;

import java.util.List;
import java.util.Locale;

/** Small inline-SVG chart builder: line charts with axes, grid, bands and a legend; no scripts, no fetches. */
final class Svg {
  static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
      "#17becf", "#7f7f7f", "#bcbd22"};
  static final int WIDTH = 720;
  static final int HEIGHT = 320;
  private static final int LEFT = 60;
  private static final int RIGHT = 170;
  private static final int TOP = 20;
  private static final int BOTTOM = 45;

  /** One line: points as x/y pairs (NaN y breaks the line), optional band of low/high y per point. */
  record Line(String label, String color, double[] xs, double[] ys, double[] low, double[] high, boolean dashed) {}

  private Svg() {}

  static String color(int i) {
    return PALETTE[i % PALETTE.length];
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  static String num(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** A line chart from 0 on both axes; {@code id} names the svg element. */
  static String lineChart(String id, String xLabel, String yLabel, double xMax, double yMax, List<Line> lines) {
    return lineChart(id, xLabel, yLabel, 0, xMax, 0, yMax, lines);
  }

  /**
   * A line chart over [xMin, xMax] × [yMin, yMax], each widened to round ticks; points outside the x
   * range are left out, y values are clipped to the range.
   */
  static String lineChart(String id, String xLabel, String yLabel, double xMin, double xMax, double yMin,
      double yMax, List<Line> lines) {
    double w = WIDTH - LEFT - RIGHT;
    double h = HEIGHT - TOP - BOTTOM;
    double xStep = niceStep(Math.max(xMax - xMin, 1e-9));
    double yStep = niceStep(Math.max(yMax - yMin, 1e-9));
    double x0 = Math.floor(xMin / xStep + 1e-9) * xStep;
    double y0 = Math.floor(yMin / yStep + 1e-9) * yStep;
    int xTicks = Math.max(1, (int) Math.ceil((xMax - x0) / xStep - 1e-9));
    int yTicks = Math.max(1, (int) Math.ceil((yMax - y0) / yStep - 1e-9));
    Axis ax = new Axis(x0, x0 + xTicks * xStep, LEFT, w);
    Axis ay = new Axis(y0, y0 + yTicks * yStep, TOP + h, -h);
    StringBuilder sb = new StringBuilder();
    sb.append("<svg id=\"").append(esc(id)).append("\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ')
        .append(HEIGHT).append("\" role=\"img\">\n");
    sb.append("<rect x=\"0\" y=\"0\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
        .append("\" fill=\"#ffffff\"/>\n");
    for (int t = 0; t <= yTicks; t++) {
      double yv = y0 + yStep * t;
      double y = TOP + h - h * t / yTicks;
      sb.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(num(y)).append("\" x2=\"").append(num(LEFT + w))
          .append("\" y2=\"").append(num(y)).append("\" stroke=\"#e0e0e0\"/>\n");
      sb.append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(num(y + 4))
          .append("\" font-size=\"11\" text-anchor=\"end\">").append(tick(yv)).append("</text>\n");
    }
    for (int t = 0; t <= xTicks; t++) {
      double xv = x0 + xStep * t;
      double x = LEFT + w * t / xTicks;
      sb.append("<line x1=\"").append(num(x)).append("\" y1=\"").append(TOP).append("\" x2=\"").append(num(x))
          .append("\" y2=\"").append(num(TOP + h)).append("\" stroke=\"#f0f0f0\"/>\n");
      sb.append("<text x=\"").append(num(x)).append("\" y=\"").append(num(TOP + h + 16))
          .append("\" font-size=\"11\" text-anchor=\"middle\">").append(tick(xv)).append("</text>\n");
    }
    sb.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(num(w))
        .append("\" height=\"").append(num(h)).append("\" fill=\"none\" stroke=\"#888\"/>\n");
    sb.append("<text x=\"").append(num(LEFT + w / 2)).append("\" y=\"").append(HEIGHT - 8)
        .append("\" font-size=\"12\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>\n");
    sb.append("<text transform=\"translate(14,").append(num(TOP + h / 2)).append(") rotate(-90)\" font-size=\"12\" "
        + "text-anchor=\"middle\">").append(esc(yLabel)).append("</text>\n");
    int legend = 0;
    for (Line l : lines) {
      if (l.low() != null) {
        StringBuilder up = new StringBuilder();
        StringBuilder down = new StringBuilder();
        for (int i = 0; i < l.xs().length; i++) {
          if (!Double.isNaN(l.low()[i]) && ax.contains(l.xs()[i])) {
            up.append(up.length() == 0 ? "M" : "L").append(ax.at(l.xs()[i])).append(',').append(ay.at(l.high()[i]))
                .append(' ');
          }
        }
        for (int i = l.xs().length - 1; i >= 0; i--) {
          if (!Double.isNaN(l.low()[i]) && ax.contains(l.xs()[i])) {
            down.append('L').append(ax.at(l.xs()[i])).append(',').append(ay.at(l.low()[i])).append(' ');
          }
        }
        if (up.length() > 0) {
          sb.append("<path class=\"band\" d=\"").append(up).append(down).append("Z\" fill=\"").append(l.color())
              .append("\" fill-opacity=\"0.18\" stroke=\"none\"/>\n");
        }
      }
      StringBuilder d = new StringBuilder();
      boolean pen = false;
      for (int i = 0; i < l.xs().length; i++) {
        if (Double.isNaN(l.ys()[i]) || !ax.contains(l.xs()[i])) {
          pen = false;
          continue;
        }
        d.append(pen ? "L" : "M").append(ax.at(l.xs()[i])).append(',').append(ay.at(l.ys()[i])).append(' ');
        pen = true;
      }
      if (d.length() > 0) {
        sb.append("<path class=\"series\" data-label=\"").append(esc(l.label())).append("\" d=\"").append(d.toString().trim())
            .append("\" fill=\"none\" stroke=\"").append(l.color()).append("\" stroke-width=\"2\"")
            .append(l.dashed() ? " stroke-dasharray=\"5,4\"" : "").append("/>\n");
      }
      double ly = TOP + 8 + legend * 18;
      sb.append("<line x1=\"").append(num(LEFT + w + 12)).append("\" y1=\"").append(num(ly)).append("\" x2=\"")
          .append(num(LEFT + w + 32)).append("\" y2=\"").append(num(ly)).append("\" stroke=\"").append(l.color())
          .append("\" stroke-width=\"3\"").append(l.dashed() ? " stroke-dasharray=\"5,4\"" : "").append("/>\n");
      sb.append("<text x=\"").append(num(LEFT + w + 36)).append("\" y=\"").append(num(ly + 4))
          .append("\" font-size=\"11\">").append(esc(l.label())).append("</text>\n");
      legend++;
    }
    sb.append("</svg>\n");
    return sb.toString();
  }

  /** A round tick step (1, 2, 2.5 or 5 times a power of ten) giving at most 8 intervals up to {@code max}. */
  static double niceStep(double max) {
    double raw = max / 6;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= raw) {
        return m * mag;
      }
    }
    return 10 * mag;
  }

  /** A linear mapping of [lo, hi] onto pixels from {@code start} over {@code length} (negative: upwards). */
  private record Axis(double lo, double hi, double start, double length) {
    boolean contains(double v) {
      return v >= lo - 1e-9 && v <= hi + 1e-9;
    }

    String at(double v) {
      return num(start + length * (Math.max(lo, Math.min(v, hi)) - lo) / (hi - lo));
    }
  }

  private static String tick(double v) {
    if (Math.abs(v) >= 100 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
