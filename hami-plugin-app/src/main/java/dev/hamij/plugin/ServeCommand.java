package dev.hamij.plugin;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code serve}: the DaemonSet entry point. Installs the preload library, then serves the device
 * plugin on its Unix socket and keeps it registered with kubelet until SIGTERM.
 *
 * <p>Not wired yet: device discovery and health (hami-nvidia) and the Kubernetes side of Allocate
 * ({@link PodBinding}). Until they are, the plugin advertises no devices, and Allocate, which kubelet
 * never calls for a resource with no devices, answers with an error saying so.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the device plugin: install the preload library, serve, register with kubelet.")
final class ServeCommand implements Callable<Integer> {

  private static final System.Logger LOG = System.getLogger(ServeCommand.class.getName());

  @Option(names = "--plugin-dir", description = "kubelet's device-plugin directory (default: ${DEFAULT-VALUE})",
      defaultValue = "/var/lib/kubelet/device-plugins")
  Path pluginDirectory;

  @Option(names = "--kubelet-socket", defaultValue = "${env:KUBELET_SOCKET}",
      description = "kubelet's registration socket (default: <plugin-dir>/kubelet.sock; env KUBELET_SOCKET);"
          + " 'none' serves without registering")
  String kubeletSocket;

  @Option(names = "--resource-name", defaultValue = "nvidia.com/gpu",
      description = "extended resource to advertise (default: ${DEFAULT-VALUE})")
  String resourceName;

  @Option(names = "--node-name", defaultValue = "${env:NODE_NAME}",
      description = "this node's name (default: env NODE_NAME)")
  String nodeName;

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

  @Override
  public Integer call() throws Exception {
    if (nodeName == null || nodeName.isBlank()) {
      throw new IllegalArgumentException("--node-name (or env NODE_NAME) is required");
    }
    PluginSettings settings = PluginSettings.of(pluginDirectory, kubeletSocketPath(), resourceName);
    PreloadLibraryInstaller installer =
        new PreloadLibraryInstaller(libraryHostDirectory(), libraryVersion, hookPath + "/vgpu/libvgpu.so");
    NodeAgent agent = NodeAgent.start(settings, installer, librarySource, new DeviceList(List.of()),
        preferredAllocation, library -> containers -> {
          throw new AllocationException("Allocate on node " + nodeName + " is not available: the"
              + " Kubernetes pod binding is not wired into this build");
        });
    // SIGTERM runs the shutdown hooks and then halts: the hook itself stops the agent.
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "hami-dp-shutdown"));
    LOG.log(Level.INFO, "node " + nodeName + ": installed " + agent.library().library()
        + "; no devices advertised: device discovery is not wired into this build");
    new CountDownLatch(1).await();
    return 0;
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
}
