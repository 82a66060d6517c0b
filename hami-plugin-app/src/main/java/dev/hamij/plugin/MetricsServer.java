package dev.hamij.plugin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves a Prometheus registry as text exposition at {@code /metrics} with the JDK's HTTP server on
 * one thread; every other path is 404 and every method but GET and HEAD is 405.
 */
final class MetricsServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor = Executors.newSingleThreadExecutor(new NamedThreads("hami-metrics"));

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** Listens on {@code address} (port 0: any free port). */
  static MetricsServer start(InetSocketAddress address, PrometheusRegistry registry) throws IOException {
    HttpServer server = HttpServer.create(address, 16);
    MetricsServer metrics = new MetricsServer(server);
    PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    server.createContext("/", exchange -> {
      try (exchange) {
        if (!exchange.getRequestURI().getPath().equals("/metrics")) {
          respond(exchange, 404, "text/plain; charset=utf-8", "not found; metrics are at /metrics\n".getBytes());
        } else if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
          respond(exchange, 405, "text/plain; charset=utf-8", "only GET and HEAD\n".getBytes());
        } else {
          ByteArrayOutputStream body = new ByteArrayOutputStream();
          writer.write(body, registry.scrape());
          respond(exchange, 200, writer.getContentType(), body.toByteArray());
        }
      }
    });
    server.setExecutor(metrics.executor);
    server.start();
    return metrics;
  }

  private static void respond(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The port it listens on. */
  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    new ClosingSteps().stop("stopping the metrics server", executor).finish();
  }
}
