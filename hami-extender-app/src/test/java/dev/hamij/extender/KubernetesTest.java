package dev.hamij.extender;

import static dev.hamij.extender.Fixtures.bindArgs;
import static dev.hamij.extender.Fixtures.eventually;
import static dev.hamij.extender.Fixtures.filterArgs;
import static dev.hamij.extender.Fixtures.get;
import static dev.hamij.extender.Fixtures.gpuNode;
import static dev.hamij.extender.Fixtures.pod;
import static dev.hamij.extender.Fixtures.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Annotations;
import dev.hamij.api.NodeLock;
import dev.hamij.api.NodeLockCodec;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes interactions against fabric8's CRUD mock API server: informer sync, annotation patches,
 * Binding, events, node lock contention and takeover with optimistic concurrency, handshake upkeep,
 * leader change. One mock server serves every test; each test uses its own node and pod names.
 *
 * <p>The mock applies a JSON merge patch's {@code null} as a stored null instead of deleting the key
 * (a real API server deletes it), so removed annotations are checked as "absent or null".
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesTest {
  static KubernetesClient client;
  static KubernetesMockServer server;

  private static Pod create(Pod p) {
    return client.pods().inNamespace(p.getMetadata().getNamespace()).resource(p).create();
  }

  private static Node create(Node n) {
    return client.nodes().resource(n).create();
  }

  private static Pod fetch(String name) {
    return client.pods().inNamespace("default").withName(name).get();
  }

  private static Map<String, String> nodeAnnotations(String name) {
    Map<String, String> a = client.nodes().withName(name).get().getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }

  private static String handshake(String node) {
    String v = nodeAnnotations(node).get(Annotations.NODE_HANDSHAKE);
    return v == null ? "" : v;
  }

  private static List<String> eventReasons(String pod) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> pod.equals(e.getInvolvedObject().getName()))
        .map(Event::getReason).toList();
  }

  private static ExtenderRuntime runtime(ExtenderRuntime.Options o) throws Exception {
    return ExtenderRuntime.start(o, new KubeCluster(client, Map.of(), "hami-scheduler"), client);
  }

  /** A pod that already holds {@code mem} MiB of {@code gpu} on {@code node}, as the annotations of a running pod say. */
  private static Pod running(String name, String node, String gpu, int mem) {
    return new PodBuilder(pod("default", name, "uid-" + name, "nvidia.com/gpu", "1", "nvidia.com/gpumem", "" + mem))
        .editMetadata()
        .addToAnnotations(Annotations.VGPU_NODE, node)
        .addToAnnotations(Annotations.DEVICES_ALLOCATED, gpu + ",NVIDIA," + mem + ",0:;")
        .endMetadata()
        .editSpec().withNodeName(node).endSpec()
        .editStatus().withPhase("Running").endStatus()
        .build();
  }

  @Test
  void informersFeedTheLedgerAndFilterAndBindPatchTheApi() throws Exception {
    create(gpuNode("k1", 1, 10000));
    create(running("holder", "k1", Fixtures.gpuId("k1", 0), 6000));
    Pod p = create(pod("default", "k-pod", "uid-k-pod", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "5000"));
    try (ExtenderRuntime rt = runtime(Fixtures.options(Extender.FilterMode.BEST_NODE))) {
      int port = rt.httpPort();
      // the informers delivered the running pod: 6000 of 10000 MiB are taken
      assertThat(post(port, "/filter", filterArgs(p, "k1")).body())
          .contains("\"FailedNodes\":{\"k1\":\"1/1 CardInsufficientMemory\"}");

      client.pods().inNamespace("default").withName("holder").delete();
      long deleted = System.nanoTime();
      assertThat(eventually(Duration.ofSeconds(1), () -> {
        try {
          return post(port, "/filter", filterArgs(p, "k1")).body().contains("\"NodeNames\":[\"k1\"]");
        } catch (Exception e) {
          return false;
        }
      })).as("freed GPU visible to the next filter within a second").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - deleted)).isLessThan(Duration.ofSeconds(1));

      Pod annotated = fetch("k-pod");
      assertThat(annotated.getMetadata().getAnnotations())
          .containsEntry(Annotations.VGPU_NODE, "k1")
          .containsEntry(Annotations.DEVICES_ALLOCATED, Fixtures.gpuId("k1", 0) + ",NVIDIA,5000,0:;")
          .containsEntry(Annotations.DEVICES_TO_ALLOCATE, Fixtures.gpuId("k1", 0) + ",NVIDIA,5000,0:;");
      assertThat(annotated.getMetadata().getLabels()).containsEntry(Annotations.VGPU_NODE, "k1");

      assertThat(post(port, "/bind", bindArgs(p, "k1")).body()).isEqualTo("{\"Error\":\"\"}");
      Pod bound = fetch("k-pod");
      assertThat(bound.getMetadata().getAnnotations())
          .containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING)
          .containsKey(Annotations.BIND_TIME);
      assertThat(client.bindings().inNamespace("default").list().getItems())
          .anySatisfy(b -> {
            assertThat(b.getMetadata().getName()).isEqualTo("k-pod");
            assertThat(b.getTarget().getName()).isEqualTo("k1");
            assertThat(b.getTarget().getKind()).isEqualTo("Node");
          });
      // the lock stays until the node's device plugin has allocated
      NodeLock lock = NodeLockCodec.decode(nodeAnnotations("k1").get(Annotations.NODE_LOCK), "k1");
      assertThat(lock.ownedBy("default", "k-pod")).isTrue();
      assertThat(eventually(Duration.ofSeconds(5), () -> eventReasons("k-pod")
          .containsAll(List.of("FilteringFailed", "FilteringSucceed", "BindingSucceed")))).isTrue();
      Event succeeded = client.v1().events().inNamespace("default").list().getItems().stream()
          .filter(e -> "BindingSucceed".equals(e.getReason())).findFirst().orElseThrow();
      assertThat(succeeded.getMessage()).isEqualTo("Successfully binding node [k1] to default/k-pod");
      assertThat(succeeded.getSource().getComponent()).isEqualTo("hami-scheduler");
      assertThat(succeeded.getType()).isEqualTo("Normal");
    }
  }

  @Test
  void repeatedEventsRaiseACountInsteadOfPilingUp() throws Exception {
    create(gpuNode("ev", 1, 1000));
    Pod p = create(pod("default", "ev-pod", "uid-ev-pod", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "5000"));
    try (ExtenderRuntime rt = runtime(Fixtures.options(Extender.FilterMode.BEST_NODE))) {
      for (int i = 0; i < 3; i++) {
        assertThat(post(rt.httpPort(), "/filter", filterArgs(p, "ev")).body()).contains("CardInsufficientMemory");
      }
      assertThat(eventually(Duration.ofSeconds(5), () -> client.v1().events().inNamespace("default").list().getItems()
          .stream().anyMatch(e -> "ev-pod".equals(e.getInvolvedObject().getName())
              && "no available node, 1 nodes do not meet".equals(e.getMessage()) && e.getCount() == 3))).isTrue();
      assertThat(client.v1().events().inNamespace("default").list().getItems().stream()
          .filter(e -> "ev-pod".equals(e.getInvolvedObject().getName()))).hasSize(2);
    }
  }

  @Test
  void bindThatFailsAfterTakingTheLockReleasesIt() throws Exception {
    create(gpuNode("kf", 1, 10000));
    Pod p = create(pod("default", "kf-pod", "uid-kf-pod", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    try (ExtenderRuntime rt = runtime(Fixtures.options(Extender.FilterMode.BEST_NODE))) {
      int port = rt.httpPort();
      assertThat(post(port, "/filter", filterArgs(p, "kf")).body()).contains("[\"kf\"]");
      // a Binding of that name already exists, so creating it fails after the lock was taken
      client.bindings().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.BindingBuilder()
          .withNewMetadata().withName("kf-pod").endMetadata()
          .withNewTarget().withKind("Node").withName("elsewhere").endTarget().build()).create();
      String error = ExtenderWire.JSON.readTree(post(port, "/bind", bindArgs(p, "kf")).body()).get("Error").asString();
      assertThat(error).contains("bind pod default/kf-pod to node kf");
      assertThat(nodeAnnotations("kf").get(Annotations.NODE_LOCK)).isNull();
      assertThat(eventually(Duration.ofSeconds(5), () -> eventReasons("kf-pod").contains("BindingFailed"))).isTrue();
    }
  }

  @Test
  void nodeLockIsOwnerAwareReentrantAndTakenOverFromDeadOwners() throws Exception {
    create(gpuNode("l1", 1, 1000));
    create(pod("default", "owner-a", "uid-owner-a"));
    create(pod("default", "waiter", "uid-waiter"));
    KubeCluster cluster = new KubeCluster(client, Map.of(), "hami-scheduler");
    NodeLocks locks = new NodeLocks(cluster, Duration.ofMinutes(5), Clock.systemUTC());

    locks.lock("l1", "default", "owner-a");
    String first = nodeAnnotations("l1").get(Annotations.NODE_LOCK);
    assertThat(first).endsWith(",default,owner-a");
    locks.lock("l1", "default", "owner-a");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).isEqualTo(first);

    assertThatThrownBy(() -> locks.lock("l1", "default", "waiter"))
        .isInstanceOfSatisfying(NodeLocks.LockException.class, e -> assertThat(e.contention()).isTrue())
        .hasMessage("node l1 has been locked within 5m0s by default/owner-a: node lock contention");
    locks.release("l1", "default", "waiter");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).isEqualTo(first);

    // owner gone
    client.pods().inNamespace("default").withName("owner-a").delete();
    assertThat(eventually(Duration.ofSeconds(5), () -> fetch("owner-a") == null)).isTrue();
    locks.lock("l1", "default", "waiter");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).endsWith(",default,waiter");

    // owner finished
    create(new PodBuilder(pod("default", "finished", "uid-finished")).editStatus().withPhase("Succeeded").endStatus().build());
    setLock("l1", Instant.now(), "finished");
    locks.lock("l1", "default", "waiter");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).endsWith(",default,waiter");

    // owner bound to another node
    create(new PodBuilder(pod("default", "moved", "uid-moved")).editSpec().withNodeName("l2").endSpec().build());
    setLock("l1", Instant.now(), "moved");
    locks.lock("l1", "default", "waiter");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).endsWith(",default,waiter");

    // owner already running on this node: its allocation is over
    create(new PodBuilder(pod("default", "started", "uid-started")).editSpec().withNodeName("l1").endSpec()
        .editStatus().withPhase("Running").endStatus().build());
    setLock("l1", Instant.now(), "started");
    locks.lock("l1", "default", "waiter");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).endsWith(",default,waiter");

    // owner alive but the lock expired
    create(pod("default", "slow", "uid-slow"));
    setLock("l1", Instant.now().minus(Duration.ofMinutes(6)), "slow");
    locks.lock("l1", "default", "waiter");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).endsWith(",default,waiter");

    // a malformed value protects nothing
    patchLock("l1", "garbage,1");
    locks.lock("l1", "default", "waiter");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).endsWith(",default,waiter");

    // a fresh legacy lock without owner is respected until it expires
    patchLock("l1", NodeLockCodec.encode(new NodeLock(Instant.now(), "", "")));
    assertThatThrownBy(() -> locks.lock("l1", "default", "waiter")).isInstanceOf(NodeLocks.LockException.class);

    // owner-aware release
    setLock("l1", Instant.now(), "slow");
    locks.release("l1", "default", "waiter");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).endsWith(",default,slow");
    locks.release("l1", "default", "slow");
    assertThat(nodeAnnotations("l1").get(Annotations.NODE_LOCK)).isNull();
    cluster.close();
  }

  private static void setLock(String node, Instant t, String owner) {
    patchLock(node, NodeLockCodec.encode(new NodeLock(t, "default", owner)));
  }

  private static void patchLock(String node, String value) {
    client.nodes().withName(node).edit(n -> new NodeBuilder(n).editMetadata()
        .addToAnnotations(Annotations.NODE_LOCK, value).endMetadata().build());
  }

  @Test
  void twoReplicasRacingForOneNodeLockNeverBothGetIt() throws Exception {
    create(gpuNode("race", 1, 1000));
    int contenders = 8;
    for (int i = 0; i < contenders; i++) {
      create(pod("default", "racer-" + i, "uid-racer-" + i));
    }
    // two replicas: separate lock bookkeeping, only the API server's resourceVersion arbitrates
    NodeLocks replicaA = new NodeLocks(new KubeCluster(client, Map.of(), "a"), Duration.ofMinutes(5), Clock.systemUTC());
    NodeLocks replicaB = new NodeLocks(new KubeCluster(client, Map.of(), "b"), Duration.ofMinutes(5), Clock.systemUTC());
    ExecutorService pool = Executors.newFixedThreadPool(contenders);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < contenders; i++) {
      NodeLocks locks = i % 2 == 0 ? replicaA : replicaB;
      String name = "racer-" + i;
      results.add(pool.submit((Callable<Boolean>) () -> {
        go.await();
        try {
          locks.lock("race", "default", name);
          return true;
        } catch (NodeLocks.LockException e) {
          return false;
        }
      }));
    }
    go.countDown();
    int winners = 0;
    for (Future<Boolean> f : results) {
      winners += f.get() ? 1 : 0;
    }
    pool.shutdown();
    assertThat(winners).isEqualTo(1);
    NodeLock held = NodeLockCodec.decode(nodeAnnotations("race").get(Annotations.NODE_LOCK), "race");
    assertThat(held.name()).startsWith("racer-");
  }

  @Test
  void handshakeIsRequestedFromOldAgentsAndSilentAgentsLoseTheirNode() throws Exception {
    create(new NodeBuilder(gpuNode("hs-alive", 1, 1000)).editMetadata()
        .addToAnnotations(Annotations.NODE_HANDSHAKE, "Reported 2026-11-29 08:00:00.5 +0000 UTC").endMetadata().build());
    create(gpuNode("hs-silent", 1, 1000));
    create(new NodeBuilder(gpuNode("hs-never", 1, 1000)).editMetadata()
        .addToAnnotations(Annotations.NODE_HANDSHAKE, "Requesting_2020-01-01 00:00:00").endMetadata()
        .withNewStatus().endStatus().build());
    Pod p = create(pod("default", "hs-pod", "uid-hs-pod", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100"));
    try (ExtenderRuntime rt = runtime(Fixtures.options(Extender.FilterMode.ALL_NODES))) {
      assertThat(eventually(Duration.ofSeconds(5), () ->
          handshake("hs-alive").startsWith("Requesting_"))).isTrue();
      assertThat(eventually(Duration.ofSeconds(5), () ->
          handshake("hs-silent").startsWith("Requesting_"))).isTrue();
      // a node whose Requesting_ handshake is long unanswered and shows no GPUs is never registered
      assertThat(post(rt.httpPort(), "/filter", filterArgs(p, "hs-alive", "hs-silent", "hs-never")).body()).isEqualTo(
          "{\"Nodes\":null,\"NodeNames\":[\"hs-alive\",\"hs-silent\"],\"FailedNodes\":{\"hs-never\":\"node unregistered\"},"
              + "\"FailedAndUnresolvableNodes\":null,\"Error\":\"\"}");
      // the agent of hs-silent dies: kubelet drops its GPUs, the scheduler drops the node and its handshake
      client.nodes().withName("hs-silent").editStatus(n -> new NodeBuilder(n).editStatus()
          .addToAllocatable("nvidia.com/gpu", new io.fabric8.kubernetes.api.model.Quantity("0")).endStatus().build());
      assertThat(eventually(Duration.ofSeconds(5), () ->
          nodeAnnotations("hs-silent").get(Annotations.NODE_HANDSHAKE) == null)).isTrue();
      assertThat(post(rt.httpPort(), "/filter", filterArgs(p, "hs-silent")).body())
          .contains("\"FailedNodes\":{\"hs-silent\":\"node unregistered\"}");
      // the agent comes back: kubelet shows its GPUs again
      client.nodes().withName("hs-silent").editStatus(n -> new NodeBuilder(n).editStatus()
          .addToAllocatable("nvidia.com/gpu", new io.fabric8.kubernetes.api.model.Quantity("10")).endStatus().build());
      assertThat(eventually(Duration.ofSeconds(5), () ->
          handshake("hs-silent").startsWith("Requesting_"))).isTrue();
      assertThat(eventually(Duration.ofSeconds(5), () -> {
        try {
          return post(rt.httpPort(), "/filter", filterArgs(p, "hs-silent")).body().contains("\"NodeNames\":[\"hs-silent\"]");
        } catch (Exception e) {
          return false;
        }
      })).isTrue();
    }
  }

  @Test
  void newLeaderRebuildsItsLedgerBeforeAnswering() throws Exception {
    create(gpuNode("e1", 1, 10000));
    Pod first = create(pod("default", "lead-1", "uid-lead-1", "nvidia.com/gpu", "1", "nvidia.com/gpucores", "100",
        "nvidia.com/gpumem", "1000"));
    Pod second = create(pod("default", "lead-2", "uid-lead-2", "nvidia.com/gpu", "1", "nvidia.com/gpucores", "100",
        "nvidia.com/gpumem", "1000"));
    ExtenderRuntime a = runtime(Fixtures.options(Extender.FilterMode.BEST_NODE, true, "replica-a", Duration.ofMillis(200)));
    ExtenderRuntime b = runtime(Fixtures.options(Extender.FilterMode.BEST_NODE, true, "replica-b", Duration.ofMillis(200)));
    try {
      assertThat(eventually(Duration.ofSeconds(10), () -> ready(a) != ready(b))).as("exactly one leader").isTrue();
      ExtenderRuntime leader = ready(a) ? a : b;
      ExtenderRuntime follower = leader == a ? b : a;
      assertThat(get(follower.httpPort(), "/readyz").body()).isEqualTo("not the leader\n");
      assertThat(post(follower.httpPort(), "/filter", filterArgs(first, "e1")).body())
          .contains("\"Error\":\"scheduler not ready: not the leader\"");

      assertThat(post(leader.httpPort(), "/filter", filterArgs(first, "e1")).body()).contains("\"NodeNames\":[\"e1\"]");
      leader.close();
      assertThat(eventually(Duration.ofSeconds(10), () -> ready(follower))).as("the follower takes over").isTrue();
      // the new leader counted the exclusive GPU the old leader gave to lead-1
      assertThat(post(follower.httpPort(), "/filter", filterArgs(second, "e1")).body())
          .contains("\"FailedNodes\":{\"e1\":\"1/1 CardInsufficientCore\"}");
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void followModeLeadsWhereTheCoLocatedKubeSchedulerHoldsItsLease() throws Exception {
    create(gpuNode("f1", 1, 10000));
    client.leases().inNamespace("default").resource(new LeaseBuilder().withNewMetadata().withName("hami-scheduler")
        .endMetadata().withNewSpec().withHolderIdentity("pod-a_6f1c").withLeaseDurationSeconds(15)
        .withRenewTime(ZonedDateTime.now()).endSpec().build()).create();
    ExtenderRuntime a = runtime(Fixtures.options(Extender.FilterMode.BEST_NODE, true, true, "hami-scheduler", "pod-a",
        Duration.ofMillis(200)));
    ExtenderRuntime b = runtime(Fixtures.options(Extender.FilterMode.BEST_NODE, true, true, "hami-scheduler", "pod-b",
        Duration.ofMillis(200)));
    try {
      assertThat(eventually(Duration.ofSeconds(5), () -> ready(a))).isTrue();
      assertThat(ready(b)).isFalse();
      // kube-scheduler fails over to pod-b
      client.leases().inNamespace("default").withName("hami-scheduler").edit(l -> new LeaseBuilder(l).editSpec()
          .withHolderIdentity("pod-b_91aa").withRenewTime(ZonedDateTime.now()).endSpec().build());
      assertThat(eventually(Duration.ofSeconds(5), () -> ready(b) && !ready(a))).isTrue();
      // an expired lease leads nobody
      client.leases().inNamespace("default").withName("hami-scheduler").edit(l -> new LeaseBuilder(l).editSpec()
          .withRenewTime(ZonedDateTime.now().minusMinutes(1)).endSpec().build());
      assertThat(eventually(Duration.ofSeconds(5), () -> !ready(a) && !ready(b))).isTrue();
    } finally {
      a.close();
      b.close();
    }
  }

  private static boolean ready(ExtenderRuntime rt) {
    try {
      return get(rt.httpPort(), "/readyz").statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }
}
