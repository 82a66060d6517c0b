package dev.hamij.extender;

import dev.hamij.api.ResourceNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/**
 * Deploy YAML for the extender: namespace, service account and least-privilege RBAC, the
 * kube-scheduler configuration with this extender ({@code managedResources} ignored by the
 * scheduler), a Deployment running a stock kube-scheduler with the extender as sidecar, the Service,
 * a self-signed cert-manager certificate and the admission webhook configuration.
 */
final class Manifests {
  /**
   * What to render.
   *
   * @param kubeMinor Kubernetes minor version (1.x) the manifests target
   */
  record Params(int kubeMinor, String namespace, String schedulerName, String image, String schedulerImage,
      Extender.FilterMode filterMode, int replicas, String updateFailurePolicy) {}

  private static final YAMLMapper YAML = YAMLMapper.builder()
      .enable(YAMLWriteFeature.MINIMIZE_QUOTES, YAMLWriteFeature.LITERAL_BLOCK_STYLE)
      .disable(YAMLWriteFeature.WRITE_DOC_START_MARKER, YAMLWriteFeature.SPLIT_LINES)
      .build();

  private Manifests() {}

  static String render(Params p) {
    if (p.kubeMinor() < 22) {
      throw new IllegalArgumentException("--kube-version: Kubernetes 1." + p.kubeMinor()
          + " is not supported (KubeSchedulerConfiguration with extenders needs 1.22 or later)");
    }
    List<Map<String, Object>> docs = new ArrayList<>();
    String ns = p.namespace();
    String app = "hami-scheduler";
    Map<String, Object> labels = map("app.kubernetes.io/name", app, "app.kubernetes.io/component", "hami-scheduler");

    docs.add(map("apiVersion", "v1", "kind", "Namespace", "metadata", map("name", ns)));
    docs.add(map("apiVersion", "v1", "kind", "ServiceAccount", "metadata", map("name", app, "namespace", ns)));
    docs.add(map("apiVersion", "rbac.authorization.k8s.io/v1", "kind", "ClusterRole",
        "metadata", map("name", "hami-extender"),
        "rules", List.of(
            // exactly what the extender calls (RbacTest runs it against an API server enforcing this)
            rule("", List.of("nodes"), "get", "list", "watch", "patch"),
            rule("", List.of("pods"), "get", "list", "watch", "patch"),
            rule("", List.of("bindings"), "create"),
            rule("", List.of("resourcequotas"), "list", "watch"),
            // a repeated event raises the count of the first one (fabric8 reads it before patching)
            rule("", List.of("events"), "create", "get", "patch"))));
    docs.add(binding("ClusterRoleBinding", "hami-extender", null, "ClusterRole", "hami-extender", app, ns));
    // the stock kube-scheduler in the same pod needs its own built-in roles
    docs.add(binding("ClusterRoleBinding", "hami-kube-scheduler", null, "ClusterRole", "system:kube-scheduler", app, ns));
    docs.add(binding("ClusterRoleBinding", "hami-volume-scheduler", null, "ClusterRole", "system:volume-scheduler", app,
        ns));
    docs.add(binding("RoleBinding", "hami-scheduler-auth-reader", "kube-system", "Role",
        "extension-apiserver-authentication-reader", app, ns));
    docs.add(map("apiVersion", "rbac.authorization.k8s.io/v1", "kind", "Role",
        "metadata", map("name", "hami-scheduler-leases", "namespace", ns),
        // kube-scheduler's leader election (client-go Lease lock) gets, creates and updates its Lease;
        // the extender only reads it (RbacTest)
        "rules", List.of(rule("coordination.k8s.io", List.of("leases"), "get", "create", "update"))));
    docs.add(binding("RoleBinding", "hami-scheduler-leases", ns, "Role", "hami-scheduler-leases", app, ns));

    docs.add(map("apiVersion", "v1", "kind", "ConfigMap",
        "metadata", map("name", "hami-scheduler-config", "namespace", ns),
        "data", map("config.yaml", YAML.writeValueAsString(schedulerConfiguration(p)))));
    docs.add(map("apiVersion", "v1", "kind", "ConfigMap",
        "metadata", map("name", "hami-scheduler-device", "namespace", ns),
        "data", map("device-config.yaml", DEVICE_CONFIG)));

    docs.add(map("apiVersion", "cert-manager.io/v1", "kind", "Issuer",
        "metadata", map("name", "hami-selfsigned", "namespace", ns), "spec", map("selfSigned", map())));
    docs.add(map("apiVersion", "cert-manager.io/v1", "kind", "Certificate",
        "metadata", map("name", "hami-scheduler-tls", "namespace", ns),
        "spec", map("secretName", "hami-scheduler-tls",
            "dnsNames", List.of(app + "." + ns + ".svc", app + "." + ns + ".svc.cluster.local"),
            "ipAddresses", List.of("127.0.0.1"),
            "issuerRef", map("name", "hami-selfsigned", "kind", "Issuer"))));

    docs.add(deployment(p, labels));
    docs.add(map("apiVersion", "v1", "kind", "Service",
        "metadata", map("name", app, "namespace", ns, "labels", labels),
        "spec", map("selector", labels, "ports", List.of(
            map("name", "https", "port", 443, "targetPort", 8443, "protocol", "TCP"),
            map("name", "metrics", "port", 9395, "targetPort", 9395, "protocol", "TCP")))));
    docs.add(webhook(p));

    StringBuilder out = new StringBuilder();
    out.append("# HAMi-J scheduler extender for Kubernetes 1.").append(p.kubeMinor())
        .append(" (rendered by: hami-extender manifests)\n");
    for (Map<String, Object> d : docs) {
      out.append("---\n").append(YAML.writeValueAsString(d));
    }
    return out.toString();
  }

  private static Map<String, Object> schedulerConfiguration(Params p) {
    String apiVersion = p.kubeMinor() >= 25 ? "kubescheduler.config.k8s.io/v1"
        : p.kubeMinor() >= 23 ? "kubescheduler.config.k8s.io/v1beta3" : "kubescheduler.config.k8s.io/v1beta2";
    List<Object> managed = new ArrayList<>();
    for (String r : ResourceNames.DEFAULT.all()) {
      managed.add(map("name", r, "ignoredByScheduler", true));
    }
    Map<String, Object> extender = map(
        "urlPrefix", "https://127.0.0.1:8443",
        "filterVerb", "filter",
        "bindVerb", "bind",
        "nodeCacheCapable", true,
        "weight", 1,
        "httpTimeout", "30s",
        "enableHTTPS", true,
        "tlsConfig", map("insecure", true),
        "managedResources", managed);
    if (p.filterMode() == Extender.FilterMode.ALL_NODES) {
      extender.put("prioritizeVerb", "prioritize");
    }
    return map(
        "apiVersion", apiVersion,
        "kind", "KubeSchedulerConfiguration",
        "leaderElection", map("leaderElect", p.replicas() > 1, "resourceName", p.schedulerName(),
            "resourceNamespace", p.namespace()),
        "profiles", List.of(map("schedulerName", p.schedulerName())),
        "extenders", List.of(extender));
  }

  private static Map<String, Object> deployment(Params p, Map<String, Object> labels) {
    String ns = p.namespace();
    List<Object> args = new ArrayList<>(List.of("serve",
        "--http_bind=0.0.0.0:8443",
        "--cert_file=/tls/tls.crt",
        "--key_file=/tls/tls.key",
        "--scheduler-name=" + p.schedulerName(),
        "--device-config-file=/device-config/device-config.yaml",
        "--metrics-bind-address=:9395",
        "--filter-mode=" + (p.filterMode() == Extender.FilterMode.ALL_NODES ? "all-nodes" : "best-node"),
        "--trusted-users=system:serviceaccount:" + ns + ":hami-scheduler,system:serviceaccount:" + ns
            + ":hami-device-plugin"));
    if (p.replicas() > 1) {
      // follow the co-located kube-scheduler's Lease, so the active kube-scheduler always has the leading extender
      args.add("--leader-elect=true");
      args.add("--leader-elect-mode=follow");
      args.add("--leader-elect-resource-name=" + p.schedulerName());
      args.add("--leader-elect-resource-namespace=" + ns);
    }
    Map<String, Object> probeHttps = map("scheme", "HTTPS", "port", 8443);
    Map<String, Object> extender = map(
        "name", "extender",
        "image", p.image(),
        "args", args,
        "env", List.of(
            map("name", "POD_NAME", "valueFrom", map("fieldRef", map("fieldPath", "metadata.name"))),
            map("name", "POD_NAMESPACE", "valueFrom", map("fieldRef", map("fieldPath", "metadata.namespace")))),
        "ports", List.of(map("name", "https", "containerPort", 8443), map("name", "metrics", "containerPort", 9395)),
        "readinessProbe", map("httpGet", with(probeHttps, "path", "/readyz"), "periodSeconds", 5),
        "livenessProbe", map("httpGet", with(probeHttps, "path", "/healthz"), "periodSeconds", 10,
            "failureThreshold", 6),
        "resources", map("requests", map("cpu", "500m", "memory", "512Mi"), "limits", map("memory", "2Gi")),
        "securityContext", map("allowPrivilegeEscalation", false, "readOnlyRootFilesystem", true,
            "capabilities", map("drop", List.of("ALL"))),
        "volumeMounts", List.of(
            map("name", "tls", "mountPath", "/tls", "readOnly", true),
            map("name", "device-config", "mountPath", "/device-config", "readOnly", true)));
    Map<String, Object> scheduler = map(
        "name", "kube-scheduler",
        "image", p.schedulerImage(),
        "command", List.of("kube-scheduler", "--config=/config/config.yaml", "--v=2"),
        "livenessProbe", map("httpGet", map("path", "/healthz", "port", 10259, "scheme", "HTTPS"),
            "periodSeconds", 10),
        "securityContext", map("allowPrivilegeEscalation", false, "readOnlyRootFilesystem", true,
            "capabilities", map("drop", List.of("ALL"))),
        "volumeMounts", List.of(map("name", "scheduler-config", "mountPath", "/config", "readOnly", true)));
    return map("apiVersion", "apps/v1", "kind", "Deployment",
        "metadata", map("name", "hami-scheduler", "namespace", ns, "labels", labels),
        "spec", map(
            "replicas", p.replicas(),
            // only the leader is ready, so a rolling update would wait forever for a new follower
            "strategy", map("type", "Recreate"),
            "selector", map("matchLabels", labels),
            "template", map(
                "metadata", map("labels", labels),
                "spec", map(
                    "serviceAccountName", "hami-scheduler",
                    "priorityClassName", "system-cluster-critical",
                    "securityContext", map("runAsNonRoot", true, "runAsUser", 65532,
                        "seccompProfile", map("type", "RuntimeDefault")),
                    "containers", List.of(scheduler, extender),
                    "volumes", List.of(
                        map("name", "tls", "secret", map("secretName", "hami-scheduler-tls")),
                        map("name", "device-config", "configMap", map("name", "hami-scheduler-device")),
                        map("name", "scheduler-config", "configMap", map("name", "hami-scheduler-config")))))));
  }

  private static Map<String, Object> webhook(Params p) {
    String ns = p.namespace();
    Map<String, Object> client = map("service", map("name", "hami-scheduler", "namespace", ns, "path", "/webhook",
        "port", 443));
    Map<String, Object> notIgnored = map("matchExpressions",
        List.of(map("key", "hami.io/webhook", "operator", "NotIn", "values", List.of("ignore"))));
    Map<String, Object> create = map(
        "name", "vgpu.hami.io",
        "clientConfig", client,
        "rules", List.of(map("apiGroups", List.of(""), "apiVersions", List.of("v1"), "operations", List.of("CREATE"),
            "resources", List.of("pods"), "scope", "*")),
        "failurePolicy", "Ignore",
        "sideEffects", "None",
        "timeoutSeconds", 10,
        "reinvocationPolicy", "Never",
        "admissionReviewVersions", List.of("v1", "v1beta1"),
        "namespaceSelector", notIgnored,
        "objectSelector", notIgnored);
    Map<String, Object> update = map(
        "name", "protect.vgpu.hami.io",
        "clientConfig", client,
        "rules", List.of(map("apiGroups", List.of(""), "apiVersions", List.of("v1"), "operations", List.of("UPDATE"),
            "resources", List.of("pods"), "scope", "*")),
        "failurePolicy", p.updateFailurePolicy(),
        "sideEffects", "None",
        "timeoutSeconds", 5,
        "reinvocationPolicy", "Never",
        "admissionReviewVersions", List.of("v1", "v1beta1"),
        "namespaceSelector", map("matchExpressions", List.of(map("key", "kubernetes.io/metadata.name",
            "operator", "NotIn", "values", List.of("kube-system", ns)))));
    // pods/status can change labels and annotations as well; Ignore, so kubelets keep reporting
    // status while the extender is down (only identities allowed to write pods/status get this far)
    Map<String, Object> status = with(with(with(update, "name", "status.protect.vgpu.hami.io"), "rules",
        List.of(map("apiGroups", List.of(""), "apiVersions", List.of("v1"), "operations", List.of("UPDATE"),
            "resources", List.of("pods/status"), "scope", "*"))), "failurePolicy", "Ignore");
    return map("apiVersion", "admissionregistration.k8s.io/v1", "kind", "MutatingWebhookConfiguration",
        "metadata", map("name", "hami-webhook", "annotations",
            map("cert-manager.io/inject-ca-from", ns + "/hami-scheduler-tls")),
        "webhooks", List.of(create, update, status));
  }

  private static Map<String, Object> rule(String group, List<String> resources, String... verbs) {
    return map("apiGroups", List.of(group), "resources", resources, "verbs", List.of(verbs));
  }

  private static Map<String, Object> binding(String kind, String name, String namespace, String roleKind, String role,
      String sa, String saNamespace) {
    Map<String, Object> meta = namespace == null ? map("name", name) : map("name", name, "namespace", namespace);
    return map("apiVersion", "rbac.authorization.k8s.io/v1", "kind", kind, "metadata", meta,
        "roleRef", map("apiGroup", "rbac.authorization.k8s.io", "kind", roleKind, "name", role),
        "subjects", List.of(map("kind", "ServiceAccount", "name", sa, "namespace", saNamespace)));
  }

  private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(base);
    m.put(key, value);
    return m;
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** HAMi's chart defaults for the keys the scheduler reads. */
  static final String DEVICE_CONFIG = """
      nvidia:
        resourceCountName: nvidia.com/gpu
        resourceMemoryName: nvidia.com/gpumem
        resourceMemoryPercentageName: nvidia.com/gpumem-percentage
        resourceCoreName: nvidia.com/gpucores
        resourcePriorityName: nvidia.com/priority
        overwriteEnv: false
        defaultMemory: 0
        defaultCores: 0
        defaultGPUNum: 1
        memoryFactor: 1
        deviceSplitCount: 10
        deviceMemoryScaling: 1
        deviceCoreScaling: 1
        gpuCorePolicy: default
      """;
}
