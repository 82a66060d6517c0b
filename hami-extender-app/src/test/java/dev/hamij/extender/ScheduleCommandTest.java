package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@code schedule} on the example snapshot (golden JSON), and its answers to bad input. */
class ScheduleCommandTest {
  /** The repository's examples folder (tests run in the module directory). */
  static final Path EXAMPLES = Path.of("..", "examples");
  static final Path SNAPSHOT = EXAMPLES.resolve("snapshots/mixed-cluster.yaml");

  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static String golden(String name) throws IOException {
    try (InputStream in = ScheduleCommandTest.class.getResourceAsStream("/golden/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"shared-slice", "exclusive-gpu", "two-gpus", "mig-slice", "too-large"})
  void examplePodsGiveTheRecordedDecision(String pod) throws Exception {
    Run r = run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", EXAMPLES.resolve("pods/" + pod + ".yaml").toString(),
        "--now", "1796025600");
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(ExtenderWire.JSON.readTree(r.out())).isEqualTo(ExtenderWire.JSON.readTree(golden("schedule-" + pod + ".json")));
  }

  @Test
  void migRequestTakesTheSmallestProfileBesideTheRunningInstance() throws Exception {
    Run r = run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", EXAMPLES.resolve("pods/mig-slice.yaml").toString());
    var tree = ExtenderWire.JSON.readTree(r.out());
    assertThat(tree.get("node").asString()).isEqualTo("mig-node-1");
    assertThat(tree.get("annotations").get("hami.io/vgpu-mig-allocations").asString()).contains("\"profile\":\"2g.10gb\"");
    assertThat(tree.get("nodes").get("gpu-node-1").get("reason").asString()).isEqualTo("4/4 CardTypeMismatch");
  }

  @Test
  void textOutputIsATable() {
    Run r = run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", EXAMPLES.resolve("pods/too-large.yaml").toString(),
        "-o", "text");
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("""
        pod default/too-large -> no node
        NODE        FITS    SCORE  REASON
        cpu-node-1  no             node unregistered
        gpu-node-1  no             4/4 CardInsufficientMemory
        gpu-node-2  no             2/2 CardInsufficientMemory
        mig-node-1  no             2/2 CardMigTopologyInfeasible
        """);
  }

  @Test
  void aDifferentNodePolicyChangesTheChoice() throws Exception {
    Run r = run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", EXAMPLES.resolve("pods/shared-slice.yaml").toString(),
        "--node-scheduler-policy", "spread");
    assertThat(ExtenderWire.JSON.readTree(r.out()).get("node").asString()).isEqualTo("gpu-node-2");
  }

  private Path write(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content);
    return p;
  }

  @Test
  void multiDocumentSnapshotsWork() throws Exception {
    Path multi = write("multi.yaml", "---\n" + ExtenderWire.KUBE.asYaml(Fixtures.gpuNode("a", 1, 8000)).replaceFirst("^---\n", "")
        + "---\n" + ExtenderWire.KUBE.asYaml(Fixtures.gpuNode("b", 1, 16000)).replaceFirst("^---\n", ""));
    Run r = run("schedule", "--snapshot", multi.toString(), "--pod", EXAMPLES.resolve("pods/two-gpus.yaml").toString());
    assertThat(r.code()).isZero();
    var tree = ExtenderWire.JSON.readTree(r.out());
    assertThat(tree.get("node").isNull()).isTrue();
    assertThat(tree.get("nodes").get("a").get("reason").asString()).isEqualTo("NodeInsufficientDevice");
  }

  private static void assertOneLineError(Run r, String... fragments) {
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip()).doesNotContain("\n").startsWith("error: ");
    for (String f : fragments) {
      assertThat(r.err()).contains(f);
    }
  }

  @Test
  void badInputGetsOneLineNamingTheFileAndField() throws Exception {
    String pod = EXAMPLES.resolve("pods/shared-slice.yaml").toString();
    assertOneLineError(run("schedule", "--snapshot", dir.resolve("missing.yaml").toString(), "--pod", pod),
        "missing.yaml", "cannot read");

    Path notYaml = write("broken.yaml", "items: [\n  - {kind: Node\n");
    assertOneLineError(run("schedule", "--snapshot", notYaml.toString(), "--pod", pod), "broken.yaml");

    Path badRegister = write("bad-register.yaml", """
        apiVersion: v1
        kind: Node
        metadata:
          name: gpu-x
          annotations:
            hami.io/node-nvidia-register: '[{"id":"GPU-1","count":"ten"}]'
        """);
    assertOneLineError(run("schedule", "--snapshot", badRegister.toString(), "--pod", pod),
        "bad-register.yaml", "Node gpu-x", "hami.io/node-nvidia-register");

    Path badAllocation = write("bad-allocation.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: old
          namespace: default
          annotations:
            hami.io/vgpu-node: gpu-x
            hami.io/vgpu-devices-allocated: "GPU-1,NVIDIA:;"
        spec:
          containers: [{name: c, image: x}]
        """);
    assertOneLineError(run("schedule", "--snapshot", badAllocation.toString(), "--pod", pod),
        "bad-allocation.yaml", "Pod default/old", "hami.io/vgpu-devices-allocated");

    Path gi = write("gi.yaml", """
        apiVersion: v1
        kind: Pod
        metadata: {name: gi}
        spec:
          containers:
          - name: main
            image: x
            resources: {limits: {nvidia.com/gpu: "1", nvidia.com/gpumem: 16Gi}}
        """);
    assertOneLineError(run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", gi.toString()),
        "gi.yaml", "default/gi", "nvidia.com/gpumem");

    Path twoPods = write("two.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\n---\n"
        + "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c}]}\n");
    assertOneLineError(run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", twoPods.toString()),
        "two.yaml", "exactly one Pod, found 2");

    Path noContainers = write("empty.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: e}\nspec: {}\n");
    assertOneLineError(run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", noContainers.toString()),
        "empty.yaml", "spec.containers");

    Path badQuota = write("bad-quota.yaml", """
        apiVersion: v1
        kind: ResourceQuota
        metadata: {name: q, namespace: ml}
        spec: {hard: {limits.nvidia.com/gpumem: 1.5}}
        """);
    assertOneLineError(run("schedule", "--snapshot", badQuota.toString(), "--pod", pod),
        "bad-quota.yaml", "ResourceQuota ml/q", "spec.hard");

    Path badConfig = write("config.yaml", "nvidia:\n  memoryFactor: zero\n");
    assertOneLineError(run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", pod, "--device-config-file",
        badConfig.toString()), "config.yaml", "memoryFactor");

    assertOneLineError(run("schedule", "--snapshot", SNAPSHOT.toString(), "--pod", pod, "-o", "xml"), "-o", "xml");
  }
}
