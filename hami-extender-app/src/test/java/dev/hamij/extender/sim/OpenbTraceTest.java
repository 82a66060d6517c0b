package dev.hamij.extender.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.core.sim.SimNode;
import dev.hamij.core.sim.SimPod;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The openb trace reader on small CSV texts written here (never the trace itself). */
class OpenbTraceTest {
  private static final String NODE_HEADER = "sn,cpu_milli,memory_mib,gpu,model\n";
  private static final String POD_HEADER =
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";

  private static List<SimNode> nodes(String csv) throws Exception {
    return OpenbTrace.readNodes(new StringReader(csv), "nodes.csv");
  }

  private static List<OpenbTrace.Row> pods(String csv) throws Exception {
    return OpenbTrace.readPods(new StringReader(csv), "pods.csv");
  }

  @Test
  void nodesBecomeHamiCoreGpusOfTheirModel() throws Exception {
    List<SimNode> n = nodes(NODE_HEADER + "node-a,96000,393216,8,G2\nnode-b,32000,131072,0,\n");
    assertThat(n).hasSize(2);
    SimNode a = n.get(0);
    assertThat(a.cpuMilli()).isEqualTo(96000);
    assertThat(a.memoryMiB()).isEqualTo(393216);
    assertThat(a.gpus()).hasSize(8).allSatisfy(g -> {
      assertThat(g.type()).isEqualTo("NVIDIA-G2");
      assertThat(g.mode()).isEqualTo(GpuDevice.MODE_HAMI_CORE);
      assertThat(g.devcore()).isEqualTo(100);
      assertThat(g.devmem() % 100).isZero();
    });
    assertThat(n.get(1).gpus()).isEmpty();
  }

  @Test
  void podsMapGpuMilliToPercentagesWholeGpusAndTypeAllowLists() throws Exception {
    List<OpenbTrace.Row> rows = pods(POD_HEADER
        + "p-frac,3152,1024,1,470,,LS,Running,10,500,10\n"
        + "p-whole,11300,2048,1,1000,V100M16|V100M32,LS,Running,20,,20\n"
        + "p-multi,40000,4096,4,1000,,BE,Pending,30,40,\n"
        + "p-cpu,2000,512,0,0,,BE,Running,40,90,40\n");
    Map<String, String> frac = rows.get(0).pod().spec().containers().get(0).limits();
    assertThat(frac).containsEntry("nvidia.com/gpu", "1").containsEntry("nvidia.com/gpumem-percentage", "47")
        .containsEntry("nvidia.com/gpucores", "47");
    assertThat(rows.get(0).pod().cpuMilli()).isEqualTo(3152);
    assertThat(rows.get(0).pod().memoryMiB()).isEqualTo(1024);
    SimPod whole = rows.get(1).pod();
    assertThat(whole.spec().containers().get(0).limits()).containsEntry("nvidia.com/gpumem-percentage", "100")
        .containsEntry("nvidia.com/gpucores", "100");
    assertThat(whole.spec().annotations()).containsEntry(Annotations.USE_GPU_TYPE, "V100M16,V100M32");
    assertThat(rows.get(2).pod().spec().containers().get(0).limits()).containsEntry("nvidia.com/gpu", "4")
        .containsEntry("nvidia.com/gpucores", "100");
    assertThat(rows.get(3).pod().spec().containers().get(0).limits()).isEmpty();
    List<SimPod> replay = OpenbTrace.replay(rows);
    assertThat(replay).extracting(SimPod::arrivalMillis).containsExactly(0L, 10_000L, 20_000L, 30_000L);
    assertThat(replay.get(0).durationMillis()).isEqualTo(490_000L);
    assertThat(replay.get(1).durationMillis()).isEqualTo(SimPod.FOREVER);
  }

  @Test
  void theFiveColumnVariantsAreRead() throws Exception {
    List<OpenbTrace.Row> rows = pods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np1,1000,100,2,1000\n");
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).creation()).isNaN();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "p1,abc,1024,1,470,,LS,Running,0,1,0|pods.csv:3: cpu_milli: \"abc\" is not a whole number",
      "p1,100,1024,1,470,,LS,Running,0|pods.csv:3: expected 11 fields, found 9",
      "p1,100,1024,1,1470,,LS,Running,0,1,0|pods.csv:3: gpu_milli: 1470 is out of range 0..1000",
      "p1,100,-5,1,470,,LS,Running,0,1,0|pods.csv:3: memory_mib: -5 is out of range",
      "p1,100,1024,0,470,,LS,Running,0,1,0|pods.csv:3: gpu_milli: 470 but num_gpu is 0",
      "p1,100,1024,2,0,,LS,Running,0,1,0|pods.csv:3: gpu_milli: 0 but num_gpu is 2",
      "p1,100,1024,1,470,V100 16GB,LS,Running,0,1,0|pods.csv:3: gpu_spec: \"V100 16GB\" is not a |-separated list",
      "p1,100,1024,1,470,,LS,Running,soon,1,0|pods.csv:3: creation_time: \"soon\" is not a number",
      "p0,100,1024,1,470,,LS,Running,0,1,0|pods.csv:3: name: pod p0 appears twice",
      ",100,1024,1,470,,LS,Running,0,1,0|pods.csv:3: name: is empty"})
  void aMalformedPodRowIsRejectedWithItsLine(String row, String message) {
    String csv = POD_HEADER + "p0,100,1024,1,470,,LS,Running,0,1,0\n" + row + "\n";
    assertThatThrownBy(() -> pods(csv)).isInstanceOf(InputError.class).hasMessageStartingWith(message);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "n1,96000,1024,x,G2|nodes.csv:2: gpu: \"x\" is not a whole number",
      "n1,96000,1024,8,|nodes.csv:2: model: is empty but the node has 8 GPUs",
      "n1,96000,1024,8,G2,extra|nodes.csv:2: expected 5 fields, found 6",
      "n1,96000,1024,65,G2|nodes.csv:2: gpu: 65 is out of range 0..64"})
  void aMalformedNodeRowIsRejectedWithItsLine(String row, String message) {
    assertThatThrownBy(() -> nodes(NODE_HEADER + row + "\n")).isInstanceOf(InputError.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void aMissingColumnOrEmptyFileIsNamed() {
    assertThatThrownBy(() -> pods("name,cpu_milli,num_gpu,gpu_milli\n")).isInstanceOf(InputError.class)
        .hasMessageStartingWith("pods.csv:1: header lacks column memory_mib");
    assertThatThrownBy(() -> nodes("")).isInstanceOf(InputError.class).hasMessageStartingWith("nodes.csv:1: empty file");
  }
}
