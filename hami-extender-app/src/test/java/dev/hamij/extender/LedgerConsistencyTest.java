package dev.hamij.extender;

import static dev.hamij.extender.Fixtures.eventually;
import static dev.hamij.extender.Fixtures.filterArgs;
import static dev.hamij.extender.Fixtures.gpuNode;
import static dev.hamij.extender.Fixtures.pod;
import static dev.hamij.extender.Fixtures.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Found by the cluster harness: re-deciding a pod drops its booking in the ledger first, but when the
 * new decision is not written (unschedulable now, or its patch fails with a conflict) the pod's
 * annotations still claim the earlier slice — the ledger then offered that slice to another pod,
 * and a ledger rebuilt after a restart would count it twice. Now the earlier booking is restored.
 */
class LedgerConsistencyTest {

  @Test
  void aDecisionThatIsNotWrittenKeepsThePodsEarlierBooking() throws Exception {
    try (ApiServer api = ApiServer.start(); KubernetesClient client = api.newClient()) {
      client.nodes().resource(gpuNode("lc1", 1, 10000)).create();
      // a pending pod that an earlier filter gave the whole GPU (its bind failed, kube-scheduler will retry)
      Pod holder = client.pods().inNamespace("default").resource(new PodBuilder(pod("default", "holder", "uid-holder",
          "nvidia.com/gpu", "1", "nvidia.com/gpumem", "10000", "nvidia.com/gpucores", "100")).editMetadata()
          .addToAnnotations(Annotations.VGPU_NODE, "lc1")
          .addToAnnotations(Annotations.DEVICES_ALLOCATED, Fixtures.gpuId("lc1", 0) + ",NVIDIA,10000,100:;")
          .addToAnnotations(Annotations.DEVICES_TO_ALLOCATE, Fixtures.gpuId("lc1", 0) + ",NVIDIA,10000,100:;")
          .endMetadata().build()).create();
      Pod other = client.pods().inNamespace("default").resource(pod("default", "other", "uid-other", "nvidia.com/gpu", "1",
          "nvidia.com/gpumem", "1000")).create();
      try (ExtenderRuntime rt = ExtenderRuntime.start(Fixtures.options(Extender.FilterMode.BEST_NODE),
          new KubeCluster(client, Map.of(), "hami-scheduler"), client)) {
        int port = rt.httpPort();
        assertThat(post(port, "/filter", filterArgs(other, "lc1")).body()).contains("CardInsufficient");

        // 1. re-deciding the holder among nodes that cannot take it
        assertThat(post(port, "/filter", filterArgs(holder, "elsewhere")).body()).contains("\"NodeNames\":null");
        assertThat(post(port, "/filter", filterArgs(other, "lc1")).body()).as("the GPU is still claimed by the holder")
            .contains("CardInsufficient");

        // 2. re-deciding the holder, but writing the decision fails with a conflict
        api.gate((call, request) -> call.verb().equals("patch") && call.name().equals("holder")
            ? ApiServer.status(409, "Conflict", "the object has been modified") : null);
        assertThat(post(port, "/filter", filterArgs(holder, "lc1")).body()).contains("the object has been modified");
        api.gate((call, request) -> null);
        assertThat(post(port, "/filter", filterArgs(other, "lc1")).body()).as("the GPU is still claimed by the holder")
            .contains("CardInsufficient");
        assertThat(eventually(Duration.ofSeconds(5), () -> rt.ledger().scheduler().usage().pods().size() == 1)).isTrue();
      }
    }
  }
}
