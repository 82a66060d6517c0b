package dev.hamij.extender;

import static dev.hamij.extender.Fixtures.filterArgs;
import static dev.hamij.extender.Fixtures.pod;
import static dev.hamij.extender.Fixtures.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device config file is reloaded on change; a bad new file is reported and the last good one kept. */
class ConfigReloadTest {
  @TempDir Path dir;

  @Test
  void changedConfigIsAppliedAndABrokenOneIsNot() throws Exception {
    Path config = dir.resolve("device-config.yaml");
    Files.writeString(config, "nvidia:\n  resourceCountName: nvidia.com/gpu\n");
    // kubelet shows the GPUs under the renamed resource once the device plugin uses it
    Node node = new NodeBuilder(Fixtures.gpuNode("n1", 1, 10000)).editStatus()
        .addToAllocatable("example.com/vgpu", new Quantity("10")).endStatus().build();
    MemoryCluster cluster = new MemoryCluster(new Snapshot(List.of(node), List.of(), List.of()));
    ExtenderRuntime.Options o = Fixtures.options(Extender.FilterMode.BEST_NODE);
    o = new ExtenderRuntime.Options(o.httpBind(), o.metricsBind(), null, null, config, o.policies(), o.filterMode(),
        o.nodeLockTimeout(), o.podGroupLockWait(), false, false, o.leaseNamespace(), o.leaseName(), o.identity(), false,
        o.httpThreads(), o.trustedUsers(), o.readyWait(), o.healthInterval(), Duration.ofMillis(50), o.lease());
    try (ExtenderRuntime rt = ExtenderRuntime.start(o, cluster, null)) {
      int port = rt.httpPort();
      Pod renamed = cluster.applyPod(pod("default", "r", "uid-r", "example.com/vgpu", "1", "nvidia.com/gpumem", "1000"));
      // unknown resource name: not a GPU pod, every node passes
      assertThat(post(port, "/filter", filterArgs(renamed, "n1", "cpu")).body()).contains("\"NodeNames\":[\"n1\",\"cpu\"]");

      Files.writeString(config, "nvidia:\n  resourceCountName: example.com/vgpu\n");
      assertThat(Fixtures.eventually(Duration.ofSeconds(5),
          () -> rt.settings().scheduler().resourceNames().count().equals("example.com/vgpu"))).isTrue();
      assertThat(post(port, "/filter", filterArgs(renamed, "n1", "cpu")).body())
          .contains("\"NodeNames\":[\"n1\"]");

      Settings good = rt.settings();
      Files.writeString(config, "nvidia:\n  memoryFactor: 0\n");
      assertThat(Fixtures.eventually(Duration.ofSeconds(5), () -> rt.rejectedConfigs() == 1)).isTrue();
      assertThat(rt.settings()).isSameAs(good);
      assertThat(post(port, "/filter", filterArgs(renamed, "n1")).body()).contains("\"NodeNames\":[\"n1\"]");
    }
  }
}
