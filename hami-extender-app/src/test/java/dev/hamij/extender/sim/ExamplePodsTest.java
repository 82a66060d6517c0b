package dev.hamij.extender.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.extender.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The knob examples under examples/pods, decided by {@code schedule} against the example snapshot. */
class ExamplePodsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "memory-percentage | gpu-node-1 | GPU-a10a10a1-0000-4000-8000-000000000003,NVIDIA,11514,30:;",
      "gpu-type-filter | gpu-node-2 | GPU-7e47e470-0000-4000-8000-000000000001,NVIDIA,3000,0:;",
      "gpu-uuid-filter | gpu-node-2 | GPU-7e47e470-0000-4000-8000-000000000001,NVIDIA,3000,0:;",
      "hami-core-only | gpu-node-1 | GPU-a10a10a1-0000-4000-8000-000000000003,NVIDIA,9000,0:;",
      "spread-policies | gpu-node-2 | GPU-7e47e470-0000-4000-8000-000000000001,NVIDIA,2000,10:;",
      "fragmentation-policy | mig-node-1 | GPU-5b0e6d7a-0f1e-4d2c-9a8b-a100a100a000,NVIDIA,4864,13:;",
      "scoring-weights | mig-node-1 | GPU-5b0e6d7a-0f1e-4d2c-9a8b-a100a100a000,NVIDIA,4864,13:;",
      "numa-bind | mig-node-1 | GPU-5b0e6d7a-0f1e-4d2c-9a8b-a100a100a001,NVIDIA,9856,26:GPU-5b0e6d7a-0f1e-4d2c-9a8b-a100a100a001,NVIDIA,9856,26:;"})
  void everyKnobExampleGetsItsPlacement(String pod, String node, String devices) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute("schedule", "--snapshot", "../examples/snapshots/mixed-cluster.yaml", "--pod",
        "../examples/pods/" + pod + ".yaml", "--now", "1796025600");
    assertThat(code).as(err.toString()).isZero();
    JsonNode result = JsonMapper.builder().build().readTree(out.toString());
    assertThat(result.get("node").asString()).isEqualTo(node);
    assertThat(result.get("annotations").get("hami.io/vgpu-devices-allocated").asString()).isEqualTo(devices);
  }
}
