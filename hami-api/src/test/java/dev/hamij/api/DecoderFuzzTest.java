package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.testing.AnnotationGens;
import dev.hamij.api.testing.Fuzz;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Mutations;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes every decoder and configuration loader of this module with mutated valid values (see
 * {@link Mutations}): each input decodes or fails with a {@link HamiFormatException} that names the
 * object, the annotation or key, and what is wrong. CI runs a few thousand inputs per decoder; the
 * soak ({@code -Dhamij.fuzz.inputs=1000000}) is described in the README.
 */
class DecoderFuzzTest {
  private static final String NODE = "node-a";
  private static final String POD = "ns/pod-a";

  @Test
  void registerAnnotation() {
    Fuzz.of("api register", Mutations.text(AnnotationGens.register())).inputs(4000)
        .run(HamiFormatException.class, v -> RegisterCodec.decode(v, NODE), subject(Annotations.NODE_NVIDIA_REGISTER, NODE));
  }

  @Test
  void pairScoresAnnotation() {
    Fuzz.of("api pair scores", Mutations.text(AnnotationGens.pairScores())).inputs(3000)
        .run(HamiFormatException.class, v -> PairScoresCodec.decode(v, NODE), subject(Annotations.NODE_NVIDIA_SCORE, NODE));
  }

  @Test
  void podDevicesAnnotations() {
    Fuzz.of("api pod devices", Mutations.text(AnnotationGens.podDevices())).inputs(3000)
        .run(HamiFormatException.class, v -> {
          PodDevicesCodec.decode(v, POD);
          PodDevicesCodec.decode(v, POD, Annotations.DEVICES_TO_ALLOCATE);
        }, Fuzz.hamiFormat(POD));
  }

  @Test
  void migAllocationsAnnotation() {
    Fuzz.of("api MIG allocations", Mutations.text(AnnotationGens.migAllocations())).inputs(3000)
        .run(HamiFormatException.class, v -> MigAllocationsCodec.decode(v, POD), subject(Annotations.MIG_ALLOCATIONS, POD));
  }

  @Test
  void nodeLockAnnotation() {
    Fuzz.of("api node lock", Mutations.text(AnnotationGens.nodeLock())).inputs(3000)
        .run(HamiFormatException.class, v -> NodeLockCodec.decode(v, NODE), subject(Annotations.NODE_LOCK, NODE));
  }

  @Test
  void smallAnnotations() {
    Gen<String> unixTime = (r, s) -> UnixTimeCodec.encode(Instant.ofEpochSecond(r.nextLong(0, 4_102_444_800L)));
    Gen<String> bindPhase = Gen.elements(BindPhase.values()).map(BindPhase::annotationValue);
    Gen<String> bools = Gen.elements("true", "false", "1", "0", "t", "F", "TRUE", "False");
    Fuzz.of("api scoring weights", Mutations.text(AnnotationGens.scoringWeights())).inputs(2000)
        .run(HamiFormatException.class, v -> ScoringWeights.parse(v, POD), subject(Annotations.DEVICE_SCORING_WEIGHTS, POD));
    Fuzz.of("api unix time", Mutations.text(unixTime)).inputs(2000)
        .run(HamiFormatException.class, v -> UnixTimeCodec.decode(v, Annotations.BIND_TIME, POD),
            subject(Annotations.BIND_TIME, POD));
    Fuzz.of("api bind phase", Mutations.text(bindPhase)).inputs(2000)
        .run(HamiFormatException.class, v -> BindPhase.parse(v, POD), subject(Annotations.BIND_PHASE, POD));
    // documented never to throw
    Fuzz.of("api handshake", Mutations.text(AnnotationGens.handshake())).inputs(2000)
        .runWithoutErrors(v -> HandshakeCodec.parse(v, ZoneOffset.UTC));
    Fuzz.of("api Go booleans", Mutations.text(bools)).inputs(2000)
        .runWithoutErrors(GoBool::parse);
  }

  @Test
  void deviceConfigYaml() {
    Fuzz.of("api device-config.yaml", Mutations.text(deviceConfigs())).inputs(1200)
        .run(HamiFormatException.class, v -> ConfigLoader.parse(v, "device-config.yaml"),
            Fuzz.hamiFormat("device-config.yaml"));
  }

  @Test
  void nodeConfigJsonAndYaml() {
    Fuzz.of("api nodeconfig json/yaml", Mutations.text(nodeConfigs(true), nodeConfigs(false))).inputs(1500)
        .run(HamiFormatException.class, v -> ConfigLoader.parseNodeConfigs(v, "config.json"),
            Fuzz.hamiFormat("config.json"));
  }

  /** The corpus generators produce valid values: the fuzz inputs really start from the success path. */
  @Test
  void corpusValuesAreValid() {
    for (int seed = 0; seed < 200; seed++) {
      int size = seed % 31;
      assertThat(ConfigLoader.parse(deviceConfigs().generate(new SplittableRandom(seed), size), "c.yaml").nvidia())
          .isNotNull();
      for (boolean json : new boolean[] {true, false}) {
        String doc = nodeConfigs(json).generate(new SplittableRandom(seed), size);
        assertThat(ConfigLoader.parseNodeConfigs(doc, "config.json")).as(doc).isNotNull();
      }
    }
  }

  private static Fuzz.Check<HamiFormatException> subject(String key, String object) {
    Fuzz.Check<HamiFormatException> named = Fuzz.hamiFormat(object);
    return e -> {
      named.check(e);
      assertThat(e.subject()).isEqualTo(key);
    };
  }

  // ------------------------------------------------------------------ configuration corpus

  private static final List<String> MODELS = List.of("A100-SXM4-40GB", "NVIDIA A30", "H100-80GB", "A100-80GB");

  /** Valid device-config documents using every key, block or flow style, sometimes with other vendors and nodeconfig. */
  static Gen<String> deviceConfigs() {
    return (r, size) -> {
      StringBuilder y = new StringBuilder();
      if (r.nextInt(4) == 0) {
        y.append("cambricon:\n  resourceCountName: cambricon.com/vmlu\n");
      }
      y.append("nvidia:\n");
      List<String> lines = new ArrayList<>();
      lines.add("resourceCountName: nvidia.com/gpu");
      lines.add("resourceMemoryName: \"nvidia.com/gpumem\"");
      lines.add("resourceMemoryPercentageName: nvidia.com/gpumem-percentage");
      lines.add("resourceCoreName: nvidia.com/gpucores");
      lines.add("resourcePriorityName: nvidia.com/priority");
      lines.add("overwriteEnv: " + r.nextBoolean());
      lines.add("defaultMemory: " + r.nextInt(100_000));
      lines.add("defaultCores: " + r.nextInt(101));
      lines.add("defaultGPUNum: " + r.nextInt(8));
      lines.add("memoryFactor: " + (1 + r.nextInt(1024)));
      lines.add("deviceSplitCount: " + (1 + r.nextInt(64)));
      lines.add("deviceMemoryScaling: " + String.format(Locale.ROOT, "%.2f", 0.25 + r.nextInt(16) / 4.0));
      lines.add("deviceCoreScaling: " + (1 + r.nextInt(3)));
      lines.add("preConfiguredDeviceMemory: " + r.nextInt(4096));
      lines.add("libCudaLogLevel: " + (r.nextBoolean() ? "\"" + r.nextInt(5) + "\"" : r.nextInt(5)));
      lines.add("enableNumaTopology: " + r.nextBoolean());
      lines.add("disableCoreLimit: " + r.nextBoolean());
      lines.add("gpuCorePolicy: " + List.of("default", "force", "disable").get(r.nextInt(3)));
      lines.add("runtimeClassName: " + (r.nextBoolean() ? "nvidia" : "\"\""));
      for (int i = lines.size() - 1; i > 0; i--) { // shuffle: keys in any order, each at most once
        int j = r.nextInt(i + 1);
        lines.set(i, lines.set(j, lines.get(i)));
      }
      for (String line : lines.subList(0, Math.max(1, Math.min(lines.size(), size)))) {
        y.append("  ").append(line).append('\n');
      }
      if (r.nextBoolean()) {
        y.append("  knownMigGeometries:\n");
        for (int g = 0, n = 1 + r.nextInt(Math.min(size, 3) + 1); g < n; g++) {
          y.append("  - models: [\"").append(MODELS.get(r.nextInt(MODELS.size()))).append("\"]\n")
              .append("    allowedGeometries:\n");
          for (int a = 0, m = 1 + r.nextInt(3); a < m; a++) {
            y.append("    - - {name: ").append(1 + r.nextInt(7)).append("g.").append(5 * (1 + r.nextInt(16)))
                .append("gb, memory: ").append(1024 * (1 + r.nextInt(80))).append(", count: ").append(1 + r.nextInt(7))
                .append(r.nextBoolean() ? ", core: " + r.nextInt(101) : "").append("}\n");
          }
        }
      }
      if (r.nextBoolean()) {
        y.append("  migProfileAllowlist:\n");
        for (int g = 0, n = 1 + r.nextInt(3); g < n; g++) {
          y.append("  - models:\n    - ").append(MODELS.get(r.nextInt(MODELS.size()))).append("\n    profiles: [");
          for (int p = 0, m = 1 + r.nextInt(4); p < m; p++) {
            y.append(p == 0 ? "" : ", ").append(1 + r.nextInt(7)).append("g.").append(5 * (1 + r.nextInt(16))).append("gb");
          }
          y.append("]\n");
        }
      }
      if (r.nextBoolean()) {
        y.append("nodeconfig:\n");
        for (int i = 0, n = 1 + r.nextInt(Math.min(size, 4) + 1); i < n; i++) {
          y.append(nodeEntry(r, "- ", "  "));
        }
      }
      return y.toString();
    };
  }

  private static String nodeEntry(SplittableRandom r, String first, String indent) {
    StringBuilder e = new StringBuilder();
    e.append(first).append("name: gpu-node-").append(r.nextInt(50)).append('\n');
    if (r.nextBoolean()) {
      e.append(indent).append("operatingmode: ").append(List.of("hami-core", "mig", "mps", "\"\"").get(r.nextInt(4)))
          .append('\n');
    }
    if (r.nextBoolean()) {
      e.append(indent).append("devicesplitcount: ").append(r.nextInt(40)).append('\n');
    }
    if (r.nextBoolean()) {
      e.append(indent).append("devicememoryscaling: ").append(r.nextInt(4)).append(".5\n");
    }
    if (r.nextBoolean()) {
      e.append(indent).append("migstrategy: ").append(List.of("none", "single", "mixed").get(r.nextInt(3))).append('\n');
    }
    if (r.nextBoolean()) {
      e.append(indent).append("filterdevices: {uuid: [GPU-").append(r.nextInt(9)).append("], index: [")
          .append(r.nextInt(8)).append("]}\n");
    }
    if (r.nextBoolean()) {
      e.append(indent).append("enablegetpreferredallocation: ").append(r.nextBoolean()).append('\n');
    }
    return e.toString();
  }

  /** Valid node-config documents, {@code {"nodeconfig":[...]}} in JSON or YAML. */
  static Gen<String> nodeConfigs(boolean json) {
    return (r, size) -> {
      int n = r.nextInt(Math.min(size, 5) + 1);
      if (!json) {
        StringBuilder y = new StringBuilder("nodeconfig:\n");
        if (n == 0) {
          return "nodeconfig: []\n";
        }
        for (int i = 0; i < n; i++) {
          y.append(nodeEntry(r, "- ", "  "));
        }
        return y.toString();
      }
      StringBuilder j = new StringBuilder("{\"nodeconfig\":[");
      for (int i = 0; i < n; i++) {
        j.append(i == 0 ? "" : ",").append("{\"name\":\"gpu-node-").append(r.nextInt(50)).append('"');
        if (r.nextBoolean()) {
          j.append(",\"operatingmode\":\"").append(List.of("hami-core", "mig", "mps", "").get(r.nextInt(4))).append('"');
        }
        if (r.nextBoolean()) {
          j.append(",\"devicesplitcount\":").append(r.nextInt(40));
        }
        if (r.nextBoolean()) {
          j.append(",\"DeviceMemoryScaling\":").append(r.nextInt(3)).append(".25");
        }
        if (r.nextBoolean()) {
          j.append(",\"filterdevices\":{\"uuid\":[\"GPU-").append(r.nextInt(9)).append("\"],\"index\":[")
              .append(r.nextInt(8)).append("]}");
        }
        if (r.nextBoolean()) {
          j.append(",\"libcudaloglevel\":").append(r.nextInt(5));
        }
        j.append('}');
      }
      return j.append("]}").toString();
    };
  }
}
