package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.testing.AnnotationGens;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Property;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Properties of the configuration loader over generated and damaged documents. */
class ConfigPropertiesTest {

  /** A generated {@code nvidia:} section: the YAML text and the configuration it must load as. */
  record Doc(String yaml, NvidiaConfig expected) {}

  private static Gen<Doc> documents() {
    return (r, size) -> {
      NvidiaConfig d = NvidiaConfig.defaults();
      StringBuilder yaml = new StringBuilder("nvidia:\n");
      int split = d.deviceSplitCount();
      double memScaling = d.deviceMemoryScaling();
      int factor = d.memoryFactor();
      int cores = d.defaultCores();
      boolean numa = d.enableNumaTopology();
      String policy = d.gpuCorePolicy();
      String countName = d.resourceNames().count();
      List<MigAllowlistEntry> allowlist = d.migProfileAllowlist();
      if (r.nextBoolean()) {
        split = 1 + r.nextInt(100);
        yaml.append("  deviceSplitCount: ").append(split).append('\n');
      }
      if (r.nextBoolean()) {
        memScaling = (1 + r.nextInt(40)) / 8.0;
        yaml.append("  deviceMemoryScaling: ").append(String.format(Locale.ROOT, "%s", memScaling)).append('\n');
      }
      if (r.nextBoolean()) {
        factor = 1 + r.nextInt(1024);
        yaml.append("  memoryFactor: ").append(factor).append('\n');
      }
      if (r.nextBoolean()) {
        cores = r.nextInt(101);
        yaml.append("  defaultCores: ").append(cores).append('\n');
      }
      if (r.nextBoolean()) {
        numa = r.nextBoolean();
        yaml.append("  enableNumaTopology: ").append(numa).append('\n');
      }
      if (r.nextBoolean()) {
        policy = List.of("default", "force", "disable").get(r.nextInt(3));
        yaml.append("  gpuCorePolicy: ").append(policy).append('\n');
      }
      if (r.nextBoolean()) {
        countName = "example.com/gpu-" + r.nextInt(1000);
        yaml.append("  resourceCountName: \"").append(countName).append("\"\n");
      }
      if (r.nextBoolean()) {
        List<MigAllowlistEntry> entries = new ArrayList<>();
        yaml.append("  migProfileAllowlist:\n");
        int n = r.nextInt(Math.min(size, 4) + 1);
        if (n == 0) {
          yaml.setLength(yaml.length() - 1);
          yaml.append(" []\n");
        }
        for (int i = 0; i < n; i++) {
          List<String> profiles = new ArrayList<>();
          for (int p = 0, k = 1 + r.nextInt(4); p < k; p++) {
            profiles.add((1 + r.nextInt(8)) + "g." + (5 * (1 + r.nextInt(20))) + "gb");
          }
          MigAllowlistEntry e = new MigAllowlistEntry(List.of("MODEL-" + i), profiles);
          entries.add(e);
          yaml.append("  - models: [\"MODEL-").append(i).append("\"]\n    profiles: [")
              .append(String.join(", ", profiles)).append("]\n");
        }
        allowlist = entries;
      }
      ResourceNames names = new ResourceNames(countName, d.resourceNames().memory(), d.resourceNames().memoryPercentage(),
          d.resourceNames().cores(), d.resourceNames().priority());
      NvidiaConfig expected = new NvidiaConfig(names, d.overwriteEnv(), d.defaultMemory(), cores, d.defaultGPUNum(),
          factor, split, memScaling, d.deviceCoreScaling(), d.preConfiguredDeviceMemory(), d.libCudaLogLevel(), numa,
          d.disableCoreLimit(), policy, d.runtimeClassName(), d.knownMigGeometries(), allowlist);
      String text = yaml.toString().equals("nvidia:\n") ? "nvidia: {}\n" : yaml.toString();
      return new Doc(text, expected);
    };
  }

  @Test
  void generatedDocumentsLoadAsWritten() {
    Property.forAll(documents()).seeds(200)
        .check(doc -> assertThat(ConfigLoader.parse(doc.yaml(), "gen.yaml").nvidia()).isEqualTo(doc.expected()));
  }

  @Test
  void damagedDocumentsFailOnlyWithHamiFormatException() {
    Gen<String> damaged = AnnotationGens.mutated(documents().map(Doc::yaml));
    Property.forAll(damaged).seeds(500).check(yaml -> {
      try {
        ConfigLoader.parse(yaml, "gen.yaml");
      } catch (HamiFormatException e) {
        assertThat(e.object()).isEqualTo("gen.yaml");
        assertThat(e.subject()).isNotBlank();
      }
    });
    Property.forAll(AnnotationGens.mutated(Gen.constant("{\"nodeconfig\":[{\"name\":\"a\",\"operatingmode\":\"mig\","
        + "\"devicesplitcount\":3,\"filterdevices\":{\"uuid\":[\"GPU-1\"],\"index\":[0]}}]}"))).seeds(300).check(json -> {
          try {
            ConfigLoader.parseNodeConfigs(json, "config.json");
          } catch (HamiFormatException e) {
            assertThat(e.object()).isEqualTo("config.json");
          }
        });
  }
}
