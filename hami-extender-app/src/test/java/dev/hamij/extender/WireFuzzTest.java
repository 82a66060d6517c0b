package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.testing.Fuzz;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Mutations;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Fuzzes every decoding entry point of the extender with mutated valid documents (hami-api's
 * {@link Mutations}): {@code ExtenderArgs} through filter (both modes) and prioritize, binding args
 * through bind, AdmissionReviews through the webhook, snapshot and pod files through the
 * {@code schedule} command's loader and decision, PEM key pairs, duration and selector flags, and a
 * share of the bodies over real HTTP. Allowed outcomes: success, or the documented error —
 * {@link ExtenderWire.BadRequest} (the {@code Error} field), an HTTP 400 with a message, a denied or
 * errored AdmissionReview with a status message, {@link Snapshot.InvalidInput} naming the file,
 * {@link GeneralSecurityException}, {@link IllegalArgumentException} naming the flag. A
 * RuntimeException caught by the extender's last-resort handlers ("filter failed: …") counts as a
 * failure: it is a crash the handler only hid.
 */
class WireFuzzTest {
  private static ExtenderRuntime allNodes;
  private static ExtenderRuntime bestNode;
  private static Level savedLevel;

  @TempDir static Path dir;

  @BeforeAll
  static void start() throws IOException {
    Logger hamij = Logger.getLogger("dev.hamij");
    savedLevel = hamij.getLevel();
    hamij.setLevel(Level.SEVERE); // a million inputs would log a million warnings
    Snapshot snap = new Snapshot(KubeGens.clusterNodes(), List.of(), List.of(ExtenderWire.KUBE.convertValue(
        KubeGens.quota().generate(new java.util.SplittableRandom(1), 3), ResourceQuota.class)));
    allNodes = ExtenderRuntime.start(Fixtures.options(Extender.FilterMode.ALL_NODES), new MemoryCluster(snap), null);
    bestNode = ExtenderRuntime.start(Fixtures.options(Extender.FilterMode.BEST_NODE), new MemoryCluster(snap), null);
  }

  @AfterAll
  static void stop() {
    allNodes.close();
    bestNode.close();
    Logger.getLogger("dev.hamij").setLevel(savedLevel);
  }

  @Test
  void filterAndPrioritize() {
    Fuzz.of("extender filter/prioritize", Mutations.utf8(KubeGens.extenderArgs())).inputs(1000)
        .run(ExtenderWire.BadRequest.class, body -> {
          ExtenderWire.Args args = ExtenderWire.readArgs(body);
          for (ExtenderRuntime rt : List.of(allNodes, bestNode)) {
            ExtenderWire.FilterResult r = rt.extender().filter(args);
            assertThat(r.error()).as("filter error").doesNotStartWith("filter failed");
            ExtenderWire.write(r);
            ExtenderWire.writePriorities(rt.extender().prioritize(args));
          }
        }, Fuzz.nonBlankMessage());
  }

  @Test
  void bind() {
    Fuzz.of("extender bind", Mutations.utf8(KubeGens.bindArgs())).inputs(2000)
        .run(ExtenderWire.BadRequest.class, body -> {
          ExtenderWire.BindArgs args = ExtenderWire.readBindArgs(body);
          String error = bestNode.extender().bind(args);
          assertThat(error).doesNotStartWith("bind failed");
          ExtenderWire.writeBindResult(error);
        }, Fuzz.nonBlankMessage());
  }

  @Test
  void admissionReview() {
    Fuzz.of("extender webhook AdmissionReview", Mutations.utf8(KubeGens.admissionReview())).inputs(1500)
        .runWithoutErrors(body -> checkReply(allNodes.extender().admit(body)));
  }

  /**
   * Informer events carrying hostile annotations and quantities (objects as the API server would
   * deliver them) never throw out of the ledger: a bad node keeps its previous registration, a bad pod
   * or quota is skipped with a warning. Pods are deleted again so the ledger stays small.
   */
  @Test
  void ledgerEvents() {
    ClusterLedger ledger = new ClusterLedger(new MemoryCluster(new Snapshot(List.of(), List.of(), List.of())),
        new NodeHealth(java.time.Clock.systemUTC(), java.time.ZoneOffset.UTC), allNodes.ledger().settings());
    ledger.rebuild(allNodes.ledger().settings());
    Gen<Object> objects = (r, s) -> switch (r.nextInt(3)) {
      case 0 -> ExtenderWire.KUBE.convertValue(KubeGens.node().generate(r, s), io.fabric8.kubernetes.api.model.Node.class);
      case 1 -> ExtenderWire.KUBE.convertValue(KubeGens.quota().generate(r, s), ResourceQuota.class);
      default -> {
        tools.jackson.databind.node.ObjectNode pod = KubeGens.pod().generate(r, s);
        ((tools.jackson.databind.node.ObjectNode) pod.get("metadata")).withObject("annotations")
            .put(dev.hamij.api.Annotations.VGPU_NODE, KubeGens.pick(r, KubeGens.GPU_NODES));
        yield ExtenderWire.KUBE.convertValue(pod, Pod.class);
      }
    };
    Fuzz.of("extender ledger informer events", objects).inputs(1500).runWithoutErrors(o -> {
      if (o instanceof io.fabric8.kubernetes.api.model.Node n) {
        ledger.nodeChanged(n);
      } else if (o instanceof ResourceQuota q) {
        ledger.quotaChanged(q);
      } else {
        Pod p = (Pod) o;
        ledger.podChanged(p);
        ledger.podDeleted(p);
      }
      ledger.recheckNodes();
      dev.hamij.core.testing.LedgerInvariants.check(ledger.scheduler().usage());
    });
    ledger.close();
  }

  /** A reply is an AdmissionReview (allowed, or refused with a status message) or an HTTP 400 with a message. */
  private static void checkReply(AdmissionHandler.Reply reply) {
    String text = new String(reply.body(), StandardCharsets.UTF_8);
    if (reply.status() == 400) {
      assertThat(text).isNotBlank();
      return;
    }
    assertThat(reply.status()).isEqualTo(200);
    JsonNode response = ExtenderWire.JSON.readTree(text).get("response");
    assertThat(response.get("uid").isString()).isTrue();
    if (!response.get("allowed").asBoolean()) {
      assertThat(response.path("status").path("message").asString("")).as(text).isNotBlank();
    }
  }

  @Test
  void scheduleCommandFiles() {
    Gen<String> snapshots = KubeGens.snapshot();
    Gen<String> pods = KubeGens.podFile();
    Gen<String> badSnapshots = Mutations.text(snapshots);
    Gen<String> badPods = Mutations.text(pods);
    Gen<String[]> inputs = (r, s) -> switch (r.nextInt(10)) {
      case 0 -> new String[] {badSnapshots.generate(r, s), badPods.generate(r, s)};
      case 1, 2, 3, 4 -> new String[] {snapshots.generate(r, s), badPods.generate(r, s)};
      default -> new String[] {badSnapshots.generate(r, s), pods.generate(r, s)};
    };
    Path snapshotFile = dir.resolve("snapshot.yaml");
    Path podFile = dir.resolve("pod.yaml");
    Settings settings = Settings.of(dev.hamij.api.HamiConfig.defaults(),
        new Settings.Policies("binpack", "spread", "", true));
    Fuzz.of("extender schedule snapshot+pod files", inputs).inputs(500)
        .run(Snapshot.InvalidInput.class, files -> {
          Files.write(snapshotFile, files[0].getBytes(StandardCharsets.UTF_8)); // unpaired surrogates become '?'
          Files.write(podFile, files[1].getBytes(StandardCharsets.UTF_8));
          Snapshot snap = Snapshot.load(snapshotFile);
          Pod pod = Snapshot.loadPod(podFile);
          OfflineDecision.text(OfflineDecision.decide(snap, snapshotFile, pod, podFile, settings, Instant.EPOCH));
        }, e -> assertThat(e.getMessage()).satisfiesAnyOf(
            m -> assertThat(m).startsWith(snapshotFile + ": "), m -> assertThat(m).startsWith(podFile + ": ")));
  }

  @Test
  void pemKeyPairs() throws IOException {
    List<String> certs = List.of(resource("tls/first.crt"), resource("tls/second.crt"));
    List<String> keys = List.of(resource("tls/first.key"), resource("tls/first-pkcs1.key"), resource("tls/second.key"),
        resource("tls/second-sec1.key"));
    Gen<String> cert = Gen.elements(certs);
    Gen<String> key = Gen.elements(keys);
    Gen<String[]> inputs = (r, s) -> {
      String c = cert.generate(r, s);
      String k = key.generate(r, s);
      return switch (r.nextInt(4)) {
        case 0 -> new String[] {Mutations.text(cert).generate(r, s), k};
        case 1 -> new String[] {c, Mutations.text(key).generate(r, s)};
        default -> new String[] {c, damageBase64(k, r)};
      };
    };
    Fuzz.of("extender PEM key pair", inputs).inputs(1000)
        .run(GeneralSecurityException.class, p -> PemKeys.parse(p[0], p[1], "tls.crt", "tls.key"), Fuzz.nonBlankMessage());
  }

  /** The PEM with its DER bytes damaged (bit flips, truncation, edge words) and re-encoded. */
  private static String damageBase64(String pem, java.util.SplittableRandom r) {
    int begin = pem.indexOf("-----\n") + 6;
    int end = pem.indexOf("-----END");
    byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin, end));
    byte[] bad = Mutations.mutateBytes(der, r, 1 + r.nextInt(4));
    return pem.substring(0, begin) + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(bad) + "\n" + pem.substring(end);
  }

  @Test
  void serveFlags() {
    Fuzz.of("extender duration flags", Mutations.text(Gen.elements("5m", "28s", "1h30m", "0s", "1.5h", "300ms", "10us")))
        .inputs(2000).run(IllegalArgumentException.class, v -> GoDuration.parse("--node-lock-timeout", v),
            e -> assertThat(e.getMessage()).startsWith("--node-lock-timeout: "));
    Fuzz.of("extender node label selector", Mutations.text(Gen.elements("gpu=on", "a=b,c=d", "", "k8s.io/x=y")))
        .inputs(2000).run(IllegalArgumentException.class, KubeCluster::parseSelector,
            e -> assertThat(e.getMessage()).startsWith("--node-label-selector: "));
  }

  /** A share of the bodies through the real HTTP listener: every request gets an answer, never a reset connection. */
  @Test
  void overHttp() {
    int port = bestNode.httpPort();
    Gen<String[]> requests = (r, s) -> switch (r.nextInt(4)) {
      case 0 -> new String[] {"/filter", new String(Mutations.utf8(KubeGens.extenderArgs()).generate(r, s), StandardCharsets.UTF_8)};
      case 1 -> new String[] {"/prioritize", KubeGens.extenderArgs().generate(r, s)};
      case 2 -> new String[] {"/bind", new String(Mutations.utf8(KubeGens.bindArgs()).generate(r, s), StandardCharsets.UTF_8)};
      default -> new String[] {"/webhook", new String(Mutations.utf8(KubeGens.admissionReview()).generate(r, s),
          StandardCharsets.UTF_8)};
    };
    Fuzz.of("extender over HTTP", requests).inputs(100).atMost(2000).run(IOException.class, req -> {
      HttpResponse<String> resp = Fixtures.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + req[0]))
          .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(req[1])).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(resp.statusCode()).as(req[0]).isIn(200, 400);
      assertThat(resp.body()).as(req[0]).isNotBlank();
    }, e -> {
      throw new AssertionError("no HTTP answer: " + e);
    });
  }

  private static String resource(String name) throws IOException {
    try (var in = WireFuzzTest.class.getResourceAsStream("/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }
}
