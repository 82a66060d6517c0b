package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String FULL = String.join("\n",
      "nvidia:",
      "  resourceCountName: example.com/vgpu",
      "  resourceMemoryName: example.com/vgpu-mem",
      "  resourceMemoryPercentageName: example.com/vgpu-mem-pct",
      "  resourceCoreName: example.com/vgpu-cores",
      "  resourcePriorityName: example.com/vgpu-priority",
      "  overwriteEnv: true",
      "  defaultMemory: 1024",
      "  defaultCores: 10",
      "  defaultGPUNum: 2",
      "  memoryFactor: 4",
      "  deviceSplitCount: 5",
      "  deviceMemoryScaling: 1.5",
      "  deviceCoreScaling: 2",
      "  preConfiguredDeviceMemory: 4096",
      "  libCudaLogLevel: 3",
      "  enableNumaTopology: true",
      "  disableCoreLimit: true",
      "  gpuCorePolicy: force",
      "  runtimeClassName: \"nvidia\"",
      "  knownMigGeometries:",
      "  - models: [\"A100-SXM4-40GB\"]",
      "    allowedGeometries:",
      "    - - {name: 1g.5gb, memory: 5120, count: 7}",
      "    - - {name: 2g.10gb, core: 28, memory: 10240, count: 3}",
      "      - {name: 1g.5gb, memory: 5120, count: 1}",
      "  migProfileAllowlist:",
      "  - models: [\"A30\"]",
      "    profiles: [\"1g.6gb\", \"4g.24gb\"]",
      "cambricon:",
      "  resourceCountName: cambricon.com/vmlu",
      "nodeconfig:",
      "- name: node-a",
      "  operatingmode: mig",
      "  devicememoryscaling: 1.8",
      "  devicesplitcount: 0",
      "  filterdevices:",
      "    uuid: [GPU-x]",
      "    index: [3]",
      "");

  @Test
  void readsEveryKey() {
    HamiConfig config = ConfigLoader.parse(FULL, "device-config.yaml");
    NvidiaConfig n = config.nvidia();
    assertThat(n.resourceNames()).isEqualTo(new ResourceNames("example.com/vgpu", "example.com/vgpu-mem",
        "example.com/vgpu-mem-pct", "example.com/vgpu-cores", "example.com/vgpu-priority"));
    assertThat(n.overwriteEnv()).isTrue();
    assertThat(n.defaultMemory()).isEqualTo(1024);
    assertThat(n.defaultCores()).isEqualTo(10);
    assertThat(n.defaultGPUNum()).isEqualTo(2);
    assertThat(n.memoryFactor()).isEqualTo(4);
    assertThat(n.deviceSplitCount()).isEqualTo(5);
    assertThat(n.deviceMemoryScaling()).isEqualTo(1.5);
    assertThat(n.deviceCoreScaling()).isEqualTo(2.0);
    assertThat(n.preConfiguredDeviceMemory()).isEqualTo(4096);
    assertThat(n.libCudaLogLevel()).isEqualTo("3");
    assertThat(n.enableNumaTopology()).isTrue();
    assertThat(n.disableCoreLimit()).isTrue();
    assertThat(n.gpuCorePolicy()).isEqualTo("force");
    assertThat(n.runtimeClassName()).isEqualTo("nvidia");
    assertThat(n.knownMigGeometries()).containsExactly(new MigGeometry(List.of("A100-SXM4-40GB"), List.of(
        List.of(new MigTemplate("1g.5gb", 5120, 7, 0)),
        List.of(new MigTemplate("2g.10gb", 10240, 3, 28), new MigTemplate("1g.5gb", 5120, 1, 0)))));
    assertThat(n.geometryFor("NVIDIA A100-SXM4-40GB")).isPresent();
    assertThat(n.migProfileAllowlist()).containsExactly(new MigAllowlistEntry(List.of("A30"), List.of("1g.6gb", "4g.24gb")));
    assertThat(config.nodeConfigs()).hasSize(1);
    assertThat(config.operatingModeFor("node-a")).isEqualTo("mig");
    assertThat(config.operatingModeFor("node-b")).isEqualTo("hami-core");
    NvidiaConfig a = config.effectiveFor("node-a");
    assertThat(a.deviceMemoryScaling()).isEqualTo(1.8);
    assertThat(a.deviceSplitCount()).as("node value 0 does not override").isEqualTo(5);
    assertThat(config.nodeConfigFor("node-a").filterDevices().excludes("GPU-x", 0)).isTrue();
    assertThat(config.nodeConfigFor("node-a").filterDevices().excludes("GPU-y", 3)).isTrue();
    assertThat(config.nodeConfigFor("node-a").filterDevices().excludes("GPU-y", 1)).isFalse();
    assertThat(config.effectiveFor("node-b")).isEqualTo(n);
  }

  @Test
  void missingKeysTakeChartDefaults() {
    HamiConfig config = ConfigLoader.parse("nvidia: {}\n", "c.yaml");
    assertThat(config).isEqualTo(HamiConfig.defaults());
    NvidiaConfig d = config.nvidia();
    assertThat(d.resourceNames()).isEqualTo(ResourceNames.DEFAULT);
    assertThat(d.deviceSplitCount()).isEqualTo(10);
    assertThat(d.memoryFactor()).isEqualTo(1);
    assertThat(d.defaultGPUNum()).isEqualTo(1);
    assertThat(d.gpuCorePolicy()).isEqualTo("default");
    assertThat(d.knownMigGeometries()).extracting(g -> g.models().get(0)).containsExactly("A30", "A100-SXM4-40GB", "A100-SXM4-80GB");
    assertThat(d.geometryFor("NVIDIA A100-SXM4-40GB").orElseThrow().allowedGeometries().get(1))
        .containsExactly(new MigTemplate("2g.10gb", 10240, 3, 28), new MigTemplate("1g.5gb", 5120, 1, 14));
    assertThat(d.migProfileAllowlist().stream().filter(e -> e.matches("NVIDIA A100-SXM4-80GB")).findFirst().orElseThrow().profiles())
        .containsExactly("1g.10gb", "2g.20gb", "3g.40gb", "7g.79gb");
    assertThat(d.migProfileAllowlist()).hasSize(9);
    assertThat(ConfigLoader.parse("nvidia:\n  deviceSplitCount:\n  migProfileAllowlist: []\n", "c").nvidia())
        .satisfies(n -> {
          assertThat(n.deviceSplitCount()).isEqualTo(10);
          assertThat(n.migProfileAllowlist()).isEmpty();
        });
  }

  @Test
  void emptyOrVendorlessDocumentsFail() {
    assertConfigError("", "(document)", "all configurations are empty");
    assertConfigError("{}", "(document)", "all configurations are empty");
    assertConfigError("nodeconfig: []\n", "nvidia", "all configurations are empty");
    assertConfigError("cambricon: {}\n", "nvidia", "HAMi-J needs the nvidia section");
  }

  @Test
  void unknownKeysAndBadValuesNameKeyPathValueAndFile() {
    assertConfigError("nvidia:\n  deviceSplitCnt: 10\n", "nvidia.deviceSplitCnt", "unknown key");
    assertConfigError("nvidiaa: {}\n", "nvidiaa", "unknown key");
    // found by DecoderFuzzTest: an empty key gave the blank subject "device-config.yaml: : unknown key"
    assertConfigError("? >-\n", "\"\"", "unknown key");
    assertConfigError("nvidia:\n  \"\": 1\n", "nvidia.\"\"", "unknown key");
    assertConfigError("nvidia:\n  deviceSplitCount: 0\n", "nvidia.deviceSplitCount", "expected an integer >= 1, got 0");
    assertConfigError("nvidia:\n  deviceSplitCount: \"10\"\n", "nvidia.deviceSplitCount", "got \"10\"");
    assertConfigError("nvidia:\n  deviceMemoryScaling: 0\n", "nvidia.deviceMemoryScaling", "expected a number > 0, got 0");
    assertConfigError("nvidia:\n  deviceCoreScaling: -1.5\n", "nvidia.deviceCoreScaling", "got -1.5");
    assertConfigError("nvidia:\n  memoryFactor: 0\n", "nvidia.memoryFactor", "expected an integer >= 1");
    assertConfigError("nvidia:\n  defaultCores: 101\n", "nvidia.defaultCores", "between 0 and 100");
    assertConfigError("nvidia:\n  overwriteEnv: yes\n", "nvidia.overwriteEnv", "expected true or false");
    assertConfigError("nvidia:\n  gpuCorePolicy: always\n", "nvidia.gpuCorePolicy", "expected one of default, disable, force");
    assertConfigError("nvidia:\n  libCudaLogLevel: 9\n", "nvidia.libCudaLogLevel", "0..4");
    assertConfigError("nvidia:\n  resourceCountName: \"\"\n", "nvidia.resourceCountName", "non-empty string");
    assertConfigError("nvidia:\n  migProfileAllowlist:\n  - models: []\n    profiles: [1g.5gb]\n",
        "nvidia.migProfileAllowlist[0].models", "non-empty list of model names");
    assertConfigError("nvidia:\n  migProfileAllowlist:\n  - models: [A30]\n    profiles: []\n",
        "nvidia.migProfileAllowlist[0].profiles", "non-empty list of MIG profile names");
    assertConfigError("nvidia:\n  migProfileAllowlist:\n  - models: [A30]\n    profiles: [g.5gb]\n",
        "nvidia.migProfileAllowlist[0].profiles[0]", "<N>g.<memory>");
    assertConfigError("nvidia:\n  migProfileAllowlist:\n  - models: [A30]\n", "nvidia.migProfileAllowlist[0].profiles",
        "required key is missing");
    assertConfigError("nvidia:\n  knownMigGeometries:\n  - models: [A30]\n    allowedGeometries:\n"
        + "    - - {name: 1g.6gb, memory: 0, count: 4}\n",
        "nvidia.knownMigGeometries[0].allowedGeometries[0][0].memory", "expected an integer >= 1, got 0");
    assertConfigError("nvidia:\n  knownMigGeometries:\n  - models: [A30]\n    allowedGeometries:\n"
        + "    - {name: 1g.6gb, memory: 6144, count: 4}\n",
        "nvidia.knownMigGeometries[0].allowedGeometries[0]", "expected a list of templates");
    assertConfigError("nvidia: {}\nnodeconfig:\n- name: n\n  operatingmode: vgpu\n", "nodeconfig[0].operatingmode",
        "expected one of hami-core, mig, mps, got \"vgpu\"");
    assertConfigError("nvidia: {}\nnodeconfig:\n- operatingmode: mig\n", "nodeconfig[0].name", "required key is missing");
    assertConfigError("nvidia: {}\nnodeconfig:\n- name: n\n  devicememoryscaling: -1\n", "nodeconfig[0].devicememoryscaling",
        "expected a number >= 0");
    assertConfigError("nvidia: {}\nnodeconfig:\n- name: n\n  filterdevices: {index: [-1]}\n",
        "nodeconfig[0].filterdevices.index[0]", "expected an integer >= 0");
    assertConfigError("nvidia:\n  deviceSplitCount: 1\n  deviceSplitCount: 2\n", "(document)", "Duplicate");
    assertConfigError("nvidia: [\n", "(document)", "not valid YAML");
  }

  @Test
  void nodeConfigJsonDocumentLikeHamisConfigJson(@TempDir Path dir) throws IOException {
    String json = "{\"nodeconfig\":[{\"name\":\"node-a\",\"operatingmode\":\"hami-core\",\"devicememoryscaling\":1.8,"
        + "\"devicecorescaling\":1,\"devicesplitcount\":10,\"preconfigureddevicememory\":0,\"libcudaloglevel\":\"1\","
        + "\"enablenumatopology\":false,\"migstrategy\":\"none\",\"filterdevices\":{\"uuid\":[],\"index\":[]},"
        + "\"enablegetpreferredallocation\":false},{\"name\":\"node-a\",\"operatingMode\":\"mps\",\"devicesplitcount\":4}]}";
    Path deviceConfig = Files.writeString(dir.resolve("device-config.yaml"), "nvidia:\n  deviceSplitCount: 7\n");
    Path nodeConfig = Files.writeString(dir.resolve("config.json"), json);
    HamiConfig config = ConfigLoader.load(deviceConfig, nodeConfig);
    assertThat(config.operatingModeFor("node-a")).as("later entries win, keys match case-insensitively").isEqualTo("mps");
    NvidiaConfig a = config.effectiveFor("node-a");
    assertThat(a.deviceSplitCount()).isEqualTo(4);
    assertThat(a.deviceMemoryScaling()).isEqualTo(1.8);
    assertThat(a.libCudaLogLevel()).isEqualTo("1");
    assertThat(config.effectiveFor("node-b").deviceSplitCount()).isEqualTo(7);
    assertThat(ConfigLoader.parseNodeConfigs("nodeconfig:\n- name: x\n  operatingmode: \"\"\n", "y").get(0).operatingMode()).isNull();
    assertThatThrownBy(() -> ConfigLoader.parseNodeConfigs("{\"nodeconfig\":[{\"name\":\"x\",\"bogus\":1}]}", "config.json"))
        .isInstanceOf(HamiFormatException.class).hasMessageStartingWith("config.json: nodeconfig[0].bogus: unknown key");
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("absent.yaml"))).isInstanceOf(UncheckedIOException.class);
  }

  private static void assertConfigError(String yaml, String keyPath, String expected) {
    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "device-config.yaml"))
        .isInstanceOf(HamiFormatException.class)
        .hasMessageStartingWith("device-config.yaml: " + keyPath + ": ")
        .hasMessageContaining(expected);
  }
}
