package dev.hamij.extender;

import static dev.hamij.extender.Fixtures.bindArgs;
import static dev.hamij.extender.Fixtures.eventually;
import static dev.hamij.extender.Fixtures.filterArgs;
import static dev.hamij.extender.Fixtures.gpuNode;
import static dev.hamij.extender.Fixtures.pod;
import static dev.hamij.extender.Fixtures.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No secret ever reaches a log or an answer: the extender runs with a bearer token for the API
 * server and a TLS key, at the most verbose log level of every logger it and fabric8 use, through
 * the paths that log most — API calls refused (403) and failing (500), a conflicting node lock, a
 * broken replacement key — and neither the token nor any part of the key appears in a captured log
 * record (message, parameters, exception chain and stack) or in an HTTP answer. With TLS configured
 * the listener speaks only TLS.
 */
class SecretsTest {
  private static final String TOKEN = "sha256~Z3Jhbm9sYS1zZWNyZXQtYmVhcmVyLXRva2VuLTQyNDI0Mg";

  @TempDir Path dir;

  /** Every record of every logger, formatted with its whole exception chain. */
  private static final class Capture extends Handler {
    final List<String> texts = new CopyOnWriteArrayList<>();
    private final SimpleFormatter format = new SimpleFormatter();

    @Override
    public void publish(LogRecord r) {
      StringBuilder b = new StringBuilder(format.format(r));
      if (r.getParameters() != null) {
        for (Object p : r.getParameters()) {
          b.append(' ').append(p);
        }
      }
      if (r.getThrown() != null) {
        StringWriter w = new StringWriter();
        r.getThrown().printStackTrace(new PrintWriter(w));
        b.append(w);
      }
      texts.add(b.toString());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  @Test
  void tokensAndKeysNeverReachLogsOrAnswers() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    Files.writeString(cert, resource("first.crt"));
    String keyPem = resource("first.key");
    Files.writeString(key, keyPem);
    List<String> secrets = new ArrayList<>(List.of(TOKEN));
    for (String line : keyPem.split("\n")) {
      if (!line.startsWith("-----") && line.length() > 16) {
        secrets.add(line.substring(0, 16)); // any recognisable piece of the key material
      }
    }

    Capture capture = new Capture();
    capture.setLevel(Level.ALL);
    Logger root = Logger.getLogger("");
    List<Logger> verbose = List.of(Logger.getLogger("dev.hamij"), Logger.getLogger("io.fabric8"), Logger.getLogger("io.vertx"),
        Logger.getLogger("io.netty"));
    List<Level> saved = verbose.stream().map(Logger::getLevel).toList();
    root.addHandler(capture);
    verbose.forEach(l -> l.setLevel(Level.ALL));
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger withToken = new AtomicInteger();
    List<String> answers = new ArrayList<>();
    try (ApiServer api = ApiServer.start(); KubernetesClient admin = api.newClient();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(admin.getConfiguration())
            .withOauthToken(TOKEN).build()).build()) {
      admin.nodes().resource(gpuNode("s1", 1, 10000)).create();
      Pod p = admin.pods().inNamespace("default").resource(pod("default", "sec-1", "uid-sec-1", "nvidia.com/gpu", "1",
          "nvidia.com/gpumem", "1000")).create();
      Pod q = admin.pods().inNamespace("default").resource(pod("default", "sec-2", "uid-sec-2", "nvidia.com/gpu", "1",
          "nvidia.com/gpumem", "1000")).create();
      assertThat(eventually(Duration.ofSeconds(5), () -> !api.calls().isEmpty())).isTrue();
      api.gate((call, request) -> {
        if (("Bearer " + TOKEN).equals(request.getHeader("Authorization"))) {
          withToken.incrementAndGet();
        }
        if (call.resource().equals("events")) {
          return ApiServer.status(403, "Forbidden", "events are not allowed here");
        }
        if (call.verb().equals("patch") && call.resource().equals("nodes") && failures.getAndIncrement() < 3) {
          return ApiServer.status(500, "InternalError", "etcd is on fire");
        }
        return null;
      });
      ExtenderRuntime.Options o = Fixtures.options(Extender.FilterMode.BEST_NODE);
      o = new ExtenderRuntime.Options(o.httpBind(), o.metricsBind(), cert, key, null, o.policies(), o.filterMode(),
          o.nodeLockTimeout(), o.podGroupLockWait(), false, false, o.leaseNamespace(), o.leaseName(), o.identity(), false,
          o.httpThreads(), o.trustedUsers(), o.readyWait(), o.healthInterval(), Duration.ofMillis(50), o.lease());
      try (ExtenderRuntime rt = ExtenderRuntime.start(o, new KubeCluster(client, Map.of(), "hami-scheduler"), client)) {
        int port = rt.httpPort();
        var https = TlsTest.trustingClient();
        answers.add(Fixtures.postHttps(https, port, "/filter", filterArgs(p, "s1")));
        answers.add(Fixtures.postHttps(https, port, "/bind", bindArgs(p, "s1")));
        answers.add(Fixtures.postHttps(https, port, "/filter", filterArgs(q, "s1")));
        answers.add(Fixtures.postHttps(https, port, "/bind", bindArgs(q, "s1")));
        assertThat(answers.get(1)).isEqualTo("{\"Error\":\"\"}");
        assertThat(answers.get(3)).contains("node lock contention"); // an error answer carrying an API message

        // a broken replacement key is refused and logged, the old one kept
        Files.writeString(key, keyPem.replace("MII", "MIJ"));
        assertThat(eventually(Duration.ofSeconds(5), () -> rt.tls().rejectedReloads() == 1)).isTrue();

        // TLS only: a plaintext request gets no HTTP answer
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setSoTimeout(5000);
          s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          byte[] reply = s.getInputStream().readNBytes(12);
          assertThat(new String(reply, StandardCharsets.ISO_8859_1)).doesNotStartWith("HTTP/1.1 200");
        } catch (IOException expected) {
          // connection reset by the TLS listener: also no answer
        }
        assertThatThrownBy(() -> post(port, "/filter", filterArgs(p, "s1"))).isInstanceOf(IOException.class);
      }
    } finally {
      root.removeHandler(capture);
      for (int i = 0; i < verbose.size(); i++) {
        verbose.get(i).setLevel(saved.get(i));
      }
    }
    assertThat(failures.get()).as("the failing patches happened").isPositive();
    assertThat(withToken.get()).as("requests that carried the token to the API server").isPositive();
    assertThat(capture.texts).as("records captured").hasSizeGreaterThan(20);
    assertThat(String.join("\n", capture.texts)).as("some record is about the refused key").contains("tls.key");
    for (String secret : secrets) {
      assertThat(capture.texts).as("log records containing a secret").noneMatch(t -> t.contains(secret));
      assertThat(answers).as("answers containing a secret").noneMatch(t -> t.contains(secret));
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = SecretsTest.class.getResourceAsStream("/tls/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }
}
