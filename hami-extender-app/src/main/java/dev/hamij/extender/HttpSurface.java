package dev.hamij.extender;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The extender's HTTP(S) listener on the JDK server: {@code /filter}, {@code /bind},
 * {@code /prioritize}, {@code /webhook}, {@code /healthz}, {@code /readyz}. Requests run on a bounded
 * pool; when its queue is full the accepting thread runs the request itself, which slows intake
 * instead of dropping calls. Bodies above 1 MiB are refused.
 */
final class HttpSurface implements AutoCloseable {
  static final int MAX_BODY = 1 << 20;
  private static final Logger LOG = Logger.getLogger(HttpSurface.class.getName());

  static {
    // small JSON answers must not wait for the client's delayed ACK (Nagle): ~40 ms per call otherwise.
    // The JDK server reads this once, when its first instance is configured.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer server;
  private final ThreadPoolExecutor pool;

  private HttpSurface(HttpServer server, ThreadPoolExecutor pool) {
    this.server = server;
    this.pool = pool;
  }

  /**
   * Starts listening.
   *
   * @param tls null for plain HTTP
   * @param threads request worker threads; the queue holds 16 requests per thread
   */
  static HttpSurface start(InetSocketAddress address, ReloadingTls tls, ExtenderApi api, ExtenderMetrics metrics,
      int threads) throws IOException {
    HttpServer server;
    if (tls == null) {
      server = HttpServer.create(address, 1024);
    } else {
      HttpsServer https = HttpsServer.create(address, 1024);
      https.setHttpsConfigurator(new HttpsConfigurator(tls.context()));
      server = https;
    }
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(threads * 16), r -> {
          Thread t = new Thread(r, "hami-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
    server.setExecutor(pool);
    Routes routes = new Routes(api, metrics);
    server.createContext("/filter", routes::filter);
    server.createContext("/bind", routes::bind);
    server.createContext("/prioritize", routes::prioritize);
    server.createContext("/webhook", routes::webhook);
    server.createContext("/healthz", routes::healthz);
    server.createContext("/readyz", routes::readyz);
    server.createContext("/", ex -> send(ex, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8)));
    server.start();
    return new HttpSurface(server, pool);
  }

  /** The bound port (useful with port 0). */
  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }

  private record Routes(ExtenderApi api, ExtenderMetrics metrics) {
    void filter(HttpExchange ex) throws IOException {
      if (!post(ex)) {
        return;
      }
      long start = System.nanoTime();
      ExtenderWire.FilterResult result;
      try {
        result = api.filter(ExtenderWire.readArgs(readBody(ex)));
      } catch (ExtenderWire.BadRequest e) {
        result = ExtenderWire.FilterResult.error(e.getMessage());
      }
      sendJson(ex, ExtenderWire.write(result));
      metrics.observeFilter(System.nanoTime() - start);
    }

    void prioritize(HttpExchange ex) throws IOException {
      if (!post(ex)) {
        return;
      }
      try {
        sendJson(ex, ExtenderWire.writePriorities(api.prioritize(ExtenderWire.readArgs(readBody(ex)))));
      } catch (ExtenderWire.BadRequest e) {
        // HostPriorityList has no error field: kube-scheduler treats a non-200 status as the extender's error
        send(ex, 400, "text/plain", (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }

    void bind(HttpExchange ex) throws IOException {
      if (!post(ex)) {
        return;
      }
      long start = System.nanoTime();
      String error;
      try {
        error = api.bind(ExtenderWire.readBindArgs(readBody(ex)));
      } catch (ExtenderWire.BadRequest e) {
        error = e.getMessage();
      }
      sendJson(ex, ExtenderWire.writeBindResult(error));
      metrics.observeBind(System.nanoTime() - start, error.isEmpty());
    }

    void webhook(HttpExchange ex) throws IOException {
      if (!post(ex)) {
        return;
      }
      byte[] body;
      try {
        body = readBody(ex);
      } catch (ExtenderWire.BadRequest e) {
        send(ex, 413, "text/plain", (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
        return;
      }
      AdmissionHandler.Reply reply = api.admit(body);
      send(ex, reply.status(), reply.status() == 200 ? "application/json" : "text/plain", reply.body());
    }

    void healthz(HttpExchange ex) throws IOException {
      send(ex, 200, "text/plain", new byte[0]);
    }

    void readyz(HttpExchange ex) throws IOException {
      String reason = api.notReadyReason();
      if (reason == null) {
        send(ex, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8));
      } else {
        send(ex, 503, "text/plain", (reason + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static boolean post(HttpExchange ex) throws IOException {
    if (!"POST".equals(ex.getRequestMethod())) {
      ex.getResponseHeaders().set("Allow", "POST");
      send(ex, 405, "text/plain", "method not allowed\n".getBytes(StandardCharsets.UTF_8));
      return false;
    }
    return true;
  }

  static byte[] readBody(HttpExchange ex) throws IOException, ExtenderWire.BadRequest {
    try (InputStream in = ex.getRequestBody()) {
      byte[] body = in.readNBytes(MAX_BODY + 1);
      if (body.length > MAX_BODY) {
        throw new ExtenderWire.BadRequest("request body exceeds " + MAX_BODY + " bytes");
      }
      return body;
    }
  }

  private static void sendJson(HttpExchange ex, byte[] body) throws IOException {
    send(ex, 200, "application/json", body);
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    try {
      ex.getResponseHeaders().set("Content-Type", type);
      ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    } catch (IOException e) {
      LOG.log(Level.FINE, "client went away", e);
      throw e;
    } finally {
      ex.close();
    }
  }
}
