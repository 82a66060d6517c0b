package dev.hamij.extender.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The example Grafana dashboard only queries metrics the extender app actually exports. */
class GrafanaDashboardTest {
  private static final Pattern METRIC = Pattern.compile("hami_[a-z_]+");

  @Test
  void everyQueriedMetricIsExported() throws Exception {
    Set<String> exported = new HashSet<>();
    try (Stream<Path> files = Files.walk(Path.of("src", "main", "java"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = Pattern.compile("\"(hami_[a-z_]+)\"").matcher(Files.readString(f));
        while (m.find()) {
          exported.add(m.group(1));
        }
      }
    }
    assertThat(exported).contains("hami_gpu_memory_allocated_bytes", "hami_node_gpu_mig_instance_info");
    JsonNode dash = JsonMapper.builder().build().readTree(Files.readString(Path.of("..", "examples", "grafana",
        "hami-dashboard.json")));
    assertThat(dash.get("panels").size()).isGreaterThan(10);
    Set<String> queried = new HashSet<>();
    for (JsonNode panel : dash.get("panels")) {
      if (panel.has("targets")) {
        for (JsonNode t : panel.get("targets")) {
          Matcher m = METRIC.matcher(t.get("expr").asString());
          while (m.find()) {
            String name = m.group();
            String base = name.replaceAll("_(bucket|total|count|sum)$", "");
            queried.add(exported.contains(name) ? name : base);
          }
        }
      }
    }
    assertThat(queried).hasSizeGreaterThan(10);
    assertThat(exported).containsAll(queried);
    for (String label : List.of("$node", "DS_PROMETHEUS")) {
      assertThat(dash.toString()).contains(label);
    }
  }
}
