package dev.hamij.plugin;

import dev.hamij.api.HamiConfig;
import dev.hamij.nvidia.DeviceListStrategy;
import dev.hamij.nvidia.XidPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code serve}: the DaemonSet entry point. Installs the preload library, discovers the GPUs, serves
 * the device plugin and keeps it registered with kubelet, keeps the node's register annotation, and
 * serves the node monitor's metrics, until SIGTERM (see {@link NodeRuntime}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the node agent: install the preload library, serve the device plugin, register with"
        + " kubelet and the scheduler, export container metrics.")
final class ServeCommand implements Callable<Integer> {

  @Mixin NodeOptions node;

  @Option(names = "--plugin-dir", description = "kubelet's device-plugin directory (default: ${DEFAULT-VALUE})",
      defaultValue = "/var/lib/kubelet/device-plugins")
  Path pluginDirectory;

  @Option(names = "--kubelet-socket", defaultValue = "${env:KUBELET_SOCKET}",
      description = "kubelet's registration socket (default: <plugin-dir>/kubelet.sock; env KUBELET_SOCKET);"
          + " 'none' serves without registering")
  String kubeletSocket;

  @Option(names = "--resource-name",
      description = "extended resource to advertise (default: the configuration's resourceCountName,"
          + " nvidia.com/gpu)")
  String resourceName;

  @Option(names = "--library-source", defaultValue = "/k8s-vgpu/lib/nvidia/libvgpu.so",
      description = "HAMi-core library shipped in the image (default: ${DEFAULT-VALUE})")
  Path librarySource;

  @Option(names = "--library-host-dir",
      description = "host directory the library and ld.so.preload are installed into; containers get them"
          + " mounted from <hook-path>/vgpu, so only tests move it (default: <hook-path>/vgpu)")
  Path libraryHostDirectory;

  @Option(names = "--hook-path", defaultValue = "${env:HOOK_PATH:-/usr/local}",
      description = "HOOK_PATH: containers see the library at <hook-path>/vgpu/libvgpu.so (default: /usr/local)")
  String hookPath;

  @Option(names = "--library-version", defaultValue = Main.VERSION,
      description = "version part of the installed library's name (default: ${DEFAULT-VALUE})")
  String libraryVersion;

  @Option(names = "--preferred-allocation", defaultValue = "false",
      description = "offer GetPreferredAllocation to kubelet (default: ${DEFAULT-VALUE})")
  boolean preferredAllocation;

  @Option(names = "--health-quiet-period", defaultValue = "5m", converter = DurationConverter.class,
      description = "a GPU is healthy again after this long without a critical XID (default: ${DEFAULT-VALUE})")
  Duration healthQuietPeriod;

  @Option(names = "--metrics-bind-address", defaultValue = ":9394",
      description = "[host]:port of the node monitor's /metrics; 'none' turns the monitor off"
          + " (default: ${DEFAULT-VALUE})")
  String metricsBindAddress;

  @Option(names = "--legacy-metrics", defaultValue = "false",
      description = "also export the metric names of HAMi 2.8 and older (default: ${DEFAULT-VALUE})")
  boolean legacyMetrics;

  @Option(names = "--mig-switch-mode", defaultValue = "false",
      description = "let the MIG manager enable MIG mode on a GPU of a MIG node that has it disabled; never resets"
          + " a GPU (default: ${DEFAULT-VALUE})")
  boolean migModeSwitching;

  @Override
  public Integer call() throws Exception {
    String nodeName = node.nodeName();
    NodeSettings settings = settings(nodeName, node.config());
    KubernetesClient client = new KubernetesClientBuilder().build();
    NodeRuntime runtime;
    try {
      runtime = NodeRuntime.start(settings, node.nvml(), client);
    } catch (Exception e) {
      client.close();
      throw e;
    }
    // SIGTERM runs the shutdown hooks and then halts: the hook itself stops the agent.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      runtime.close();
      client.close();
    }, "hami-dp-shutdown"));
    new CountDownLatch(1).await();
    return 0;
  }

  /** The runtime settings these options describe. */
  NodeSettings settings(String nodeName, HamiConfig config) {
    String resource = resourceName != null ? resourceName : config.nvidia().resourceNames().count();
    NodeSettings.Builder builder = NodeSettings.builder(nodeName, config,
            PluginSettings.of(pluginDirectory, kubeletSocketPath(), resource))
        .library(librarySource, libraryHostDirectory(), libraryVersion)
        .hookPath(hookPath)
        .preferredAllocation(preferredAllocation)
        .register(node.registerFormat(), Duration.ofSeconds(30), Duration.ofSeconds(5))
        .health(XidPolicy.fromEnvironment(System.getenv()), healthQuietPeriod, Duration.ofSeconds(5))
        .deviceListStrategy(DeviceListStrategy.parse(System.getenv("DEVICE_LIST_STRATEGY")))
        .mig(Duration.ofSeconds(5), migModeSwitching);
    metricsAddress().ifPresent(address ->
        builder.monitor(address, Duration.ofSeconds(5), legacyMetrics, Duration.ofMinutes(5)));
    return builder.build();
  }

  /** {@code --library-host-dir}, defaulting to {@code <hook-path>/vgpu}. */
  Path libraryHostDirectory() {
    return libraryHostDirectory != null ? libraryHostDirectory : Path.of(hookPath, "vgpu");
  }

  /** {@code --kubelet-socket}, defaulting to {@code <plugin-dir>/kubelet.sock}; 'none' means none. */
  Optional<Path> kubeletSocketPath() {
    if (kubeletSocket == null || kubeletSocket.isBlank()) {
      return Optional.of(pluginDirectory.resolve(PluginSettings.KUBELET_SOCKET_NAME));
    }
    return "none".equals(kubeletSocket) ? Optional.empty() : Optional.of(Path.of(kubeletSocket));
  }

  /** {@code --metrics-bind-address}; empty for 'none'. */
  Optional<InetSocketAddress> metricsAddress() {
    if ("none".equals(metricsBindAddress)) {
      return Optional.empty();
    }
    int colon = metricsBindAddress.lastIndexOf(':');
    try {
      int port = Integer.parseInt(metricsBindAddress.substring(colon + 1));
      String host = colon <= 0 ? "" : metricsBindAddress.substring(0, colon);
      return Optional.of(host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--metrics-bind-address: expected [host]:port or none, got '"
          + metricsBindAddress + "'");
    }
  }
}
