package dev.hamij.extender;

import com.sun.net.httpserver.HttpServer;
import dev.hamij.api.ConfigLoader;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.HamiFormatException;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The running extender: cluster view, ledger, HTTP(S) surface, metrics listener, leader election,
 * configuration and certificate reloads, and the periodic handshake check, wired together and torn
 * down together.
 */
final class ExtenderRuntime implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ExtenderRuntime.class.getName());

  /** Everything {@code serve} can be told. */
  record Options(InetSocketAddress httpBind, InetSocketAddress metricsBind, Path certFile, Path keyFile,
      Path deviceConfigFile, Settings.Policies policies, Extender.FilterMode filterMode, Duration nodeLockTimeout,
      Duration podGroupLockWait, boolean leaderElect, boolean followLease, String leaseNamespace, String leaseName,
      String identity,
      boolean legacyMetrics, int httpThreads, Set<String> trustedUsers, Duration readyWait,
      Duration healthInterval, Duration reloadInterval, LeaseTiming lease) {}

  /** Lease duration, renew deadline and retry period of leader election. */
  record LeaseTiming(Duration duration, Duration renewDeadline, Duration retryPeriod) {
    /** kube-scheduler's defaults. */
    static final LeaseTiming DEFAULT = new LeaseTiming(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  private final Cluster cluster;
  private final ClusterLedger ledger;
  private final Extender extender;
  private final HttpSurface http;
  private final HttpServer metricsServer;
  private final Leadership leadership;
  private final FileWatcher watcher;
  private final ScheduledExecutorService ticker;
  private final ReloadingTls tls;
  private volatile Settings settings;
  private final java.util.concurrent.atomic.AtomicInteger rejectedConfigs = new java.util.concurrent.atomic.AtomicInteger();

  private ExtenderRuntime(Options o, Cluster cluster, KubernetesClient client) throws IOException {
    this.cluster = cluster;
    this.settings = loadSettings(o);
    Clock clock = Clock.systemUTC();
    ExtenderMetrics metrics = new ExtenderMetrics();
    ledger = new ClusterLedger(cluster, new NodeHealth(clock, ZoneId.systemDefault()), settings);
    metrics.registry().register(new UsageMetrics(() -> ledger.scheduler().usage(), o.legacyMetrics()));
    AdmissionHandler admission = new AdmissionHandler(() -> settings.admission(), o.trustedUsers(),
        pod -> ledger.scheduler().admit(pod));
    Leadership[] lead = new Leadership[1];
    extender = new Extender(cluster, ledger, new NodeLocks(cluster, o.nodeLockTimeout(), clock), metrics, admission,
        o.filterMode(), clock, () -> lead[0] != null && lead[0].isLeader(), o.readyWait(), o.podGroupLockWait());

    watcher = new FileWatcher(o.reloadInterval());
    ReloadingTls tls = null;
    if (o.certFile() != null && o.keyFile() != null) {
      try {
        tls = ReloadingTls.load(o.certFile(), o.keyFile());
      } catch (java.security.GeneralSecurityException e) {
        throw new IOException("TLS: " + e.getMessage(), e);
      }
      ReloadingTls t = tls;
      watcher.watch(t.files(), t::reload);
    }
    this.tls = tls;
    if (o.deviceConfigFile() != null) {
      watcher.watch(List.of(o.deviceConfigFile()), () -> reloadConfig(o));
    }

    cluster.start(ledger);
    if (o.leaderElect()) {
      if (client == null) {
        throw new IllegalArgumentException("--leader-elect needs a Kubernetes API server");
      }
      Runnable onStart = () -> extender.rebuild(settings);
      Runnable onStop = () -> {
        ledger.deactivate();
        extender.leadershipChanged();
      };
      lead[0] = o.followLease()
          ? Leadership.follow(client, o.leaseNamespace(), o.leaseName(), o.identity(), o.lease().retryPeriod(), onStart,
              onStop)
          : Leadership.elect(client, o.leaseNamespace(), o.leaseName(), o.identity(), o.lease().duration(),
              o.lease().renewDeadline(), o.lease().retryPeriod(), onStart, onStop);
    } else {
      lead[0] = Leadership.always();
      extender.rebuild(settings);
    }
    leadership = lead[0];
    extender.setSynced(true);

    ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hami-node-health");
      t.setDaemon(true);
      return t;
    });
    long every = o.healthInterval().toMillis();
    ticker.scheduleWithFixedDelay(ledger::recheckNodes, every, every, TimeUnit.MILLISECONDS);

    ExtenderApi api = cluster instanceof MemoryCluster memory ? new Adopting(memory, extender) : extender;
    http = HttpSurface.start(o.httpBind(), tls, api, metrics, o.httpThreads());
    metricsServer = HttpServer.create(o.metricsBind(), 64);
    metricsServer.createContext("/metrics", ex -> {
      byte[] body = metrics.scrape();
      ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    metricsServer.start();
    LOG.info("extender listening on " + (tls == null ? "http" : "https") + "://" + o.httpBind().getHostString() + ":"
        + http.port() + ", metrics on :" + metricsServer.getAddress().getPort() + ", filter mode " + o.filterMode());
  }

  /**
   * In-memory mode: pods kube-scheduler (or a load generator) asks about are added to the embedded
   * cluster first, since nobody else creates them there.
   */
  private record Adopting(MemoryCluster memory, ExtenderApi api) implements ExtenderApi {
    private ExtenderWire.Args adopt(ExtenderWire.Args args) {
      if (args.pod().getMetadata() == null || args.pod().getMetadata().getName() == null) {
        return args;
      }
      if (args.pod().getMetadata().getNamespace() == null) {
        args.pod().getMetadata().setNamespace("default");
      }
      return new ExtenderWire.Args(memory.adopt(args.pod()), args.nodes(), args.nodeNames());
    }

    @Override
    public ExtenderWire.FilterResult filter(ExtenderWire.Args args) {
      return api.filter(adopt(args));
    }

    @Override
    public List<ExtenderWire.HostPriority> prioritize(ExtenderWire.Args args) {
      return api.prioritize(args);
    }

    @Override
    public String bind(ExtenderWire.BindArgs args) {
      return api.bind(args);
    }

    @Override
    public AdmissionHandler.Reply admit(byte[] body) {
      return api.admit(body);
    }

    @Override
    public String notReadyReason() {
      return api.notReadyReason();
    }
  }

  /** Starts the extender over {@code cluster}; {@code client} is needed for leader election only. */
  static ExtenderRuntime start(Options o, Cluster cluster, KubernetesClient client) throws IOException {
    return new ExtenderRuntime(o, cluster, client);
  }

  private static Settings loadSettings(Options o) {
    HamiConfig hami = o.deviceConfigFile() == null ? HamiConfig.defaults() : ConfigLoader.load(o.deviceConfigFile());
    return Settings.of(hami, o.policies());
  }

  /** Applies a changed device config file; a file that does not load is reported and the last good one kept. */
  private void reloadConfig(Options o) {
    Settings next;
    try {
      next = loadSettings(o);
    } catch (HamiFormatException | IllegalArgumentException e) {
      rejectedConfigs.incrementAndGet();
      LOG.severe("configuration " + o.deviceConfigFile() + " not applied, keeping the previous one: " + e.getMessage());
      return;
    }
    settings = next;
    Leadership l = leadership;
    if (l != null && l.isLeader()) {
      extender.rebuild(next);
    }
    LOG.info("configuration " + o.deviceConfigFile() + " applied");
  }

  Settings settings() {
    return settings;
  }

  /** How many changed configuration files were refused so far. */
  int rejectedConfigs() {
    return rejectedConfigs.get();
  }

  /** The scheduler side behind the HTTP surface (tests call it directly). */
  Extender extender() {
    return extender;
  }

  ClusterLedger ledger() {
    return ledger;
  }

  /** The TLS material in use, or null for plain HTTP. */
  ReloadingTls tls() {
    return tls;
  }

  int httpPort() {
    return http.port();
  }

  int metricsPort() {
    return metricsServer.getAddress().getPort();
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    watcher.close();
    leadership.close();
    http.close();
    metricsServer.stop(0);
    ledger.close();
    cluster.close();
  }

  /** {@code host:port}, {@code :port} or {@code [v6]:port}. */
  static InetSocketAddress address(String flag, String value) {
    int colon = value.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(flag + ": expected host:port, got \"" + value + "\"");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": invalid port in \"" + value + "\"");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + ": port out of range in \"" + value + "\"");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }
}
