package dev.hamij.extender.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.testing.Fuzz;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Mutations;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator's input files — cluster and workload YAML, the openb trace's node and pod CSV — fed
 * the shipped examples, small valid files and both damaged ({@link Mutations}): each loads (and a
 * workload builds), or fails with an {@link InputError} naming the file.
 */
class SimInputFuzzTest {
  private static final String NODES_CSV = "sn,cpu_milli,memory_mib,gpu,model\nnode-a,96000,393216,8,G2\n"
      + "node-b,32000,131072,0,\nnode-c,64000,262144,4,V100M32\n";
  private static final String PODS_CSV = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,"
      + "creation_time,deletion_time,scheduled_time\n"
      + "p-1,4000,16384,1,500,,LS,Running,100,900,101\n"
      + "p-2,8000,32768,2,1000,V100M32|G2,BE,Succeeded,200,,201\n"
      + "p-3,1000,2048,0,0,,Burstable,Pending,300,400,\n";

  @TempDir
  Path dir;

  @Test
  void clusterAndWorkloadFiles() throws Exception {
    Gen<String> clusters = Gen.elements(Files.readString(InputFilesTest.EXAMPLES.resolve("cluster.yaml")),
        "pools:\n  - {name: a, nodes: 2, cpu: '8', memory: 8Gi, gpus: 2, model: T4, gpuMemory: 15360}\n",
        "pools:\n  - {name: m, nodes: 1, cpu: '96', memory: 768Gi, gpus: 8, model: NVIDIA A100-SXM4-40GB, mode: mig}\n");
    Path cluster = dir.resolve("cluster.yaml");
    Fuzz.of("sim cluster.yaml", Mutations.text(clusters)).inputs(1000)
        .run(InputError.class, text -> {
          Files.write(cluster, text.getBytes(StandardCharsets.UTF_8));
          ClusterFile.load(cluster);
        }, e -> assertThat(e.getMessage()).startsWith(cluster + ": "));

    Gen<String> workloads = Gen.elements(Files.readString(InputFilesTest.EXAMPLES.resolve("workload.yaml")),
        "pods:\n  - {name: a, gpu: 1, gpumem: 1000, count: 3, interval: 1m, duration: 1h}\n",
        "generator:\n  pods: 20\n  meanInterval: 30s\n  templates:\n    - {name: t, gpu: 1, gpucores: 30, weight: 2, "
            + "meanDuration: 10m}\n");
    Path workload = dir.resolve("workload.yaml");
    Fuzz.of("sim workload.yaml", Mutations.text(workloads)).inputs(1000)
        .run(InputError.class, text -> {
          Files.write(workload, text.getBytes(StandardCharsets.UTF_8));
          WorkloadFile.load(workload).build(7);
        }, e -> assertThat(e.getMessage()).startsWith(workload + ": "));
  }

  @Test
  void openbTraceFiles() {
    Fuzz.of("sim openb nodes.csv", Mutations.text(Gen.constant(NODES_CSV))).inputs(2000)
        .run(InputError.class, text -> OpenbTrace.readNodes(new StringReader(text), "nodes.csv"),
            e -> assertThat(e.getMessage()).startsWith("nodes.csv:"));
    Fuzz.of("sim openb pods.csv", Mutations.text(Gen.constant(PODS_CSV))).inputs(2000)
        .run(InputError.class, text -> OpenbTrace.replay(OpenbTrace.readPods(new StringReader(text), "pods.csv")),
            e -> assertThat(e.getMessage()).startsWith("pods.csv:"));
  }
}
