package dev.hamij.extender;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The extender's own Prometheus metrics (what HAMi lacks): filter and bind latency histograms and a
 * counter of node rejections by reason. The cluster usage families ({@code hami_*}) are added by
 * {@link UsageMetrics} to the same registry.
 */
final class ExtenderMetrics {
  private static final double[] LATENCY_BUCKETS = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  /** A reason identifier inside HAMi's reason text, with or without its {@code k/n } prefix. */
  private static final Pattern REASON = Pattern.compile("(?:\\d+/\\d+ )?([A-Za-z][A-Za-z ]*[A-Za-z])");

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Histogram filterSeconds;
  private final Histogram bindSeconds;
  private final Counter rejections;

  ExtenderMetrics() {
    filterSeconds = Histogram.builder()
        .name("hami_extender_filter_duration_seconds")
        .help("Time to answer one /filter call")
        .unit(Unit.SECONDS)
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS)
        .register(registry);
    bindSeconds = Histogram.builder()
        .name("hami_extender_bind_duration_seconds")
        .help("Time to answer one /bind call, by outcome")
        .unit(Unit.SECONDS)
        .labelNames("result")
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS)
        .register(registry);
    rejections = Counter.builder()
        .name("hami_extender_node_rejections")
        .help("Candidate nodes rejected by /filter, by reason (a node with several reasons counts once per reason)")
        .labelNames("reason")
        .register(registry);
  }

  PrometheusRegistry registry() {
    return registry;
  }

  void observeFilter(long nanos) {
    filterSeconds.observe(nanos / 1e9);
  }

  void observeBind(long nanos, boolean ok) {
    bindSeconds.labelValues(ok ? "success" : "error").observe(nanos / 1e9);
  }

  /** Counts every reason named in the FailedNodes values of one filter answer. */
  void countRejections(Map<String, String> failedNodes) {
    for (String text : failedNodes.values()) {
      for (String reason : reasons(text)) {
        rejections.labelValues(reason).inc();
      }
    }
  }

  /** {@code "1/4 CardNotHealth, 3/4 CardInsufficientMemory"} → {@code [CardNotHealth, CardInsufficientMemory]}. */
  static java.util.List<String> reasons(String text) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (String part : text.split(", ")) {
      Matcher m = REASON.matcher(part.trim());
      if (m.lookingAt()) {
        String r = m.group(1);
        // keep the label set small: only the leading identifier of free-text reasons
        int colon = r.indexOf(':');
        out.add(colon > 0 ? r.substring(0, colon) : r);
      }
    }
    return out;
  }

  /** The whole registry in Prometheus text format 0.0.4. */
  byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
