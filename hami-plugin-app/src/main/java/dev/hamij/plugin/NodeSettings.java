package dev.hamij.plugin;

import dev.hamij.api.HamiConfig;
import dev.hamij.nvidia.DeviceListStrategy;
import dev.hamij.nvidia.RegisterAnnotations;
import dev.hamij.nvidia.XidPolicy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything {@link NodeRuntime} runs with. Build with {@link #builder}; the defaults are the
 * production values of node.md (register every 30 s, 5 s after an error; MIG reconcile every 5 s).
 *
 * @param nodeName this node
 * @param config the shared configuration with its node entries
 * @param plugin socket, registration and timing of the device plugin
 * @param librarySource HAMi-core's library as shipped in the image
 * @param libraryHostDirectory where the library is installed; it is {@code <hookPath>/vgpu} on the host
 * @param hookPath {@code HOOK_PATH}: containers see the library at {@code <hookPath>/vgpu/libvgpu.so}
 * @param libraryVersion version part of the installed library's name
 * @param preferredAllocation offer GetPreferredAllocation to kubelet
 * @param registerFormat JSON (v2.8+ schedulers) or legacy string plus handshake (v2.5–v2.7)
 * @param registerInterval time between register cycles
 * @param registerRetry time before the next register cycle after a failed one
 * @param xidPolicy which XIDs make a GPU unhealthy
 * @param healthQuietPeriod how long a GPU must stay free of critical XIDs to be healthy again
 * @param xidWait longest wait for one XID event
 * @param deviceListStrategy how containers learn their GPUs
 * @param vgpuLockDirectory where the host's {@code /tmp/vgpulock} is in this process's file system
 * @param metricsAddress where {@code /metrics} is served; empty: no node monitor
 * @param monitorInterval time between two reads of the containers' shared regions
 * @param legacyMetrics also export the metric names of HAMi ≤ 2.8
 * @param podResync resync period of the node monitor's pod informer (which Allocate uses too)
 * @param migReconcileInterval time between two MIG reconcile rounds (MIG nodes)
 * @param migModeSwitching let the MIG manager enable MIG mode on a GPU that has it disabled
 */
record NodeSettings(
    String nodeName,
    HamiConfig config,
    PluginSettings plugin,
    Path librarySource,
    Path libraryHostDirectory,
    String hookPath,
    String libraryVersion,
    boolean preferredAllocation,
    RegisterAnnotations.Format registerFormat,
    Duration registerInterval,
    Duration registerRetry,
    XidPolicy xidPolicy,
    Duration healthQuietPeriod,
    Duration xidWait,
    DeviceListStrategy deviceListStrategy,
    Path vgpuLockDirectory,
    Optional<InetSocketAddress> metricsAddress,
    Duration monitorInterval,
    boolean legacyMetrics,
    Duration podResync,
    Duration migReconcileInterval,
    boolean migModeSwitching) {

  NodeSettings {
    if (nodeName == null || nodeName.isBlank()) {
      throw new IllegalArgumentException("node settings: the node name is required");
    }
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(plugin, "plugin");
    Objects.requireNonNull(librarySource, "librarySource");
    Objects.requireNonNull(libraryHostDirectory, "libraryHostDirectory");
    if (hookPath == null || !hookPath.startsWith("/")) {
      throw new IllegalArgumentException("node settings: hookPath must be an absolute path, got " + hookPath);
    }
    Objects.requireNonNull(registerFormat, "registerFormat");
    Objects.requireNonNull(xidPolicy, "xidPolicy");
    Objects.requireNonNull(deviceListStrategy, "deviceListStrategy");
    Objects.requireNonNull(vgpuLockDirectory, "vgpuLockDirectory");
    Objects.requireNonNull(metricsAddress, "metricsAddress");
    requirePositive("registerInterval", registerInterval);
    requirePositive("registerRetry", registerRetry);
    requirePositive("xidWait", xidWait);
    requirePositive("monitorInterval", monitorInterval);
    requirePositive("podResync", podResync);
    requirePositive("migReconcileInterval", migReconcileInterval);
    if (healthQuietPeriod == null || healthQuietPeriod.isNegative()) {
      throw new IllegalArgumentException("node settings: healthQuietPeriod must not be negative, got "
          + healthQuietPeriod);
    }
  }

  /** Production defaults for {@code nodeName} under {@code config} with the given plugin settings. */
  static Builder builder(String nodeName, HamiConfig config, PluginSettings plugin) {
    return new Builder(nodeName, config, plugin);
  }

  /** The node's operating mode ({@code hami-core}, {@code mig} or {@code mps}). */
  String operatingMode() {
    return config.operatingModeFor(nodeName);
  }

  private static void requirePositive(String field, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("node settings: " + field + " must be positive, got " + value);
    }
  }

  /** Collects {@link NodeSettings}, starting from the production defaults. */
  static final class Builder {
    private final String nodeName;
    private final HamiConfig config;
    private final PluginSettings plugin;
    private Path librarySource = Path.of("/k8s-vgpu/lib/nvidia/libvgpu.so");
    private Path libraryHostDirectory;
    private String hookPath = "/usr/local";
    private String libraryVersion = Main.VERSION;
    private boolean preferredAllocation;
    private RegisterAnnotations.Format registerFormat = RegisterAnnotations.Format.JSON;
    private Duration registerInterval = Duration.ofSeconds(30);
    private Duration registerRetry = Duration.ofSeconds(5);
    private XidPolicy xidPolicy = XidPolicy.fromEnvironment(Map.of());
    private Duration healthQuietPeriod = Duration.ofMinutes(5);
    private Duration xidWait = Duration.ofSeconds(5);
    private DeviceListStrategy deviceListStrategy = DeviceListStrategy.ENVVAR;
    private Path vgpuLockDirectory = Path.of("/tmp/vgpulock");
    private Optional<InetSocketAddress> metricsAddress = Optional.empty();
    private Duration monitorInterval = Duration.ofSeconds(5);
    private boolean legacyMetrics;
    private Duration podResync = Duration.ofMinutes(5);
    private Duration migReconcileInterval = Duration.ofSeconds(5);
    private boolean migModeSwitching;

    private Builder(String nodeName, HamiConfig config, PluginSettings plugin) {
      this.nodeName = nodeName;
      this.config = config;
      this.plugin = plugin;
    }

    /** The library shipped in the image, installed under {@code hostDirectory} as version {@code version}. */
    Builder library(Path source, Path hostDirectory, String version) {
      this.librarySource = source;
      this.libraryHostDirectory = hostDirectory;
      this.libraryVersion = version;
      return this;
    }

    Builder hookPath(String path) {
      this.hookPath = path;
      return this;
    }

    Builder preferredAllocation(boolean offered) {
      this.preferredAllocation = offered;
      return this;
    }

    Builder register(RegisterAnnotations.Format format, Duration interval, Duration retry) {
      this.registerFormat = format;
      this.registerInterval = interval;
      this.registerRetry = retry;
      return this;
    }

    Builder health(XidPolicy policy, Duration quietPeriod, Duration wait) {
      this.xidPolicy = policy;
      this.healthQuietPeriod = quietPeriod;
      this.xidWait = wait;
      return this;
    }

    Builder deviceListStrategy(DeviceListStrategy strategy) {
      this.deviceListStrategy = strategy;
      return this;
    }

    Builder vgpuLockDirectory(Path directory) {
      this.vgpuLockDirectory = directory;
      return this;
    }

    /** Serve {@code /metrics} at {@code address}, reading the shared regions every {@code interval}. */
    Builder monitor(InetSocketAddress address, Duration interval, boolean legacy, Duration resync) {
      this.metricsAddress = Optional.of(address);
      this.monitorInterval = interval;
      this.legacyMetrics = legacy;
      this.podResync = resync;
      return this;
    }

    Builder mig(Duration reconcileInterval, boolean modeSwitching) {
      this.migReconcileInterval = reconcileInterval;
      this.migModeSwitching = modeSwitching;
      return this;
    }

    NodeSettings build() {
      return new NodeSettings(nodeName, config, plugin, librarySource,
          libraryHostDirectory != null ? libraryHostDirectory : Path.of(hookPath, "vgpu"), hookPath, libraryVersion,
          preferredAllocation, registerFormat, registerInterval, registerRetry, xidPolicy, healthQuietPeriod,
          xidWait, deviceListStrategy, vgpuLockDirectory, metricsAddress, monitorInterval, legacyMetrics, podResync,
          migReconcileInterval, migModeSwitching);
    }
  }
}
