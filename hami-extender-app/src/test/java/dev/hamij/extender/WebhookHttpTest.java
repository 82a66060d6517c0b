package dev.hamij.extender;

import static dev.hamij.extender.Fixtures.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code POST /webhook} through a real socket: the AdmissionReview answer for each case of scheduler.md §8. */
class WebhookHttpTest {
  private static ExtenderRuntime runtime;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    MemoryCluster cluster = new MemoryCluster(new Snapshot(List.of(Fixtures.gpuNode("n1", 1, 10000)), List.of(),
        List.of(new ResourceQuotaBuilder().withNewMetadata().withName("gpu").withNamespace("limited").endMetadata()
            .withNewSpec().addToHard("limits.nvidia.com/gpumem", new Quantity("1000")).endSpec().build())));
    runtime = ExtenderRuntime.start(Fixtures.options(Extender.FilterMode.BEST_NODE), cluster, null);
    port = runtime.httpPort();
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  private static String review(String version, String operation, String user, String pod, String oldPod) {
    return "{\"apiVersion\":\"admission.k8s.io/" + version + "\",\"kind\":\"AdmissionReview\",\"request\":{"
        + "\"uid\":\"req-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        + "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
        + "\"namespace\":\"" + ns(pod) + "\",\"operation\":\"" + operation + "\","
        + "\"userInfo\":{\"username\":\"" + user + "\",\"groups\":[\"system:authenticated\"]},"
        + "\"object\":" + pod + (oldPod == null ? "" : ",\"oldObject\":" + oldPod) + "}}";
  }

  private static String ns(String pod) {
    return pod.contains("\"namespace\":\"limited\"") ? "limited" : "default";
  }

  private static String pod(String metadataExtra, String spec) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\""
        + metadataExtra + "},\"spec\":" + spec + "}";
  }

  private static String container(String limits) {
    return "{\"name\":\"main\",\"image\":\"cuda\",\"resources\":{\"limits\":" + limits + "}}";
  }

  /** The response object with its patch decoded into {@code "patch"} as JSON. */
  private static JsonNode answer(String body) throws Exception {
    HttpResponse<String> r = post(port, "/webhook", body);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode review = ExtenderWire.JSON.readTree(r.body());
    assertThat(review.get("kind").asString()).isEqualTo("AdmissionReview");
    ObjectNode response = (ObjectNode) review.get("response");
    if (response.has("patch")) {
      response.set("patch", ExtenderWire.JSON.readTree(
          new String(Base64.getDecoder().decode(response.get("patch").asString()), StandardCharsets.UTF_8)));
    }
    return response;
  }

  private static void assertAnswer(String body, String expected) throws Exception {
    assertThat(answer(body)).isEqualTo(ExtenderWire.JSON.readTree(expected));
  }

  @Test
  void gpuAloneIsMadeExclusiveAndSentToTheExtendersScheduler() throws Exception {
    assertAnswer(review("v1", "CREATE", "alice", pod("", "{\"containers\":[" + container("{\"nvidia.com/gpu\":\"1\"}") + "]}"), null),
        """
        {"uid":"req-1","allowed":true,"patchType":"JSONPatch","patch":[
          {"op":"add","path":"/spec/containers/0/resources/limits/nvidia.com~1gpucores","value":"100"},
          {"op":"add","path":"/spec/schedulerName","value":"hami-scheduler"}]}
        """);
  }

  @Test
  void defaultSchedulerIsReplacedAndMemoryRequestStaysShared() throws Exception {
    assertAnswer(review("v1", "CREATE", "alice", pod("", "{\"schedulerName\":\"default-scheduler\",\"containers\":["
        + container("{\"nvidia.com/gpu\":\"1\",\"nvidia.com/gpumem\":\"3000\"}") + "]}"), null),
        """
        {"uid":"req-1","allowed":true,"patchType":"JSONPatch","patch":[
          {"op":"replace","path":"/spec/schedulerName","value":"hami-scheduler"}]}
        """);
  }

  @Test
  void memoryWithoutCountGetsTheDefaultGpuNumber() throws Exception {
    assertAnswer(review("v1", "CREATE", "alice", pod("", "{\"containers\":[" + container("{\"nvidia.com/gpumem\":\"3000\"}") + "]}"), null),
        """
        {"uid":"req-1","allowed":true,"patchType":"JSONPatch","patch":[
          {"op":"add","path":"/spec/containers/0/resources/limits/nvidia.com~1gpu","value":"1"},
          {"op":"add","path":"/spec/schedulerName","value":"hami-scheduler"}]}
        """);
  }

  @Test
  void percentageOneHundredIsExclusive() throws Exception {
    assertAnswer(review("v1", "CREATE", "alice", pod("", "{\"containers\":["
        + container("{\"nvidia.com/gpu\":\"1\",\"nvidia.com/gpumem-percentage\":\"100\"}") + "]}"), null),
        """
        {"uid":"req-1","allowed":true,"patchType":"JSONPatch","patch":[
          {"op":"add","path":"/spec/containers/0/resources/limits/nvidia.com~1gpucores","value":"100"},
          {"op":"add","path":"/spec/schedulerName","value":"hami-scheduler"}]}
        """);
  }

  @Test
  void priorityBecomesAnEnvVarAndInitContainersCount() throws Exception {
    String spec = "{\"initContainers\":[{\"name\":\"warmup\",\"image\":\"cuda\",\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\"}}}],"
        + "\"containers\":[" + container("{\"nvidia.com/gpu\":\"1\",\"nvidia.com/gpumem\":\"100\",\"nvidia.com/priority\":\"1\"}") + "]}";
    assertAnswer(review("v1", "CREATE", "alice", pod("", spec), null),
        """
        {"uid":"req-1","allowed":true,"patchType":"JSONPatch","patch":[
          {"op":"add","path":"/spec/initContainers/0/resources/limits/nvidia.com~1gpucores","value":"100"},
          {"op":"add","path":"/spec/containers/0/env","value":[{"name":"CUDA_TASK_PRIORITY","value":"1"}]},
          {"op":"add","path":"/spec/schedulerName","value":"hami-scheduler"}]}
        """);
  }

  @Test
  void podWithoutGpuIsAdmittedUnchanged() throws Exception {
    assertAnswer(review("v1", "CREATE", "alice", pod("", "{\"containers\":[" + container("{\"cpu\":\"1\"}") + "]}"), null),
        "{\"uid\":\"req-1\",\"allowed\":true}");
  }

  @Test
  void podOfAnotherSchedulerIsLeftAlone() throws Exception {
    assertAnswer(review("v1", "CREATE", "alice", pod("", "{\"schedulerName\":\"volcano\",\"containers\":["
        + container("{\"nvidia.com/gpu\":\"1\"}") + "]}"), null),
        "{\"uid\":\"req-1\",\"allowed\":true,\"status\":{\"code\":200,\"message\":\"pod already has different scheduler assigned\"}}");
  }

  @Test
  void podWithoutContainersIsDenied() throws Exception {
    assertAnswer(review("v1", "CREATE", "alice", pod("", "{\"containers\":[]}"), null),
        "{\"uid\":\"req-1\",\"allowed\":false,\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":\"pod has no containers\"}}");
  }

  @Test
  void privilegedGpuContainerIsDenied() throws Exception {
    String spec = "{\"containers\":[{\"name\":\"main\",\"image\":\"cuda\",\"securityContext\":{\"privileged\":true},"
        + "\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\"}}}]}";
    assertAnswer(review("v1", "CREATE", "alice", pod("", spec), null),
        "{\"uid\":\"req-1\",\"allowed\":false,\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":\"container main is privileged\"}}");
  }

  @Test
  void gpuPodWithNodeNameIsDenied() throws Exception {
    assertAnswer(review("v1", "CREATE", "alice", pod("", "{\"nodeName\":\"n1\",\"containers\":["
        + container("{\"nvidia.com/gpu\":\"1\"}") + "]}"), null),
        "{\"uid\":\"req-1\",\"allowed\":false,\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":\"pod has node assigned\"}}");
  }

  @Test
  void invalidPercentageIsAnError() throws Exception {
    JsonNode a = answer(review("v1", "CREATE", "alice", pod("", "{\"containers\":["
        + container("{\"nvidia.com/gpu\":\"1\",\"nvidia.com/gpumem-percentage\":\"150\"}") + "]}"), null));
    assertThat(a.get("allowed").asBoolean()).isFalse();
    assertThat(a.get("status").get("code").asInt()).isEqualTo(500);
    assertThat(a.get("status").get("message").asString())
        .isEqualTo("invalid nvidia.com/gpumem-percentage value 150 in container main: expected an integer from 0 to 100");
  }

  @Test
  void podBeyondItsNamespaceQuotaIsDenied() throws Exception {
    String limited = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"q\",\"namespace\":\"limited\"},"
        + "\"spec\":{\"containers\":[" + container("{\"nvidia.com/gpu\":\"1\",\"nvidia.com/gpumem\":\"2000\"}") + "]}}";
    assertAnswer(review("v1", "CREATE", "alice", limited, null),
        "{\"uid\":\"req-1\",\"allowed\":false,\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":\"exceeding resource quota\"}}");
    String small = limited.replace("2000", "500");
    assertThat(answer(review("v1", "CREATE", "alice", small, null)).get("allowed").asBoolean()).isTrue();
  }

  @Test
  void forgedAllocationAnnotationsAreStrippedOnCreate() throws Exception {
    String meta = ",\"annotations\":{\"hami.io/vgpu-devices-to-allocate\":\"GPU-n1-0,NVIDIA,10000,100:;\","
        + "\"hami.io/gpu-scheduler-policy\":\"binpack\"},\"labels\":{\"hami.io/vgpu-node\":\"n1\",\"app\":\"x\"}";
    assertAnswer(review("v1", "CREATE", "mallory", pod(meta, "{\"schedulerName\":\"volcano\",\"containers\":["
        + container("{\"cpu\":\"1\"}") + "]}"), null),
        """
        {"uid":"req-1","allowed":true,"patchType":"JSONPatch","patch":[
          {"op":"remove","path":"/metadata/annotations/hami.io~1vgpu-devices-to-allocate"},
          {"op":"remove","path":"/metadata/labels/hami.io~1vgpu-node"}],
         "status":{"code":200,"message":"pod already has different scheduler assigned"}}
        """);
  }

  @Test
  void allocationAnnotationsMayOnlyBeChangedByTrustedAccounts() throws Exception {
    String before = pod(",\"annotations\":{\"hami.io/vgpu-devices-to-allocate\":\"GPU-n1-0,NVIDIA,1000,10:;\"}",
        "{\"containers\":[" + container("{\"nvidia.com/gpu\":\"1\"}") + "]}");
    String forged = before.replace("1000,10", "10000,100");
    JsonNode denied = answer(review("v1", "UPDATE", "mallory", forged, before));
    assertThat(denied.get("allowed").asBoolean()).isFalse();
    assertThat(denied.get("status").get("code").asInt()).isEqualTo(403);
    assertThat(denied.get("status").get("message").asString())
        .isEqualTo("annotation hami.io/vgpu-devices-to-allocate may only be changed by the HAMi scheduler or device plugin, not by mallory");
    assertAnswer(review("v1", "UPDATE", "system:serviceaccount:hami-system:hami-scheduler", forged, before),
        "{\"uid\":\"req-1\",\"allowed\":true}");
    String relabelled = before.replace("\"namespace\":\"default\"", "\"namespace\":\"default\",\"labels\":{\"app\":\"y\"}");
    assertAnswer(review("v1", "UPDATE", "mallory", relabelled, before), "{\"uid\":\"req-1\",\"allowed\":true}");
  }

  @Test
  void v1beta1ReviewsAreAnsweredInV1beta1() throws Exception {
    HttpResponse<String> r = post(port, "/webhook", review("v1beta1", "CREATE", "alice",
        pod("", "{\"containers\":[" + container("{\"nvidia.com/gpu\":\"1\"}") + "]}"), null));
    JsonNode review = ExtenderWire.JSON.readTree(r.body());
    assertThat(review.get("apiVersion").asString()).isEqualTo("admission.k8s.io/v1beta1");
    assertThat(review.get("response").get("uid").asString()).isEqualTo("req-1");
    assertThat(review.get("response").get("patchType").asString()).isEqualTo("JSONPatch");
  }

  @Test
  void undecodableInputIsRejected() throws Exception {
    assertThat(post(port, "/webhook", "not json").statusCode()).isEqualTo(400);
    assertThat(post(port, "/webhook", "{\"kind\":\"Pod\"}").statusCode()).isEqualTo(400);
    JsonNode a = answer(review("v1", "CREATE", "alice", "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":\"oops\"}}", null));
    assertThat(a.get("allowed").asBoolean()).isFalse();
    assertThat(a.get("status").get("code").asInt()).isEqualTo(400);
    assertThat(a.get("status").get("message").asString()).startsWith("cannot decode pod");
  }
}
