package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Annotations;
import dev.hamij.api.NodeLock;
import dev.hamij.api.NodeLockCodec;
import dev.hamij.api.UnixTimeCodec;
import dev.hamij.plugin.PodBinding.BindingPod;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link KubePodBinding} against fabric8's CRUD mock API server, with 409 Conflicts injected where
 * a real API server answers them (kubelet or the scheduler changed the object meanwhile). Each test
 * uses its own node and namespace.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubePodBindingTest {

  static KubernetesClient client;
  static KubernetesMockServer server;

  private static final String GPU_A = "GPU-6a0c5f3e-2c7b-4e1d-9f42-0a1b2c3d4e5f";
  private static final String GPU_B = "GPU-9d1e7a2b-5c3f-4a8e-b7d6-1f2e3d4c5b6a";
  private static final String TWO_CONTAINERS = GPU_A + ",NVIDIA,1000,10:;" + GPU_B + ",NVIDIA,2000,20:;";

  @Test
  void servingAContainerRetriesAfterAConflictAndKeepsTheOthersEntry() throws Exception {
    KubePodBinding binding = setUp("conflict");
    createPod("conflict", "p", TWO_CONTAINERS);
    BindingPod pod = binding.pendingPod(List.of(1));
    conflictOnce("/api/v1/namespaces/conflict/pods/p");

    binding.served(pod, List.of(0));

    assertThat(annotations("conflict", "p"))
        .containsEntry(Annotations.DEVICES_TO_ALLOCATE, ";" + GPU_B + ",NVIDIA,2000,20:;")
        .containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING);
    assertThat(lock("conflict")).isNotNull();
  }

  @Test
  void anEntryServedByAnotherCallMeanwhileIsNeverHandedOutTwice() throws Exception {
    KubePodBinding binding = setUp("twice");
    createPod("twice", "p", TWO_CONTAINERS);
    BindingPod stale = binding.pendingPod(List.of(1));
    binding.served(binding.pendingPod(List.of(1)), List.of(0));

    assertThatThrownBy(() -> binding.served(stale, List.of(0)))
        .isInstanceOf(AllocationException.class)
        .hasMessage("pod twice/p: entry 0 of hami.io/vgpu-devices-to-allocate was served or changed by someone else"
            + " meanwhile");
  }

  @Test
  void servingTheLastContainerSetsSuccessAndReleasesTheLockEvenAfterAConflictOnTheNode() throws Exception {
    KubePodBinding binding = setUp("last");
    createPod("last", "p", GPU_A + ",NVIDIA,1000,10:;");
    BindingPod pod = binding.pendingPod(List.of(1));
    assertThat(pod.lockedNodeVersion()).isNotNull(); // found through the node lock
    conflictOnce("/api/v1/nodes/last");

    binding.served(pod, List.of(0));

    assertThat(annotations("last", "p")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS)
        .containsEntry(Annotations.DEVICES_TO_ALLOCATE, ";");
    assertThat(lock("last")).isNull();
  }

  @Test
  void aLockHeldByAnotherPodIsLeftAloneAndALegacyLockIsReleased() throws Exception {
    KubePodBinding binding = setUp("locks");
    createPod("locks", "p", GPU_A + ",NVIDIA,1000,10:;");
    BindingPod pod = binding.pendingPod(List.of(1));
    setLock("locks", NodeLockCodec.encode(new NodeLock(Instant.now(), "locks", "another")));

    binding.failed(pod, "test");

    assertThat(annotations("locks", "p")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_FAILED);
    assertThat(lock("locks")).endsWith(",locks,another");

    setLock("locks", NodeLockCodec.encode(new NodeLock(Instant.now(), "", "")));
    binding.releaseLock("locks", "p", null);
    assertThat(lock("locks")).isNull();
  }

  @Test
  void failingAPodThatIsGoneStillReleasesItsLockAndNeverThrows() throws Exception {
    KubePodBinding binding = setUp("gone");
    createPod("gone", "p", GPU_A + ",NVIDIA,1000,10:;");
    BindingPod pod = binding.pendingPod(List.of(1));
    client.pods().inNamespace("gone").withName("p").delete();

    binding.failed(pod, "test");

    assertThat(lock("gone")).isNull();
  }

  @Test
  void noPodBeingBoundIsAnErrorThatMarksNothing() {
    KubePodBinding binding = setUp("empty");
    client.nodes().withName("empty").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + Annotations.NODE_LOCK + "\":\"garbage\"}}}");

    assertThatThrownBy(() -> binding.pendingPod(List.of(1)))
        .isInstanceOf(AllocationException.class)
        .hasMessage("no pod is being bound to node empty");
    assertThat(lock("empty")).isEqualTo("garbage");
  }

  @Test
  void theContainersOfThePodAreReadWithWhatTheyAskFor() throws Exception {
    KubePodBinding binding = setUp("spec");
    Pod created = createPod("spec", "p", TWO_CONTAINERS);

    BindingPod pod = binding.pendingPod(List.of(1));

    assertThat(pod.uid()).isEqualTo(created.getMetadata().getUid());
    assertThat(pod.initContainers()).singleElement().isEqualTo(new PodBinding.Container("init", Map.of(), 1));
    assertThat(pod.containers()).singleElement()
        .isEqualTo(new PodBinding.Container("main", Map.of("CUDA_DISABLE_CONTROL", "1"), 2));
  }

  @Test
  void theLockOwnerComesFromTheInformerAndACopyThatMissedAnotherWriteIsReadAgainBeforeItIsWritten()
      throws Exception {
    try (KubeNodePods pods = KubeNodePods.start(client, "cache", Duration.ofHours(1))) {
      KubePodBinding binding = setUpFrozen("cache", pods);
      String frozen = pods.cached("cache", "p").orElseThrow().getMetadata().getResourceVersion();
      annotate("cache", "p", "team", "a"); // another client's write the frozen copy misses

      BindingPod pod = binding.pendingPod(List.of(1));
      assertThat(pod.resourceVersion()).isEqualTo(frozen); // the informer's copy, no GET

      binding.served(pod, List.of(0)); // 409 with the copy's resourceVersion, read again, checked, written
      assertThat(annotations("cache", "p"))
          .containsEntry(Annotations.DEVICES_TO_ALLOCATE, ";" + GPU_B + ",NVIDIA,2000,20:;")
          .containsEntry("team", "a");
    }
  }

  @Test
  void theInformersCopyIsNotUsedOnceThisProcessWroteThePodSinceThatCopy() throws Exception {
    try (KubeNodePods pods = KubeNodePods.start(client, "own", Duration.ofHours(1))) {
      KubePodBinding binding = setUpFrozen("own", pods);
      binding.served(binding.pendingPod(List.of(1)), List.of(0));

      assertThat(pods.cached("own", "p")).isEmpty();
      BindingPod next = binding.pendingPod(List.of(2)); // read from the API: entry 0 is served
      assertThat(next.annotations()).containsEntry(Annotations.DEVICES_TO_ALLOCATE,
          ";" + GPU_B + ",NVIDIA,2000,20:;");
      binding.served(next, List.of(1));
      assertThat(annotations("own", "p")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
      assertThat(lock("own")).isNull();
    }
  }

  @Test
  void anEntryEditedSinceTheInformersCopyIsRefused() throws Exception {
    try (KubeNodePods pods = KubeNodePods.start(client, "edited", Duration.ofHours(1))) {
      KubePodBinding binding = setUpFrozen("edited", pods);
      annotate("edited", "p", Annotations.DEVICES_TO_ALLOCATE, GPU_B + ",NVIDIA,1000,10:;" + GPU_B
          + ",NVIDIA,2000,20:;");

      BindingPod stale = binding.pendingPod(List.of(1));
      assertThatThrownBy(() -> binding.served(stale, List.of(0)))
          .isInstanceOf(AllocationException.class)
          .hasMessage("pod edited/p: entry 0 of hami.io/vgpu-devices-to-allocate was served or changed by someone"
              + " else meanwhile");
    }
  }

  @Test
  void aNodeThatDoesNotExistIsAnErrorNamingIt() {
    KubePodBinding binding = new KubePodBinding(new NodeApi(client, "absent"), "nvidia.com/gpu");

    assertThatThrownBy(() -> binding.pendingPod(List.of(1)))
        .isInstanceOf(AllocationException.class)
        .hasMessage("cannot find the pod being bound to node absent: get node absent: the node does not exist");
  }

  /**
   * {@link #setUp(String, KubeNodePods)} with pod {@code <node>/p} of {@link #TWO_CONTAINERS}; once the
   * informer has the pod it is stopped, so its copy stays as it is now, whatever happens to the pod.
   */
  private static KubePodBinding setUpFrozen(String node, KubeNodePods pods) throws InterruptedException {
    KubePodBinding binding = setUp(node, pods);
    createPod(node, "p", TWO_CONTAINERS);
    Poll.until(() -> pods.cached(node, "p").isPresent(), Duration.ofSeconds(10),
        () -> "the informer has pod " + node + "/p");
    pods.close();
    return binding;
  }

  private static void annotate(String namespace, String pod, String key, String value) {
    client.pods().inNamespace(namespace).withName(pod).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + key + "\":\"" + value + "\"}}}");
  }

  private static KubePodBinding setUp(String node) {
    return setUp(node, Optional.empty());
  }

  private static KubePodBinding setUp(String node, KubeNodePods pods) {
    return setUp(node, Optional.of(pods));
  }

  /** Node {@code node} locked by pod {@code <node>/p}, and the binding of that node. */
  private static KubePodBinding setUp(String node, Optional<KubeNodePods> pods) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build()).create();
    setLock(node, NodeLockCodec.encode(new NodeLock(Instant.now(), node, "p")));
    return new KubePodBinding(new NodeApi(client, node, pods), "nvidia.com/gpu");
  }

  /** A pod bound to {@code node} (in the namespace of that name) with an init and a regular container. */
  private static Pod createPod(String node, String name, String devices) {
    Map<String, String> annotations = new HashMap<>();
    annotations.put(Annotations.VGPU_NODE, node);
    annotations.put(Annotations.DEVICES_TO_ALLOCATE, devices);
    annotations.put(Annotations.DEVICES_ALLOCATED, devices);
    annotations.put(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING);
    annotations.put(Annotations.BIND_TIME, UnixTimeCodec.encode(Instant.now()));
    return client.pods().inNamespace(node).resource(new PodBuilder()
        .withNewMetadata().withNamespace(node).withName(name).withAnnotations(annotations)
        .withLabels(Map.of(Annotations.VGPU_NODE, node)).endMetadata()
        .withNewSpec().withNodeName(node)
        .addNewInitContainer().withName("init").withNewResources()
        .addToLimits("nvidia.com/gpu", new Quantity("1")).endResources().endInitContainer()
        .addNewContainer().withName("main").addNewEnv().withName("CUDA_DISABLE_CONTROL").withValue("1").endEnv()
        .addNewEnv().withName("FROM_SECRET").withNewValueFrom().withNewSecretKeyRef("k", "s", false).endValueFrom()
        .endEnv().withNewResources().addToRequests("nvidia.com/gpu", new Quantity("2")).endResources().endContainer()
        .endSpec()
        .withNewStatus().withPhase("Pending").endStatus()
        .build()).create();
  }

  private static void conflictOnce(String path) {
    server.expect().patch().withPath(path)
        .andReturn(409, new StatusBuilder().withCode(409).withReason("Conflict")
            .withMessage("the object has been modified").build())
        .once();
  }

  private static void setLock(String node, String value) {
    client.nodes().withName(node).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + Annotations.NODE_LOCK + "\":\"" + value + "\"}}}");
  }

  private static String lock(String node) {
    Map<String, String> a = client.nodes().withName(node).get().getMetadata().getAnnotations();
    return a == null ? null : a.get(Annotations.NODE_LOCK);
  }

  private static Map<String, String> annotations(String namespace, String pod) {
    return client.pods().inNamespace(namespace).withName(pod).get().getMetadata().getAnnotations();
  }
}
