package dev.hamij.extender;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code serve}: the deployable extender (HAMi's flag names where HAMi has them). */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run the kube-scheduler extender, admission webhook and metrics.",
        "With --snapshot FILE it runs over an embedded in-memory cluster loaded from the snapshot."})
final class ServeCommand implements Callable<Integer> {

  @Option(names = "--http_bind", defaultValue = "127.0.0.1:8080", description = "HTTP(S) listen address (default: ${DEFAULT-VALUE}).")
  String httpBind;

  @Option(names = "--cert_file", description = "PEM certificate (chain); with --key_file serves HTTPS, reloaded on change.")
  Path certFile;

  @Option(names = "--key_file", description = "PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC).")
  Path keyFile;

  @Option(names = "--scheduler-name", defaultValue = "", description = "schedulerName the webhook sets on GPU pods; event source.")
  String schedulerName;

  @Option(names = "--node-scheduler-policy", defaultValue = "binpack", description = "binpack or spread (default: ${DEFAULT-VALUE}).")
  String nodePolicy;

  @Option(names = "--gpu-scheduler-policy", defaultValue = "spread", description = "GPU policy (default: ${DEFAULT-VALUE}).")
  String gpuPolicy;

  @Option(names = "--metrics-bind-address", defaultValue = ":9395", description = "Metrics listen address (default: ${DEFAULT-VALUE}).")
  String metricsBind;

  @Option(names = "--node-label-selector", defaultValue = "", description = "k=v,k2=v2: only these nodes are considered.")
  String nodeLabelSelector;

  @Option(names = "--device-config-file", description = "HAMi device config YAML, reloaded on change.")
  Path deviceConfig;

  @Option(names = "--force-overwrite-default-scheduler", defaultValue = "true", arity = "0..1",
      description = "The webhook may replace default-scheduler (default: ${DEFAULT-VALUE}).")
  boolean forceOverwrite;

  @Option(names = "--node-lock-timeout", defaultValue = "5m", description = "Node lock expiry (default: ${DEFAULT-VALUE}).")
  String nodeLockTimeout;

  @Option(names = "--node-lock-retry-timeout", defaultValue = "28s",
      description = "How long PodGroup members retry a contended node lock (default: ${DEFAULT-VALUE}).")
  String nodeLockRetryTimeout;

  @Option(names = "--leader-elect", defaultValue = "false", arity = "0..1", description = "Lease-based leader election.")
  boolean leaderElect;

  @Option(names = "--leader-elect-mode", defaultValue = "campaign",
      description = "campaign: hold our own Lease (fabric8 LeaderElector); follow: lead while the kube-scheduler "
          + "in this pod holds its Lease, as HAMi does (default: ${DEFAULT-VALUE}).")
  String leaderMode;

  @Option(names = "--leader-elect-resource-name", defaultValue = "hami-extender", description = "Lease name (default: ${DEFAULT-VALUE}).")
  String leaseName;

  @Option(names = "--leader-elect-resource-namespace", defaultValue = "",
      description = "Lease namespace (default: $POD_NAMESPACE, else default).")
  String leaseNamespace;

  @Option(names = "--kube-qps", defaultValue = "0", description = "API requests per second (0: unlimited).")
  float kubeQps;

  @Option(names = "--kube-burst", defaultValue = "0", description = "API request burst above --kube-qps (0: 2 x qps).")
  int kubeBurst;

  @Option(names = "--kube-timeout", defaultValue = "0s", description = "API request timeout (0s: client default).")
  String kubeTimeout;

  @Option(names = "--legacy-metrics", defaultValue = "false", arity = "0..1", description = "Also emit HAMi v2.5 metric names.")
  boolean legacyMetrics;

  @Option(names = "--filter-mode", defaultValue = "best-node",
      description = "best-node: HAMi's single best node, annotations at filter; all-nodes: every feasible node, "
          + "annotations at bind for kube-scheduler's choice (default: ${DEFAULT-VALUE}).")
  String filterMode;

  @Option(names = "--snapshot", description = "Run over an embedded in-memory cluster loaded from this snapshot.")
  Path snapshot;

  @Option(names = "--http-threads", defaultValue = "16", description = "HTTP worker threads (default: ${DEFAULT-VALUE}).")
  int httpThreads;

  @Option(names = "--trusted-users", split = ",", description = "Users allowed to change HAMi allocation annotations "
      + "(default: the hami-scheduler and hami-device-plugin service accounts of $POD_NAMESPACE).")
  String[] trustedUsers;

  @Option(names = "--debug", defaultValue = "false", description = "Debug logging.")
  boolean debug;

  @Option(names = "-v", defaultValue = "0", description = "Log verbosity (as klog: 0-10).")
  int verbosity;

  @Override
  public Integer call() throws Exception {
    configureLogging(debug || verbosity >= 4 ? Level.FINE : Level.INFO);
    String podNamespace = env("POD_NAMESPACE", "default");
    Set<String> trusted = new LinkedHashSet<>(trustedUsers == null
        ? Arrays.asList("system:serviceaccount:" + podNamespace + ":hami-scheduler",
            "system:serviceaccount:" + podNamespace + ":hami-device-plugin")
        : Arrays.asList(trustedUsers));
    ExtenderRuntime.Options options = new ExtenderRuntime.Options(
        ExtenderRuntime.address("--http_bind", httpBind),
        ExtenderRuntime.address("--metrics-bind-address", metricsBind),
        certFile, keyFile, deviceConfig,
        new Settings.Policies(nodePolicy, gpuPolicy, schedulerName, forceOverwrite),
        Extender.FilterMode.parse(filterMode),
        GoDuration.parse("--node-lock-timeout", nodeLockTimeout),
        GoDuration.parse("--node-lock-retry-timeout", nodeLockRetryTimeout),
        leaderElect, follow(), leaseNamespace.isEmpty() ? podNamespace : leaseNamespace, leaseName,
        follow() ? hostname() : identity(),
        legacyMetrics, httpThreads, trusted, java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(15),
        java.time.Duration.ofSeconds(2), ExtenderRuntime.LeaseTiming.DEFAULT);
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("--cert_file and --key_file must be given together");
    }
    Cluster cluster;
    KubernetesClient client = null;
    if (snapshot != null) {
      if (leaderElect) {
        throw new IllegalArgumentException("--leader-elect makes no sense with --snapshot");
      }
      cluster = new MemoryCluster(Snapshot.load(snapshot));
    } else {
      KubernetesClientBuilder builder = new KubernetesClientBuilder().withConfig(clientConfig());
      if (kubeQps > 0) {
        QpsLimiter limiter = new QpsLimiter(kubeQps, kubeBurst > 0 ? kubeBurst : (int) Math.ceil(kubeQps * 2));
        builder.withHttpClientBuilderConsumer(h -> h.addOrReplaceInterceptor("hami-qps", limiter));
      }
      client = builder.build();
      cluster = new KubeCluster(client, KubeCluster.parseSelector(nodeLabelSelector),
          schedulerName.isEmpty() ? "hami-scheduler" : schedulerName);
    }
    KubernetesClient apiClient = client;
    ExtenderRuntime runtime;
    try {
      runtime = ExtenderRuntime.start(options, cluster, client);
    } catch (RuntimeException | java.io.IOException e) {
      cluster.close();
      if (apiClient != null) {
        apiClient.close();
      }
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      runtime.close();
      if (apiClient != null) {
        apiClient.close();
      }
      stopped.countDown();
    }, "hami-shutdown"));
    stopped.await();
    return 0;
  }

  private Config clientConfig() {
    ConfigBuilder b = new ConfigBuilder(Config.autoConfigure(null));
    long timeout = GoDuration.parse("--kube-timeout", kubeTimeout).toMillis();
    if (timeout > 0) {
      b.withRequestTimeout((int) timeout);
    }
    return b.build();
  }

  private boolean follow() {
    return switch (leaderMode) {
      case "campaign" -> false;
      case "follow" -> true;
      default -> throw new IllegalArgumentException("--leader-elect-mode: expected campaign or follow, got \"" + leaderMode + "\"");
    };
  }

  /** The pod's hostname, the prefix of its kube-scheduler's Lease identity. */
  private static String hostname() {
    String pod = System.getenv("POD_NAME");
    if (pod != null && !pod.isEmpty()) {
      return pod;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      throw new IllegalStateException("--leader-elect-mode=follow needs the hostname (or $POD_NAME)", e);
    }
  }

  private static String identity() {
    String pod = System.getenv("POD_NAME");
    if (pod != null && !pod.isEmpty()) {
      return pod;
    }
    try {
      return InetAddress.getLocalHost().getHostName() + "_" + UUID.randomUUID();
    } catch (UnknownHostException e) {
      return "hami-extender_" + UUID.randomUUID();
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  static void configureLogging(Level level) {
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
    Logger root = Logger.getLogger("");
    for (var h : root.getHandlers()) {
      root.removeHandler(h);
    }
    ConsoleHandler console = new ConsoleHandler();
    console.setLevel(level);
    root.addHandler(console);
    Logger.getLogger("dev.hamij").setLevel(level);
  }
}
