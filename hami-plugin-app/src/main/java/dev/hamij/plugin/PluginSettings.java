package dev.hamij.plugin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where the plugin serves, how it registers with kubelet and how fast it notices a kubelet restart
 * (node.md §1.1, §1.4).
 *
 * @param pluginDirectory directory of the plugin socket (kubelet's {@code device-plugins} directory)
 * @param kubeletSocket kubelet's registration socket; empty: serve without registering
 * @param resourceName extended resource, e.g. {@code nvidia.com/gpu}; its suffix names the socket
 * @param checkInterval period of the fallback check for a kubelet restart, besides file-system events
 * @param watchDirectory whether to watch the socket directories for file-system events
 * @param registerTimeout deadline of one Register call
 * @param firstRetry delay before retrying a failed Register; doubles up to {@code maxRetry}
 * @param maxRetry longest delay between two Register attempts
 */
record PluginSettings(
    Path pluginDirectory,
    Optional<Path> kubeletSocket,
    String resourceName,
    Duration checkInterval,
    boolean watchDirectory,
    Duration registerTimeout,
    Duration firstRetry,
    Duration maxRetry) {

  /** kubelet's plugin directory. */
  static final Path DEFAULT_PLUGIN_DIRECTORY = Path.of("/var/lib/kubelet/device-plugins");
  static final String KUBELET_SOCKET_NAME = "kubelet.sock";

  private static final Pattern RESOURCE_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");

  PluginSettings {
    if (resourceName == null || !RESOURCE_NAME.matcher(resourceName).matches()) {
      throw new IllegalArgumentException("plugin settings: resourceName '" + resourceName
          + "' is not an extended resource name of the form <domain>/<name>, e.g. nvidia.com/gpu");
    }
    requirePositive("checkInterval", checkInterval);
    requirePositive("registerTimeout", registerTimeout);
    requirePositive("firstRetry", firstRetry);
    requirePositive("maxRetry", maxRetry);
    if (maxRetry.compareTo(firstRetry) < 0) {
      throw new IllegalArgumentException("plugin settings: maxRetry " + maxRetry
          + " is shorter than firstRetry " + firstRetry);
    }
    UnixGrpc.checkServerSocketPath(pluginDirectory.resolve(socketName(resourceName)));
    kubeletSocket.ifPresent(UnixGrpc::checkSocketPath);
  }

  /** Production timing: 5 s fallback check, 5 s Register deadline, retries from 1 s up to 30 s. */
  static PluginSettings of(Path pluginDirectory, Optional<Path> kubeletSocket, String resourceName) {
    return new PluginSettings(pluginDirectory, kubeletSocket, resourceName,
        Duration.ofSeconds(5), true, Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(30));
  }

  /** {@code nvidia-<suffix>.sock}, the suffix being the resource name after its last {@code /}. */
  static String socketName(String resourceName) {
    return "nvidia-" + resourceName.substring(resourceName.lastIndexOf('/') + 1) + ".sock";
  }

  Path pluginSocket() {
    return pluginDirectory.resolve(socketName(resourceName));
  }

  private static void requirePositive(String field, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("plugin settings: " + field + " must be positive, got " + value);
    }
  }
}
