package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Inputs the fuzzers ({@link WireFuzzTest}) found crashing the extender, each now a documented error. */
class FuzzRegressionTest {
  private static final String POD_WITHOUT_METADATA =
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"ietadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\","
          + "\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\"}}}]}}";

  @Test
  void extenderArgsWithAPodWithoutMetadataAreABadRequest() {
    // prioritize read the pod's metadata unchecked: NullPointerException
    assertThatThrownBy(() -> ExtenderWire.readArgs(("{\"Pod\":" + POD_WITHOUT_METADATA + ",\"NodeNames\":[\"n1\"]}")
        .getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ExtenderWire.BadRequest.class).hasMessage("extender args pod has no metadata or spec");
  }

  @Test
  void simulationNodesWithoutNameAreABadRequest() {
    // filter's simulation mode read each node's name unchecked: "filter failed: Cannot invoke ... getName()"
    String pod = "{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\",\"uid\":\"u\"},\"spec\":{\"containers\":[]}}";
    assertThatThrownBy(() -> ExtenderWire.readArgs(("{\"Pod\":" + pod + ",\"Nodes\":{\"items\":[{\"kind\":\"Node\","
        + "\"metdata\":{\"name\":\"n1\"}}]}}").getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ExtenderWire.BadRequest.class).hasMessage("Nodes.items[0].metadata.name: missing");
  }

  @Test
  void admissionOfAPodWithoutMetadataIsAnError() {
    // the webhook handler threw NullPointerException, so the JDK server reset the connection
    AdmissionHandler handler = new AdmissionHandler(
        () -> Settings.of(dev.hamij.api.HamiConfig.defaults(), new Settings.Policies("binpack", "spread", "", true))
            .admission(), java.util.Set.of(), p -> { throw new AssertionError("no quota check expected"); });
    String review = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"r1\","
        + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"namespace\":\"default\","
        + "\"object\":" + POD_WITHOUT_METADATA + "}}";
    AdmissionHandler.Reply reply = handler.handle(review.getBytes(StandardCharsets.UTF_8));
    assertThat(reply.status()).isEqualTo(200);
    JsonNode response = ExtenderWire.JSON.readTree(reply.body()).get("response");
    assertThat(response.get("allowed").asBoolean()).isFalse();
    assertThat(response.get("status").get("code").asInt()).isEqualTo(400);
    assertThat(response.get("status").get("message").asString()).isEqualTo("cannot decode pod: metadata is missing");
  }

  @Test
  void truncatedEcKeyIsRefusedWithAMessage() throws IOException {
    // PemKeys read DER lengths past the end of the key: ArrayIndexOutOfBoundsException
    String cert = resource("tls/second.crt");
    String key = resource("tls/second-sec1.key");
    int begin = key.indexOf("-----\n") + 6;
    int end = key.indexOf("-----END");
    byte[] der = Base64.getMimeDecoder().decode(key.substring(begin, end));
    for (int cut : new int[] {3, 9, der.length / 2, der.length - 1}) {
      byte[] truncated = java.util.Arrays.copyOf(der, cut);
      String bad = key.substring(0, begin) + Base64.getMimeEncoder().encodeToString(truncated) + "\n" + key.substring(end);
      assertThatThrownBy(() -> PemKeys.parse(cert, bad, "tls.crt", "tls.key"))
          .isInstanceOf(GeneralSecurityException.class).hasMessageStartingWith("tls.key: ");
    }
    byte[] hugeLength = der.clone();
    hugeLength[1] = (byte) 0x84; // a 4-byte length
    String bad = key.substring(0, begin) + Base64.getMimeEncoder().encodeToString(hugeLength) + "\n" + key.substring(end);
    assertThatThrownBy(() -> PemKeys.parse(cert, bad, "tls.crt", "tls.key"))
        .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("malformed EC PRIVATE KEY");
  }

  @Test
  void deeplyNestedSnapshotIsInvalidInput(@TempDir Path dir) throws IOException {
    // fabric8's YAML loader recursed until StackOverflowError, which escaped the schedule command
    Path file = dir.resolve("snapshot.yaml");
    Files.writeString(file, "- ".repeat(20_000) + "a\n");
    assertThatThrownBy(() -> Snapshot.load(file)).isInstanceOf(Snapshot.InvalidInput.class)
        .hasMessage(file + ": not a Kubernetes object, List or multi-document YAML: nested too deeply");
  }

  @Test
  void longDurationsAreRefusedNamingTheFlag() {
    // the duration parser used to rescan the rest of the text from every position (quadratic time)
    String digits = "9".repeat(200_000);
    assertThatThrownBy(() -> GoDuration.parse("--node-lock-timeout", digits))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--node-lock-timeout: invalid duration");
    assertThat(GoDuration.parse("--x", "1h30m")).hasMinutes(90);
    assertThat(List.of(GoDuration.parse("--x", "1.5s"), GoDuration.parse("--x", "0")))
        .containsExactly(java.time.Duration.ofMillis(1500), java.time.Duration.ZERO);
  }

  @Test
  void anEnvVarWithoutANameIsNoCrash() {
    // the soak (100 000 AdmissionReviews): Set.copyOf threw NullPointerException on the null name
    AdmissionHandler handler = new AdmissionHandler(
        () -> Settings.of(dev.hamij.api.HamiConfig.defaults(), new Settings.Policies("binpack", "spread", "", true))
            .admission(), java.util.Set.of(), p -> new dev.hamij.core.Admission(dev.hamij.core.Admission.Verdict.ALLOW, "", 0, 0));
    String pod = "{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"name\":\"c\","
        + "\"env\":[{\"value\":\"1\"},null],\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\"}}}]}}";
    String review = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"r1\","
        + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"namespace\":\"default\","
        + "\"object\":" + pod + "}}";
    AdmissionHandler.Reply reply = handler.handle(review.getBytes(StandardCharsets.UTF_8));
    assertThat(reply.status()).isEqualTo(200);
    assertThat(ExtenderWire.JSON.readTree(reply.body()).get("response").get("allowed").asBoolean()).isTrue();
  }

  @Test
  void aListWithoutItemsAndAnnotationsWithoutValuesLoad(@TempDir Path dir) throws Exception {
    // the soak: "items:" with no value threw NullPointerException; so did an annotation without a value
    Path empty = dir.resolve("empty.yaml");
    Files.writeString(empty, "apiVersion: v1\nkind: List\nitems:\n");
    assertThat(Snapshot.load(empty).nodes()).isEmpty();
    Path snap = dir.resolve("snap.yaml");
    Files.writeString(snap, ExtenderWire.KUBE.asYaml(Fixtures.gpuNode("n1", 1, 10000)));
    Path pod = dir.resolve("pod.yaml");
    Files.writeString(pod, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    nvidia.com/use-gputype:\n"
        + "spec:\n  containers:\n  - name: c\n    resources:\n      limits:\n        nvidia.com/gpu: 1\n");
    var result = OfflineDecision.decide(Snapshot.load(snap), snap, Snapshot.loadPod(pod), pod,
        Settings.of(dev.hamij.api.HamiConfig.defaults(), new Settings.Policies("binpack", "spread", "", true)),
        java.time.Instant.EPOCH);
    assertThat(result.get("node").asString()).isEqualTo("n1");
  }

  private static String resource(String name) throws IOException {
    try (var in = FuzzRegressionTest.class.getResourceAsStream("/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }
}
