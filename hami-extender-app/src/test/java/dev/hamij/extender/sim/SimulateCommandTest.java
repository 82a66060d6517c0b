package dev.hamij.extender.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.extender.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The {@code simulate} command end to end on the shipped examples and on small files. */
class SimulateCommandTest {
  @TempDir
  Path dir;

  record Run(int code, String out, String err) {}

  static Run simulate(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of("simulate"));
    all.addAll(List.of(args));
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(all.toArray(new String[0]));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void theReadmeCommandPrintsOneRowPerPolicyAndWritesJson() throws Exception {
    Path json = dir.resolve("out.json");
    Run r = simulate("--cluster", "../examples/sim/cluster.yaml", "--workload", "../examples/sim/workload.yaml",
        "--json", json.toString(), "--check-every", "50", "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> rows = r.out().lines().filter(l -> l.matches("^(binpack|spread|fragmentation) .*")).toList();
    assertThat(rows).hasSize(3);
    assertThat(r.out()).contains("alloc@100% arrived", "cluster:  ../examples/sim/cluster.yaml (12 nodes, 72 GPUs)");
    JsonNode root = JsonMapper.builder().build().readTree(Files.readString(json));
    assertThat(root.get("policies")).hasSize(3);
    JsonNode run = root.get("policies").get(0).get("runs").get(0);
    assertThat(run.get("policy").asString()).isEqualTo("binpack");
    assertThat(run.get("totals").get("pods").asLong()).isEqualTo(738);
    assertThat(run.get("samples").size()).isGreaterThan(100);
    assertThat(root.has("citation")).isFalse();
  }

  @Test
  void sameInputsAndSeedGiveTheSameResultData() throws Exception {
    Path a = dir.resolve("a.json");
    Path b = dir.resolve("b.json");
    String[] common = {"--cluster", "../examples/sim/cluster.yaml", "--workload", "../examples/sim/workload.yaml",
        "--policy", "fragmentation", "--policy", "spread@hami-core", "--seed", "7", "--seeds", "2", "--quiet"};
    assertThat(simulate(concat(common, "--json", a.toString())).code()).isZero();
    assertThat(simulate(concat(common, "--json", b.toString())).code()).isZero();
    assertThat(withoutTimings(a)).isEqualTo(withoutTimings(b));
  }

  private static String[] concat(String[] a, String... b) {
    List<String> l = new ArrayList<>(List.of(a));
    l.addAll(List.of(b));
    return l.toArray(new String[0]);
  }

  /** The JSON without latency figures and the command line, the only parts that may differ. */
  private static String withoutTimings(Path json) throws Exception {
    String text = Files.readString(json);
    return text.replaceAll("\"(latency|latencyP50Nanos|latencyP99Nanos|command)\"\\s*:\\s*(\\{[^}]*\\}|[^,\\n]*)", "");
  }

  @Test
  void badInputExitsWithTwoAndOneClearLine() throws Exception {
    Run policy = simulate("--cluster", "../examples/sim/cluster.yaml", "--workload", "../examples/sim/workload.yaml",
        "--policy", "bestest");
    assertThat(policy.code()).isEqualTo(2);
    assertThat(policy.err().strip()).startsWith("simulate: --policy: policy \"bestest\": unknown policy \"bestest\"");
    Path pods = Files.writeString(dir.resolve("pods.csv"), "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,x\n");
    Path nodes = Files.writeString(dir.resolve("nodes.csv"), "sn,cpu_milli,memory_mib,gpu,model\nn,1000,1000,1,T4\n");
    Run trace = simulate("--trace-nodes", nodes.toString(), "--trace-pods", pods.toString());
    assertThat(trace.code()).isEqualTo(2);
    assertThat(trace.err()).contains("pods.csv:2: gpu_milli: \"x\" is not a whole number");
  }

  @Test
  void aSmallTraceRunsUnderTheFgdProtocolAndCitesThePaper() throws Exception {
    StringBuilder nodes = new StringBuilder("sn,cpu_milli,memory_mib,gpu,model\n");
    for (int i = 0; i < 6; i++) {
      nodes.append("n").append(i).append(",32000,131072,").append(i % 2 == 0 ? 8 : 2).append(",G2\n");
    }
    StringBuilder pods = new StringBuilder("name,cpu_milli,memory_mib,num_gpu,gpu_milli\n");
    int[] milli = {1000, 470, 810, 320, 1000, 0};
    for (int i = 0; i < 24; i++) {
      int m = milli[i % milli.length];
      pods.append("p").append(i).append(',').append(1000 + 500 * (i % 4)).append(",1024,").append(m == 0 ? 0 : 1)
          .append(',').append(m).append('\n');
    }
    Path n = Files.writeString(dir.resolve("n.csv"), nodes);
    Path p = Files.writeString(dir.resolve("p.csv"), pods);
    Run r = simulate("--trace-nodes", n.toString(), "--trace-pods", p.toString(), "--seeds", "3", "--policy",
        "ref:fgd;ref:fgd-gpu;ref:best-fit;ref:random-fit;binpack;fragmentation", "--check-every", "1", "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("fixed random node order per seed", "Beware of Fragmentation", "seeds 42..44");
    assertThat(r.out().lines().filter(l -> l.startsWith("ref:") || l.startsWith("binpack")
        || l.startsWith("fragmentation"))).hasSize(6);
  }
}
