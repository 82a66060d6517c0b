package dev.hamij.extender;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.VersionInfo;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code manifests}: prints deploy YAML for a Kubernetes version (given, or detected from the current kubeconfig). */
@Command(name = "manifests", mixinStandardHelpOptions = true,
    description = "Print deploy YAML: RBAC, kube-scheduler configuration with this extender, webhook, Deployment, Service.")
final class ManifestsCommand implements Callable<Integer> {
  static final int DEFAULT_MINOR = 31;
  private static final Pattern VERSION = Pattern.compile("v?1\\.(\\d+)(?:\\..*)?");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--kube-version", description = "Target Kubernetes version such as 1.31 or v1.29.4 "
      + "(default: detected from the current kubeconfig, else 1." + DEFAULT_MINOR + ").")
  String kubeVersion;

  @Option(names = "--namespace", defaultValue = "hami-system", description = "Namespace (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--scheduler-name", defaultValue = "hami-scheduler", description = "Scheduler profile name (default: ${DEFAULT-VALUE}).")
  String schedulerName;

  @Option(names = "--image", defaultValue = "ghcr.io/hamij/hami-extender:" + UsageMetrics.VERSION,
      description = "Extender image (default: ${DEFAULT-VALUE}).")
  String image;

  @Option(names = "--scheduler-image", description = "kube-scheduler image (default: registry.k8s.io/kube-scheduler:v1.<minor>.0).")
  String schedulerImage;

  @Option(names = "--filter-mode", defaultValue = "best-node", description = "best-node or all-nodes (default: ${DEFAULT-VALUE}).")
  String filterMode;

  @Option(names = "--replicas", defaultValue = "1", description = "Replicas; more than one turns on leader election (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(names = "--update-failure-policy", defaultValue = "Fail",
      description = "failurePolicy of the webhook that protects allocation annotations on UPDATE: Fail or Ignore (default: ${DEFAULT-VALUE}).")
  String updateFailurePolicy;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    int minor;
    if (kubeVersion != null) {
      Integer m = minor(kubeVersion);
      if (m == null) {
        err.println("error: --kube-version: expected 1.<minor>[.<patch>], got \"" + kubeVersion + "\"");
        return 2;
      }
      minor = m;
    } else {
      minor = detect(err);
    }
    if (!updateFailurePolicy.equals("Fail") && !updateFailurePolicy.equals("Ignore")) {
      err.println("error: --update-failure-policy: expected Fail or Ignore, got \"" + updateFailurePolicy + "\"");
      return 2;
    }
    if (replicas < 1) {
      err.println("error: --replicas: must be at least 1");
      return 2;
    }
    String schedImage = schedulerImage != null ? schedulerImage : "registry.k8s.io/kube-scheduler:v1." + minor + ".0";
    out.print(Manifests.render(new Manifests.Params(minor, namespace, schedulerName, image, schedImage,
        Extender.FilterMode.parse(filterMode), replicas, updateFailurePolicy)));
    out.flush();
    return 0;
  }

  static Integer minor(String version) {
    Matcher m = VERSION.matcher(version.trim());
    return m.matches() ? Integer.valueOf(m.group(1)) : null;
  }

  private static int detect(PrintWriter err) {
    if (System.getenv("KUBECONFIG") == null
        && !java.nio.file.Files.exists(java.nio.file.Path.of(System.getProperty("user.home"), ".kube", "config"))
        && System.getenv("KUBERNETES_SERVICE_HOST") == null) {
      return DEFAULT_MINOR;
    }
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      VersionInfo v = client.getKubernetesVersion();
      Integer m = minor(v.getMinor().replaceAll("[^0-9]", "").isEmpty() ? "" : "1." + v.getMinor().replaceAll("[^0-9]", ""));
      if (m != null) {
        return m;
      }
    } catch (RuntimeException e) {
      err.println("note: could not detect the Kubernetes version (" + e.getMessage() + "); rendering for 1." + DEFAULT_MINOR);
    }
    return DEFAULT_MINOR;
  }
}
