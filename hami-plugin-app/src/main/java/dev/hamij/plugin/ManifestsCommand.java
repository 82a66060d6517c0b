package dev.hamij.plugin;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/**
 * {@code manifests}: the deploy YAML of the node agent — service account, the least-privilege RBAC
 * it needs and nothing more, and the DaemonSet with its host paths. The device configuration comes
 * from the ConfigMap the scheduler extender's manifests create ({@code hami-scheduler-device}).
 */
@Command(name = "manifests", mixinStandardHelpOptions = true,
    description = "Print deploy YAML: service account, least-privilege RBAC, DaemonSet with host paths.")
final class ManifestsCommand implements Callable<Integer> {

  static final String APP = "hami-device-plugin";
  static final String DEVICE_CONFIG_MAP = "hami-scheduler-device";

  private static final YAMLMapper YAML = YAMLMapper.builder()
      .enable(YAMLWriteFeature.MINIMIZE_QUOTES)
      .disable(YAMLWriteFeature.WRITE_DOC_START_MARKER, YAMLWriteFeature.SPLIT_LINES)
      .build();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--namespace", defaultValue = "hami-system", description = "namespace (default: ${DEFAULT-VALUE})")
  String namespace;

  @Option(names = "--image", defaultValue = "ghcr.io/hamij/hami-device-plugin:" + Main.VERSION,
      description = "image of the node agent (default: ${DEFAULT-VALUE})")
  String image;

  @Option(names = "--node-selector", defaultValue = "gpu=on",
      description = "label key=value of the GPU nodes to run on (default: ${DEFAULT-VALUE})")
  String nodeSelector;

  @Option(names = "--register-format", defaultValue = "json",
      description = "json (HAMi v2.8+ schedulers) or legacy (v2.5-v2.7) (default: ${DEFAULT-VALUE})")
  String registerFormat;

  @Override
  public Integer call() {
    int eq = nodeSelector.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("--node-selector: expected key=value, got '" + nodeSelector + "'");
    }
    if (!registerFormat.equals("json") && !registerFormat.equals("legacy")) {
      throw new IllegalArgumentException("--register-format: expected json or legacy, got '" + registerFormat + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(render(namespace, image, nodeSelector.substring(0, eq), nodeSelector.substring(eq + 1),
        registerFormat));
    out.flush();
    return 0;
  }

  static String render(String namespace, String image, String selectorKey, String selectorValue,
      String registerFormat) {
    List<Map<String, Object>> docs = new ArrayList<>();
    docs.add(map("apiVersion", "v1", "kind", "ServiceAccount", "metadata", map("name", APP, "namespace", namespace)));
    docs.add(map("apiVersion", "rbac.authorization.k8s.io/v1", "kind", "ClusterRole",
        "metadata", map("name", APP),
        "rules", List.of(
            // the register loop reads and patches its Node; Allocate reads the node lock and deletes it
            rule("nodes", "get", "patch"),
            // Allocate finds the pod being bound and patches its annotations; the node monitor and the
            // MIG reconciler list (and the monitor watches) the pods HAMi placed on this node
            rule("pods", "get", "list", "watch", "patch"))));
    docs.add(map("apiVersion", "rbac.authorization.k8s.io/v1", "kind", "ClusterRoleBinding",
        "metadata", map("name", APP),
        "roleRef", map("apiGroup", "rbac.authorization.k8s.io", "kind", "ClusterRole", "name", APP),
        "subjects", List.of(map("kind", "ServiceAccount", "name", APP, "namespace", namespace))));
    docs.add(daemonSet(namespace, image, selectorKey, selectorValue, registerFormat));
    StringBuilder out = new StringBuilder("# HAMi-J node agent (rendered by: hami-device-plugin manifests)\n");
    for (Map<String, Object> doc : docs) {
      out.append("---\n").append(YAML.writeValueAsString(doc));
    }
    return out.toString();
  }

  private static Map<String, Object> daemonSet(String namespace, String image, String selectorKey,
      String selectorValue, String registerFormat) {
    Map<String, Object> labels = map("app.kubernetes.io/name", APP);
    List<Object> volumes = List.of(
        hostPath("device-plugin", "/var/lib/kubelet/device-plugins", "Directory"),
        hostPath("vgpu", "/usr/local/vgpu", "DirectoryOrCreate"),
        hostPath("vgpulock", "/tmp/vgpulock", "DirectoryOrCreate"),
        map("name", "device-config", "configMap", map("name", DEVICE_CONFIG_MAP)));
    List<Object> mounts = List.of(
        map("name", "device-plugin", "mountPath", "/var/lib/kubelet/device-plugins"),
        map("name", "vgpu", "mountPath", "/usr/local/vgpu"),
        map("name", "vgpulock", "mountPath", "/tmp/vgpulock"),
        map("name", "device-config", "mountPath", "/device-config", "readOnly", true));
    Map<String, Object> container = map(
        "name", "device-plugin",
        "image", image,
        "args", List.of("serve", "--device-config=/device-config/device-config.yaml",
            "--register-format=" + registerFormat, "--metrics-bind-address=:9394"),
        "env", List.of(
            map("name", "NODE_NAME", "valueFrom", map("fieldRef", map("fieldPath", "spec.nodeName"))),
            map("name", "HOOK_PATH", "value", "/usr/local"),
            map("name", "NVIDIA_VISIBLE_DEVICES", "value", "all"),
            map("name", "NVIDIA_MIG_MONITOR_DEVICES", "value", "all")),
        "ports", List.of(map("name", "metrics", "containerPort", 9394, "protocol", "TCP")),
        // NVML needs the GPU device nodes and MIG management needs CAP_SYS_ADMIN on them
        "securityContext", map("privileged", true),
        "volumeMounts", mounts);
    return map("apiVersion", "apps/v1", "kind", "DaemonSet",
        "metadata", map("name", APP, "namespace", namespace, "labels", labels),
        "spec", map(
            "selector", map("matchLabels", labels),
            "updateStrategy", map("type", "RollingUpdate"),
            "template", map(
                "metadata", map("labels", labels),
                "spec", map(
                    "serviceAccountName", APP,
                    "priorityClassName", "system-node-critical",
                    "nodeSelector", map(selectorKey, selectorValue),
                    "tolerations", List.of(map("key", "nvidia.com/gpu", "operator", "Exists", "effect", "NoSchedule")),
                    "containers", List.of(container),
                    "volumes", volumes))));
  }

  private static Map<String, Object> hostPath(String name, String path, String type) {
    return map("name", name, "hostPath", map("path", path, "type", type));
  }

  private static Map<String, Object> rule(String resource, String... verbs) {
    return map("apiGroups", List.of(""), "resources", List.of(resource), "verbs", List.of(verbs));
  }

  private static Map<String, Object> map(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }
}
