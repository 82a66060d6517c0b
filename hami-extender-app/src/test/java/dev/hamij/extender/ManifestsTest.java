package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

class ManifestsTest {
  private static String render(String... args) {
    StringWriter out = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    String[] all = new String[args.length + 1];
    all[0] = "manifests";
    System.arraycopy(args, 0, all, 1, args.length);
    assertThat(cl.execute(all)).isZero();
    return out.toString();
  }

  private static List<HasMetadata> objects(String yaml) {
    Object parsed = ExtenderWire.KUBE.unmarshal(yaml);
    @SuppressWarnings("unchecked")
    List<HasMetadata> list = (List<HasMetadata>) parsed;
    return list;
  }

  private static JsonNode schedulerConfig(List<HasMetadata> objects) {
    ConfigMap cm = objects.stream().filter(o -> o.getMetadata().getName().equals("hami-scheduler-config"))
        .map(ConfigMap.class::cast).findFirst().orElseThrow();
    return YAMLMapper.builder().build().readTree(cm.getData().get("config.yaml"));
  }

  @Test
  void theRenderedExampleIsCurrent() throws Exception {
    assertThat(render("--kube-version", "1.31"))
        .isEqualTo(Files.readString(ScheduleCommandTest.EXAMPLES.resolve("deploy/hami-extender.yaml")));
  }

  @Test
  void everyDocumentIsAKubernetesObject() {
    List<HasMetadata> objects = objects(render("--kube-version", "1.31"));
    assertThat(objects).extracting(HasMetadata::getKind).containsExactly("Namespace", "ServiceAccount", "ClusterRole",
        "ClusterRoleBinding", "ClusterRoleBinding", "ClusterRoleBinding", "RoleBinding", "Role", "RoleBinding",
        "ConfigMap", "ConfigMap", "Issuer", "Certificate", "Deployment", "Service", "MutatingWebhookConfiguration");
    assertThat(objects.stream().filter(GenericKubernetesResource.class::isInstance).map(HasMetadata::getKind))
        .containsExactly("Issuer", "Certificate");
    Deployment d = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst().orElseThrow();
    var extender = d.getSpec().getTemplate().getSpec().getContainers().get(1);
    assertThat(extender.getArgs()).contains("serve", "--scheduler-name=hami-scheduler", "--filter-mode=best-node")
        .noneMatch(a -> a.startsWith("--leader-elect"));
    assertThat(extender.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
  }

  @Test
  void rbacIsLeastPrivilege() {
    ClusterRole role = objects(render("--kube-version", "1.31")).stream().filter(ClusterRole.class::isInstance)
        .map(ClusterRole.class::cast).findFirst().orElseThrow();
    assertThat(role.getRules()).allSatisfy(r -> {
      assertThat(r.getVerbs()).doesNotContain("*", "delete", "deletecollection", "update");
      assertThat(r.getResources()).doesNotContain("*", "secrets", "configmaps");
    });
    assertThat(role.getRules()).anySatisfy(r -> assertThat(r.getResources()).containsExactly("bindings"));
  }

  @Test
  void schedulerConfigurationFollowsTheKubernetesVersion() {
    JsonNode v131 = schedulerConfig(objects(render("--kube-version", "v1.31.2")));
    assertThat(v131.get("apiVersion").asString()).isEqualTo("kubescheduler.config.k8s.io/v1");
    JsonNode extender = v131.get("extenders").get(0);
    assertThat(extender.get("nodeCacheCapable").asBoolean()).isTrue();
    assertThat(extender.get("bindVerb").asString()).isEqualTo("bind");
    assertThat(extender.has("prioritizeVerb")).isFalse();
    assertThat(extender.get("managedResources")).hasSize(5)
        .allSatisfy(r -> assertThat(r.get("ignoredByScheduler").asBoolean()).isTrue());
    assertThat(schedulerConfig(objects(render("--kube-version", "1.24"))).get("apiVersion").asString())
        .isEqualTo("kubescheduler.config.k8s.io/v1beta3");
    assertThat(schedulerConfig(objects(render("--kube-version", "1.22"))).get("apiVersion").asString())
        .isEqualTo("kubescheduler.config.k8s.io/v1beta2");
    assertThatThrownBy(() -> Manifests.render(new Manifests.Params(21, "x", "s", "i", "k",
        Extender.FilterMode.BEST_NODE, 1, "Fail"))).hasMessageContaining("1.22 or later");
  }

  @Test
  void allNodesModeAddsPrioritizeAndReplicasTurnOnLeaderElection() {
    List<HasMetadata> objects = objects(render("--kube-version", "1.30", "--filter-mode", "all-nodes", "--replicas", "2"));
    assertThat(schedulerConfig(objects).get("extenders").get(0).get("prioritizeVerb").asString()).isEqualTo("prioritize");
    assertThat(schedulerConfig(objects).get("leaderElection").get("leaderElect").asBoolean()).isTrue();
    Deployment d = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst().orElseThrow();
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(1).getArgs())
        .contains("--filter-mode=all-nodes", "--leader-elect=true", "--leader-elect-mode=follow",
            "--leader-elect-resource-name=hami-scheduler");
    assertThat(schedulerConfig(objects).get("leaderElection").get("resourceName").asString()).isEqualTo("hami-scheduler");
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo("registry.k8s.io/kube-scheduler:v1.30.0");
  }
}
