package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.mig.MigManager;
import dev.hamij.mig.MigSettings;
import dev.hamij.mig.PodRef;
import dev.hamij.mig.ReconcileReport;
import dev.hamij.nvidia.AdvertisedDevice;
import dev.hamij.nvidia.AllocationSettings;
import dev.hamij.nvidia.DiscoveredGpu;
import dev.hamij.nvidia.NodeInventory;
import dev.hamij.nvidia.RegisterAnnotations;
import dev.hamij.nvml.Nvml;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Everything {@code serve} runs on a GPU node, started in this order: install the preload library
 * (node.md §3.3; nothing else starts when that fails), discover the GPUs through NVML, serve the
 * device plugin and register it with kubelet (registration is the readiness gate), keep the node's
 * register annotation up to date, watch XID events, and serve the node monitor's {@code /metrics}.
 * On a MIG node ({@code operatingmode: mig}) the MIG manager (hami-mig) adopts the instances of
 * running pods and cleans the rest before the plugin registers, realises each container's
 * reservation at Allocate, and reconciles every few seconds.
 *
 * <p>Every loop exists once for the life of the runtime: kubelet restarts restart only the gRPC
 * server inside {@link DevicePluginAgent}. {@link #close} stops everything in reverse order and
 * releases NVML.
 */
final class NodeRuntime implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(NodeRuntime.class.getName());

  private final NodeSettings settings;
  private final Nvml nvml;
  private final KubernetesClient client;
  /** {@code <hook-path>/vgpu}, the host directory Allocate answers name. */
  private final String vgpuHostPath;
  private InstalledLibrary library;
  private boolean nvmlInitialised;
  private NodeDevices devices;
  private NodeApi api;
  private DevicePluginAgent plugin;
  private RegisterLoop register;
  private KubeNodePods nodePods;
  private ScheduledExecutorService monitorThread;
  private MetricsServer metricsServer;
  private MigManager mig;
  private ScheduledExecutorService migThread;
  private boolean closed;

  private NodeRuntime(NodeSettings settings, Nvml nvml, KubernetesClient client) {
    this.settings = settings;
    this.vgpuHostPath = settings.hookPath().replaceAll("/+$", "") + "/vgpu";
    this.nvml = nvml;
    this.client = client;
  }

  /**
   * Starts the node agent; returns once the device plugin serves (registration with kubelet and the
   * register annotation follow on their own threads).
   *
   * @throws IOException when the preload library cannot be installed; nothing was started then
   */
  static NodeRuntime start(NodeSettings settings, Nvml nvml, KubernetesClient client)
      throws IOException, InterruptedException {
    NodeRuntime runtime = new NodeRuntime(settings, nvml, client);
    try {
      runtime.startAll();
    } catch (IOException | InterruptedException | RuntimeException e) {
      runtime.close();
      throw e;
    }
    return runtime;
  }

  private void startAll() throws IOException, InterruptedException {
    String node = settings.nodeName();
    library = new PreloadLibraryInstaller(settings.libraryHostDirectory(), settings.libraryVersion(),
        settings.hookPath() + "/vgpu/libvgpu.so").install(settings.librarySource());
    nvml.init();
    nvmlInitialised = true;
    devices = new NodeDevices(nvml, settings.config(), node, settings.xidPolicy(), settings.healthQuietPeriod(),
        settings.xidWait(), Clock.systemUTC());
    if (settings.metricsAddress().isPresent()) {
      // the node monitor's informer also spares Allocate a GET of the pod; without the monitor,
      // Allocate reads the pod and no pod watch is opened
      nodePods = KubeNodePods.start(client, node, settings.podResync());
    }
    api = new NodeApi(client, node, Optional.ofNullable(nodePods));
    HamiAllocateHandler.MigRealiser realiser = null;
    if (GpuDevice.MODE_MIG.equals(settings.operatingMode())) {
      realiser = startMig();
    }
    AllocationSettings allocation = AllocationSettings.builder(library.library().toString())
        .hookPath(settings.hookPath())
        .config(settings.config().effectiveFor(node))
        .licensePresent(Files.isRegularFile(settings.libraryHostDirectory().resolve("license")))
        .deviceListStrategy(settings.deviceListStrategy())
        .build();
    HamiAllocateHandler allocate = new HamiAllocateHandler(new KubePodBinding(api, resourceName()),
        this::nodeFacts, allocation, this::localPath, realiser);
    Files.createDirectories(settings.libraryHostDirectory().resolve("containers"));

    plugin = new DevicePluginAgent(settings.plugin(),
        new DevicePluginService(devices.deviceList(), allocate, settings.preferredAllocation()));
    plugin.start();
    register = new RegisterLoop(api, this::registerAnnotations, settings.registerInterval(),
        settings.registerRetry());
    register.start();
    devices.start();
    if (settings.metricsAddress().isPresent()) {
      startMonitor();
    }
    NodeInventory inventory = devices.current();
    LOG.log(Level.INFO, "node " + node + " (" + settings.operatingMode() + "): " + inventory.gpus().size()
        + " GPUs, " + devices.deviceList().current().size() + " devices advertised as " + resourceName()
        + "; library " + library.library());
  }

  private void startMonitor() throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    NodeMonitor monitor = new NodeMonitor(settings.libraryHostDirectory().resolve("containers"), nodePods,
        new ContainerMetrics(registry, settings.legacyMetrics()), Clock.systemUTC());
    monitorThread = NamedThreads.scheduler("hami-monitor");
    long period = settings.monitorInterval().toMillis();
    monitorThread.scheduleWithFixedDelay(() -> {
      try {
        monitor.refresh();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "node monitor refresh failed", e);
      }
    }, 0, period, TimeUnit.MILLISECONDS);
    metricsServer = MetricsServer.start(settings.metricsAddress().get(), registry);
  }

  /**
   * Creates the MIG manager, runs its first round (start-up adoption and clean-up) before the plugin
   * registers, and schedules the reconciler.
   */
  private HamiAllocateHandler.MigRealiser startMig() {
    mig = MigManager.create(nvml, MigSettings.of(settings.config(), settings.nodeName())
        .withMigModeSwitching(settings.migModeSwitching()), new KubeMigCluster(api));
    devices.withhold(mig::unusableGpus);
    logReconcile(mig.reconcileOnce(), true);
    migThread = NamedThreads.scheduler("hami-mig-reconcile");
    long period = settings.migReconcileInterval().toMillis();
    migThread.scheduleWithFixedDelay(() -> {
      try {
        logReconcile(mig.reconcileOnce(), false);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "MIG reconcile failed", e);
      }
    }, period, period, TimeUnit.MILLISECONDS);
    return (pod, claim) -> mig.realise(new PodRef(pod.namespace(), pod.name(), pod.uid()),
        pod.annotations().get(Annotations.MIG_ALLOCATIONS), claim.containerIndex(),
        claim.devices().stream().map(d -> d.uuid()).toList()).migUuids();
  }

  private void logReconcile(ReconcileReport report, boolean startUp) {
    if (!report.clusterRead()) {
      LOG.log(Level.WARNING, "MIG reconcile: the node's pods cannot be read, nothing touched: "
          + report.clusterError());
    } else if (startUp) {
      LOG.log(Level.INFO, "MIG start-up: " + report.adopted().size() + " instances adopted, "
          + report.destroyed().size() + " destroyed, " + report.quarantined().size() + " quarantined");
    }
    report.errors().forEach(error -> LOG.log(Level.WARNING, "MIG reconcile: " + error));
  }

  private String resourceName() {
    return settings.plugin().resourceName();
  }

  private Map<String, String> registerAnnotations() {
    return RegisterAnnotations.of(devices.rediscover().registeredDevices(), settings.registerFormat(),
        Instant.now(), ZoneId.systemDefault());
  }

  private ContainerClaims.NodeFacts nodeFacts() {
    Set<String> ids = devices.deviceList().current().stream().map(AdvertisedDevice::id).collect(Collectors.toSet());
    Set<String> gpus = devices.current().gpus().stream().map(DiscoveredGpu::uuid).collect(Collectors.toSet());
    return new ContainerClaims.NodeFacts(settings.nodeName(), resourceName(), ids, gpus);
  }

  /** Where a host path an Allocate answer names is in this process's file system. */
  private Path localPath(String hostPath) {
    String vgpu = vgpuHostPath;
    if (hostPath.equals(vgpu)) {
      return settings.libraryHostDirectory();
    }
    if (hostPath.startsWith(vgpu + "/")) {
      return settings.libraryHostDirectory().resolve(hostPath.substring(vgpu.length() + 1));
    }
    if (hostPath.equals("/tmp/vgpulock")) {
      return settings.vgpuLockDirectory();
    }
    return Path.of(hostPath);
  }

  /** The preload library as installed. */
  InstalledLibrary library() {
    return library;
  }

  RegisterLoop registerLoop() {
    return register;
  }

  /** The MIG manager of a MIG node; null on other nodes. */
  MigManager mig() {
    return mig;
  }

  /** The port of {@code /metrics}; only with a monitor. */
  int metricsPort() {
    return metricsServer.port();
  }

  /** Stops serving kubelet first, then every loop, then releases NVML. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    new ClosingSteps()
        .close("stopping the device plugin", plugin)
        .close("stopping the register loop", register)
        .close("stopping the XID watcher", devices)
        .close("stopping the metrics server", metricsServer)
        .stop("stopping the node monitor", monitorThread)
        .close("stopping the pod informer", nodePods)
        .stop("stopping the MIG reconciler", migThread)
        .close("closing the MIG manager", mig)
        .run("releasing NVML", () -> {
          if (nvmlInitialised) {
            nvmlInitialised = false;
            nvml.shutdown();
          }
        })
        .finish();
  }
}
