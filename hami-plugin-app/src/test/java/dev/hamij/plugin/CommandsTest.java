package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.RegisterCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The {@code discover} and {@code manifests} subcommands, run through the real command line. */
class CommandsTest {

  private static final String EXAMPLE_NODE = "../examples/node/simulated-node.yaml";
  private static final String EXAMPLE_MIG_NODE = "../examples/node/simulated-mig-node.yaml";
  private static final String EXAMPLE_CONFIG = "../examples/node/device-config.yaml";

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void discoverPrintsTheExampleNodesGpusAndTheAnnotationItWouldWrite() {
    Run run = run("discover", "--node-name", "gpu-1", "--simulate", EXAMPLE_NODE, "--device-config", EXAMPLE_CONFIG);

    assertThat(run.code()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("node gpu-1: mode hami-core, 3 GPUs, 30 devices for kubelet as nvidia.com/gpu"
        + " (10 per GPU)");
    assertThat(lines.get(3)).isEqualTo("GPU 2  GPU-1c7d0e4a-8b2f-4c6d-a9e1-3f5b7d9c1e2a  NVIDIA H100 80GB HBM3  81559 MiB"
        + "  devcore 100  numa 1  count 10  healthy  registered");
    String register = lines.get(4);
    assertThat(register).startsWith("hami.io/node-nvidia-register: [");
    List<GpuDevice> devices = RegisterCodec.decode(register.substring(register.indexOf(' ') + 1), "gpu-1");
    assertThat(devices).extracting(GpuDevice::type)
        .containsExactly("NVIDIA A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3");
    assertThat(lines).hasSize(5);
  }

  @Test
  void discoverOnTheMigExampleNodeShowsTheProfilesAndTheLegacyHandshake() {
    Run run = run("discover", "--node-name", "gpu-mig", "--simulate", EXAMPLE_MIG_NODE, "--device-config",
        EXAMPLE_CONFIG, "--register-format", "legacy");

    assertThat(run.code()).isZero();
    assertThat(run.out()).contains("node gpu-mig: mode mig, 2 GPUs, 20 devices",
        "  MIG 2g.10gb  9856 MiB  core 29  2 slices  placements [0:2, 2:2, 4:2]",
        "  MIG 7g.80gb  81152 MiB  core 100  7 slices  placements [0:8]",
        "hami.io/node-handshake: Reported ",
        "hami.io/node-nvidia-register: GPU-2b8e1f5c-9d3a-4e7b-8c6f-4a0d2e6b8f1c,7,40960,100,NVIDIA A100-SXM4-40GB,0,"
            + "true,0,mig:");
  }

  @Test
  void badInputIsOneLineNamingWhatIsWrong() {
    Run noNode = run("discover", "--simulate", EXAMPLE_NODE, "--node-name", "");
    assertThat(noNode.code()).isEqualTo(1);
    assertThat(noNode.err().strip()).isEqualTo("discover: --node-name (or env NODE_NAME) is required");

    Run format = run("discover", "--node-name", "n", "--simulate", EXAMPLE_NODE, "--register-format", "xml");
    assertThat(format.err().strip()).isEqualTo("discover: --register-format: expected json or legacy, got 'xml'");

    Run config = run("discover", "--node-name", "n", "--simulate", EXAMPLE_NODE, "--device-config", "/nonexistent");
    assertThat(config.err().strip()).isEqualTo("discover: cannot read configuration file /nonexistent:"
        + " java.nio.file.NoSuchFileException: /nonexistent");

    Run simulation = run("discover", "--node-name", "n", "--simulate", EXAMPLE_CONFIG);
    assertThat(simulation.err().lines().count()).isEqualTo(1);
    assertThat(simulation.err()).startsWith("discover: simulated NVML config " + EXAMPLE_CONFIG);
  }

  @Test
  void manifestsGrantExactlyWhatThePluginUsesAndMountTheHostPathsItNeeds() throws Exception {
    Run run = run("manifests", "--namespace", "gpu-system", "--node-selector", "accelerator=nvidia");

    assertThat(run.code()).isZero();
    ObjectMapper yaml = new YAMLMapper();
    List<JsonNode> docs = List.of(run.out().split("(?m)^---\n")).stream().skip(1).map(yaml::readTree).toList();
    assertThat(docs).extracting(d -> d.get("kind").asString())
        .containsExactly("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet");

    JsonNode role = docs.get(1);
    assertThat(role.get("rules").size()).isEqualTo(2);
    assertThat(rule(role, 0)).isEqualTo(Map.entry("nodes", List.of("get", "patch")));
    assertThat(rule(role, 1)).isEqualTo(Map.entry("pods", List.of("get", "list", "watch", "patch")));
    assertThat(docs.get(2).at("/subjects/0/namespace").asString()).isEqualTo("gpu-system");

    JsonNode pod = docs.get(3).at("/spec/template/spec");
    assertThat(pod.at("/serviceAccountName").asString()).isEqualTo("hami-device-plugin");
    assertThat(pod.at("/nodeSelector/accelerator").asString()).isEqualTo("nvidia");
    assertThat(pod.get("volumes").valueStream().map(v -> v.at("/hostPath/path").asString("")).toList())
        .containsExactly("/var/lib/kubelet/device-plugins", "/usr/local/vgpu", "/tmp/vgpulock", "");
    JsonNode container = pod.at("/containers/0");
    assertThat(container.get("args").valueStream().map(JsonNode::asString).toList()).containsExactly("serve",
        "--device-config=/device-config/device-config.yaml", "--register-format=json", "--metrics-bind-address=:9394");
    assertThat(container.at("/env/0/valueFrom/fieldRef/fieldPath").asString()).isEqualTo("spec.nodeName");

    Run bad = run("manifests", "--node-selector", "gpu");
    assertThat(bad.err().strip()).isEqualTo("manifests: --node-selector: expected key=value, got 'gpu'");
  }

  @Test
  void goDurationsOnTheCommandLine() {
    DurationConverter converter = new DurationConverter();
    assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(converter.convert("1h30m")).isEqualTo(Duration.ofMinutes(90));
    Run bad = run("serve", "--node-name", "n", "--health-quiet-period", "5 minutes");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("'5 minutes' is not a duration such as 500ms, 30s, 5m or 1h30m");
  }

  private static Map.Entry<String, List<String>> rule(JsonNode role, int i) {
    JsonNode r = role.get("rules").get(i);
    assertThat(r.get("apiGroups").get(0).asString()).isEmpty();
    return Map.entry(r.get("resources").get(0).asString(),
        r.get("verbs").valueStream().map(JsonNode::asString).toList());
  }
}
