package dev.hamij.extender;

import static dev.hamij.extender.Fixtures.bindArgs;
import static dev.hamij.extender.Fixtures.filterArgs;
import static dev.hamij.extender.Fixtures.get;
import static dev.hamij.extender.Fixtures.gpuNode;
import static dev.hamij.extender.Fixtures.plainNode;
import static dev.hamij.extender.Fixtures.pod;
import static dev.hamij.extender.Fixtures.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The extender v1 HTTP API through a real socket, with golden JSON. */
class HttpApiTest {
  private MemoryCluster cluster;
  private ExtenderRuntime runtime;
  private int port;

  @BeforeEach
  void start() throws Exception {
    cluster = new MemoryCluster(new Snapshot(List.of(gpuNode("n1", 1, 10000), gpuNode("n2", 2, 10000), plainNode("cpu")),
        List.of(), List.of()));
    runtime = ExtenderRuntime.start(Fixtures.options(Extender.FilterMode.BEST_NODE), cluster, null);
    port = runtime.httpPort();
  }

  @AfterEach
  void stop() {
    runtime.close();
  }

  private Pod created(Pod p) {
    return cluster.applyPod(p);
  }

  @Test
  void filterChoosesOneNodeWritesTheAllocationAndBindTakesIt() throws Exception {
    Pod p = created(pod("default", "p1", "uid-1", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "4000"));
    HttpResponse<String> r = post(port, "/filter", filterArgs(p, "n1", "n2", "cpu"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
    // binpack over empty nodes: equal scores, the smaller name wins
    assertThat(r.body()).isEqualTo(
        "{\"Nodes\":null,\"NodeNames\":[\"n1\"],\"FailedNodes\":null,\"FailedAndUnresolvableNodes\":null,\"Error\":\"\"}");
    Pod annotated = cluster.pod("default", "p1");
    assertThat(annotated.getMetadata().getAnnotations())
        .containsEntry(Annotations.VGPU_NODE, "n1")
        .containsEntry(Annotations.DEVICES_ALLOCATED, "GPU-n1-0,NVIDIA,4000,0:;")
        .containsEntry(Annotations.DEVICES_TO_ALLOCATE, "GPU-n1-0,NVIDIA,4000,0:;")
        .containsKey(Annotations.VGPU_TIME);
    assertThat(annotated.getMetadata().getLabels()).containsEntry(Annotations.VGPU_NODE, "n1");

    HttpResponse<String> b = post(port, "/bind", bindArgs(p, "n1"));
    assertThat(b.body()).isEqualTo("{\"Error\":\"\"}");
    Pod bound = cluster.pod("default", "p1");
    assertThat(bound.getSpec().getNodeName()).isEqualTo("n1");
    assertThat(bound.getMetadata().getAnnotations()).containsKey(Annotations.BIND_TIME);
    assertThat(cluster.events()).extracting(MemoryCluster.Recorded::reason, MemoryCluster.Recorded::message)
        .contains(
            org.assertj.core.groups.Tuple.tuple("FilteringSucceed",
                "find fit node(n1), 1 nodes not fit, 2 nodes fit(n1:0.00,n2:0.00)"),
            org.assertj.core.groups.Tuple.tuple("BindingSucceed", "Successfully binding node [n1] to default/p1"));
    assertThat(cluster.node("n1").getMetadata().getAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
  }

  @Test
  void noFitListsEveryCandidateWithItsReason() throws Exception {
    Pod p = created(pod("default", "big", "uid-big", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "20000"));
    HttpResponse<String> r = post(port, "/filter", filterArgs(p, "n1", "n2", "cpu", "ghost"));
    assertThat(r.body()).isEqualTo("{\"Nodes\":null,\"NodeNames\":null,\"FailedNodes\":{"
        + "\"cpu\":\"node unregistered\",\"ghost\":\"node unregistered\","
        + "\"n1\":\"1/1 CardInsufficientMemory\",\"n2\":\"2/2 CardInsufficientMemory\"},"
        + "\"FailedAndUnresolvableNodes\":null,\"Error\":\"\"}");
    assertThat(cluster.events()).extracting(MemoryCluster.Recorded::message)
        .contains("2 nodes CardInsufficientMemory(n1,n2)", "2 nodes node unregistered(cpu,ghost)",
            "no available node, 4 nodes do not meet");
    assertThat(cluster.pod("default", "big").getMetadata().getAnnotations()).isNullOrEmpty();
  }

  @Test
  void podWithoutGpuRequestPassesEveryNodeThrough() throws Exception {
    Pod p = created(pod("default", "cpu-pod", "uid-cpu"));
    HttpResponse<String> r = post(port, "/filter", filterArgs(p, "cpu", "n1"));
    assertThat(r.body()).isEqualTo(
        "{\"Nodes\":null,\"NodeNames\":[\"cpu\",\"n1\"],\"FailedNodes\":null,\"FailedAndUnresolvableNodes\":null,\"Error\":\"\"}");
    assertThat(post(port, "/bind", bindArgs(p, "cpu")).body()).isEqualTo("{\"Error\":\"\"}");
    assertThat(cluster.pod("default", "cpu-pod").getSpec().getNodeName()).isEqualTo("cpu");
  }

  @Test
  void inputKeysAreMatchedCaseInsensitively() throws Exception {
    Pod p = created(pod("default", "lower", "uid-lower", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    String args = "{\"pod\":" + ExtenderWire.KUBE.asJson(p) + ",\"nodenames\":[\"n2\"]}";
    assertThat(post(port, "/filter", args).body()).contains("\"NodeNames\":[\"n2\"]");
    String bind = "{\"podname\":\"lower\",\"PODNAMESPACE\":\"default\",\"podUid\":\"uid-lower\",\"node\":\"n2\"}";
    assertThat(post(port, "/bind", bind).body()).isEqualTo("{\"Error\":\"\"}");
  }

  @Test
  void errorsComeBackInErrorWithStatus200() throws Exception {
    HttpResponse<String> bad = post(port, "/filter", "{not json");
    assertThat(bad.statusCode()).isEqualTo(200);
    assertThat(bad.body()).startsWith(
        "{\"Nodes\":null,\"NodeNames\":null,\"FailedNodes\":null,\"FailedAndUnresolvableNodes\":null,\"Error\":\"cannot decode request body:");
    assertThat(post(port, "/filter", "{\"NodeNames\":[\"n1\"]}").body()).isEqualTo(
        "{\"Nodes\":null,\"NodeNames\":null,\"FailedNodes\":null,\"FailedAndUnresolvableNodes\":null,"
            + "\"Error\":\"extender args missing pod\"}");
    assertThat(post(port, "/bind", "{\"PodName\":\"ghost\",\"PodNamespace\":\"default\",\"PodUID\":\"u\",\"Node\":\"n1\"}")
        .body()).isEqualTo("{\"Error\":\"pod default/ghost not found\"}");
    assertThat(post(port, "/bind", "[]").body()).startsWith("{\"Error\":\"cannot decode request body");
  }

  @Test
  void malformedGpuQuantityIsReportedInsteadOfIgnored() throws Exception {
    Pod p = created(pod("default", "gi", "uid-gi", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "16Gi"));
    String body = post(port, "/filter", filterArgs(p, "n1")).body();
    assertThat(body).startsWith("{\"Nodes\":null,\"NodeNames\":null,\"FailedNodes\":null,"
        + "\"FailedAndUnresolvableNodes\":null,\"Error\":\"").contains("nvidia.com/gpumem").contains("16Gi");
  }

  @Test
  void bodiesAboveOneMebibyteAreRefused() throws Exception {
    String huge = "{\"Pod\":{\"metadata\":{\"name\":\"" + "x".repeat(HttpSurface.MAX_BODY) + "\"}}}";
    HttpResponse<String> r = post(port, "/filter", huge);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"Error\":\"request body exceeds 1048576 bytes\"");
  }

  @Test
  void simulationModeAnswersWithNodeObjectsAndWritesNothing() throws Exception {
    Pod p = created(pod("default", "sim", "uid-sim", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "4000"));
    String nodes = "{\"items\":[" + ExtenderWire.KUBE.asJson(gpuNode("s1", 1, 2000)) + ","
        + ExtenderWire.KUBE.asJson(gpuNode("s2", 1, 8000)) + "," + ExtenderWire.KUBE.asJson(plainNode("s3")) + "]}";
    String args = "{\"Pod\":" + ExtenderWire.KUBE.asJson(p) + ",\"Nodes\":" + nodes + ",\"NodeNames\":null}";
    var tree = ExtenderWire.JSON.readTree(post(port, "/filter", args).body());
    assertThat(tree.get("Nodes").get("items")).hasSize(1);
    assertThat(tree.get("Nodes").get("items").get(0).get("metadata").get("name").asString()).isEqualTo("s2");
    assertThat(tree.get("NodeNames").isNull()).isTrue();
    assertThat(tree.get("FailedNodes").get("s1").asString()).isEqualTo("1/1 CardInsufficientMemory");
    assertThat(tree.get("FailedNodes").get("s3").asString()).isEqualTo("node unregistered");
    assertThat(cluster.pod("default", "sim").getMetadata().getAnnotations()).isNullOrEmpty();
  }

  @Test
  void prioritizeScalesHamiScoresToZeroToTen() throws Exception {
    Pod busy = created(pod("default", "busy", "uid-busy", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "5000",
        "nvidia.com/gpucores", "50"));
    assertThat(post(port, "/filter", filterArgs(busy, "n2")).body()).contains("[\"n2\"]");
    Pod p = created(pod("default", "prio", "uid-prio", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    // n2 now holds 1 of 20 slots, 50 of 200 cores, 5000 of 20000 MiB: score 10*(0.05+0.25+0.25) = 5.5 -> 2
    assertThat(post(port, "/prioritize", filterArgs(p, "n1", "n2", "cpu")).body())
        .isEqualTo("[{\"Host\":\"n1\",\"Score\":0},{\"Host\":\"n2\",\"Score\":2},{\"Host\":\"cpu\",\"Score\":0}]");
  }

  @Test
  void healthAndReadinessAndMethodChecks() throws Exception {
    HttpResponse<String> h = get(port, "/healthz");
    assertThat(h.statusCode()).isEqualTo(200);
    assertThat(h.body()).isEmpty();
    assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);
    assertThat(get(port, "/filter").statusCode()).isEqualTo(405);
    assertThat(get(port, "/nothing").statusCode()).isEqualTo(404);
  }

  @Test
  void aDeletedPodFreesItsGpuForTheNextFilter() throws Exception {
    Pod first = created(pod("default", "first", "uid-first", "nvidia.com/gpu", "1", "nvidia.com/gpucores", "100"));
    assertThat(post(port, "/filter", filterArgs(first, "n1")).body()).contains("[\"n1\"]");
    Pod second = created(pod("default", "second", "uid-second", "nvidia.com/gpu", "1", "nvidia.com/gpucores", "100"));
    assertThat(post(port, "/filter", filterArgs(second, "n1")).body())
        .contains("\"n1\":\"1/1 CardInsufficientMemory\"");
    cluster.deletePod("default", "first");
    assertThat(Fixtures.eventually(Duration.ofSeconds(1), () -> {
      try {
        return post(port, "/filter", filterArgs(second, "n1")).body().contains("\"NodeNames\":[\"n1\"]");
      } catch (Exception e) {
        return false;
      }
    })).as("freed GPU visible to the next filter within a second").isTrue();
  }
}
