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
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Least privilege, proven by running: the extender runs against an API server that answers 403 to
 * anything the rendered manifests do not grant its service account, through a scenario that takes
 * every Kubernetes path it has (informer sync, following the kube-scheduler's Lease as deployed with
 * several replicas, filter and bind with allocation patches, node lock with a stale-owner takeover,
 * Binding, events). Nothing is refused, and the permissions granted are exactly those it used plus
 * the co-located kube-scheduler's Lease verbs — none is missing, none is spare.
 */
class RbacTest {
  private static final String NS = "hami-system";
  /**
   * What kube-scheduler's leader election (client-go's Lease lock: get, create, update) needs on its
   * Lease named after the scheduler profile, which its built-in role grants only for the name
   * {@code kube-scheduler}.
   */
  private static final Set<String> KUBE_SCHEDULER_LEASE = Set.of("get coordination.k8s.io/leases",
      "create coordination.k8s.io/leases", "update coordination.k8s.io/leases");

  private static String manifests() {
    return Manifests.render(new Manifests.Params(31, NS, "hami-scheduler", "img", "sched", Extender.FilterMode.BEST_NODE,
        2, "Fail"));
  }

  @Test
  void theExtenderNeedsExactlyThePermissionsItsManifestsGrant() throws Exception {
    Rbac rbac = Rbac.forServiceAccount(manifests(), NS, "hami-scheduler");
    try (ApiServer api = ApiServer.start(); KubernetesClient admin = api.newClient();
        KubernetesClient client = api.newClient()) {
      admin.nodes().resource(gpuNode("r1", 1, 10000)).create();
      // a lock left by a pod that no longer exists: taking it over reads the owner
      admin.nodes().resource(new NodeBuilder(gpuNode("r2", 1, 10000)).editMetadata()
          .addToAnnotations(Annotations.NODE_LOCK, NodeLockCodec.encode(new NodeLock(Instant.now(), "default", "gone")))
          .endMetadata().build()).create();
      admin.resourceQuotas().inNamespace("default").resource(new ResourceQuotaBuilder().withNewMetadata().withName("q")
          .withNamespace("default").endMetadata().withNewSpec().addToHard("limits.nvidia.com/gpumem", new Quantity("40000"))
          .endSpec().build()).create();
      Pod p1 = admin.pods().inNamespace("default").resource(pod("default", "rb-1", "uid-rb-1", "nvidia.com/gpu", "1",
          "nvidia.com/gpumem", "1000")).create();
      Pod p2 = admin.pods().inNamespace("default").resource(pod("default", "rb-2", "uid-rb-2", "nvidia.com/gpu", "1",
          "nvidia.com/gpumem", "1000")).create();

      Pod huge = admin.pods().inNamespace("default").resource(pod("default", "rb-huge", "uid-rb-huge", "nvidia.com/gpu",
          "1", "nvidia.com/gpumem", "999999")).create();
      // as deployed with several replicas: the extender follows the co-located kube-scheduler's Lease
      admin.leases().inNamespace(NS).resource(new LeaseBuilder().withNewMetadata().withName("hami-scheduler")
          .withNamespace(NS).endMetadata().withNewSpec().withHolderIdentity("rbac-replica_1f2e")
          .withLeaseDurationSeconds(3600).withRenewTime(ZonedDateTime.now()).endSpec().build()).create();
      api.gate(rbac.gate());
      ExtenderRuntime.Options o = Fixtures.options(Extender.FilterMode.BEST_NODE, true, true, "hami-scheduler",
          "rbac-replica", Duration.ofSeconds(5));
      o = new ExtenderRuntime.Options(o.httpBind(), o.metricsBind(), null, null, null, o.policies(), o.filterMode(),
          o.nodeLockTimeout(), o.podGroupLockWait(), true, true, NS, "hami-scheduler", o.identity(), false,
          o.httpThreads(), o.trustedUsers(), o.readyWait(), o.healthInterval(), o.reloadInterval(), o.lease());
      try (ExtenderRuntime rt = ExtenderRuntime.start(o, new KubeCluster(client, Map.of(), "hami-scheduler"), client)) {
        int port = rt.httpPort();
        assertThat(eventually(Duration.ofSeconds(10), () -> ok(port))).as("leader and ready").isTrue();
        // a pod that fits nowhere, filtered twice: the second FilteringFailed event raises the first one's count
        post(port, "/filter", filterArgs(huge, "r1"));
        post(port, "/filter", filterArgs(huge, "r1"));
        assertThat(post(port, "/filter", filterArgs(p1, "r1")).body()).contains("\"NodeNames\":[\"r1\"]");
        assertThat(post(port, "/bind", bindArgs(p1, "r1")).body()).isEqualTo("{\"Error\":\"\"}");
        assertThat(post(port, "/filter", filterArgs(p2, "r2")).body()).contains("\"NodeNames\":[\"r2\"]");
        assertThat(post(port, "/bind", bindArgs(p2, "r2")).body()).isEqualTo("{\"Error\":\"\"}");
        assertThat(eventually(Duration.ofSeconds(10), () -> api.permissionsUsed().contains("patch events")
            && api.permissionsUsed().contains("get coordination.k8s.io/leases")))
            .as(() -> "used " + api.permissionsUsed() + ", refused " + rbac.denied()).isTrue();

        assertThat(rbac.denied()).as("calls refused by RBAC").isEmpty();
        Set<String> expected = new TreeSet<>(api.permissionsUsed());
        expected.addAll(KUBE_SCHEDULER_LEASE); // the Role is shared with the stock kube-scheduler of the same pod
        assertThat(rbac.grants()).as("granted = used by the extender + kube-scheduler's own Lease")
            .containsExactlyInAnyOrderElementsOf(expected);
        // and the gate does refuse what is not granted
        assertThatThrownBy(() -> client.pods().inNamespace("default").withName("rb-1").delete())
            .isInstanceOf(KubernetesClientException.class).hasMessageContaining("Forbidden");
        assertThatThrownBy(() -> client.secrets().inNamespace(NS).list())
            .isInstanceOf(KubernetesClientException.class).hasMessageContaining("Forbidden");
      }
    }
  }

  @Test
  void theStockKubeSchedulerInTheSamePodKeepsOnlyItsBuiltInRoles() {
    assertThat(Rbac.forServiceAccount(manifests(), NS, "hami-scheduler").externalRoles()).containsExactlyInAnyOrder(
        "ClusterRole system:kube-scheduler", "ClusterRole system:volume-scheduler",
        "Role extension-apiserver-authentication-reader");
  }

  @Test
  void callsAreClassifiedAsTheApiServerDoes() {
    assertThat(ApiServer.Call.of("GET", "/api/v1/pods?watch=true&resourceVersion=5").verb()).isEqualTo("watch");
    assertThat(ApiServer.Call.of("GET", "/api/v1/namespaces/a/pods").toString()).isEqualTo("list pods in a");
    assertThat(ApiServer.Call.of("POST", "/api/v1/namespaces/a/pods/p/binding").toString())
        .isEqualTo("create pods/binding in a p");
    assertThat(ApiServer.Call.of("PUT", "/apis/coordination.k8s.io/v1/namespaces/s/leases/l").toString())
        .isEqualTo("update coordination.k8s.io/leases in s l");
    assertThat(ApiServer.Call.of("PATCH", "/api/v1/nodes/n1").toString()).isEqualTo("patch nodes n1");
    assertThat(ApiServer.Call.of("GET", "/version").nonResource()).isTrue();
  }

  private static boolean ok(int port) {
    try {
      return get(port, "/readyz").statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }
}
