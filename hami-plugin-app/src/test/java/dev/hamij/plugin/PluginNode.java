package dev.hamij.plugin;

import dev.hamij.nvml.SimulatedNvml;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import dev.hamij.nvidia.RegisterAnnotations;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One simulated GPU node for tests outside this module (the cluster harness of hami-extender-app,
 * the demo): the real node agent ({@code NodeRuntime}: device plugin over a real Unix socket,
 * register loop, Allocate, MIG manager) on a {@link SimulatedNvml}, a {@link FakeKubelet} on real
 * sockets, and the Node object. The agent talks to the API server with its own client, so a test
 * can give it its own identity (RBAC, faults). Its timing is shortened as in this module's tests.
 */
public final class PluginNode implements AutoCloseable {
  /** The node monitor on an ephemeral port, as deployed (it watches the node's pods). */
  /** The node monitor on, its metrics on an ephemeral port, refreshed every second. */
  static final Consumer<NodeSettings.Builder> MONITOR = b -> b.monitor(
      new java.net.InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(1), false, Duration.ofMinutes(5));
  private final NodeTestbed bed;
  private final String deviceConfigYaml;
  private final Consumer<NodeSettings.Builder> loops;

  private PluginNode(NodeTestbed bed, String deviceConfigYaml, Consumer<NodeSettings.Builder> loops) {
    this.bed = bed;
    this.deviceConfigYaml = deviceConfigYaml;
    this.loops = loops;
  }

  /**
   * Creates the Node with {@code admin}, starts kubelet and the agent (with {@code agentClient}) and
   * waits until the agent registered with kubelet.
   *
   * @param simulatedYaml the node's GPUs in SimulatedNvml's YAML
   * @param deviceConfigYaml HAMi's device config (e.g. with a {@code nodeconfig} entry for MIG mode)
   * @param monitor whether the agent runs its node monitor (a watch on the node's pods, metrics on an
   *     ephemeral port); {@link #startAgent} does not start it again
   * @param loopInterval how often the register loop and the MIG reconciler run
   */
  public static PluginNode start(KubernetesClient admin, KubernetesClient agentClient, String name,
      String simulatedYaml, String deviceConfigYaml, boolean monitor, Duration loopInterval) throws Exception {
    NodeTestbed bed = NodeTestbed.create(admin, name, simulatedYaml);
    bed.agentClient = agentClient;
    Consumer<NodeSettings.Builder> loops = b -> b
        .register(RegisterAnnotations.Format.JSON, loopInterval, Duration.ofMillis(100))
        .mig(loopInterval, false);
    try {
      bed.startRuntime(deviceConfigYaml, monitor ? loops.andThen(MONITOR) : loops);
    } catch (Exception | Error e) {
      bed.close();
      throw e;
    }
    return new PluginNode(bed, deviceConfigYaml, loops);
  }

  /** The agent's deploy YAML (service account {@code hami-device-plugin}, its RBAC, the DaemonSet) for {@code namespace}. */
  public static String manifests(String namespace) {
    return ManifestsCommand.render(namespace, "image", "gpu", "on", "json");
  }

  public String name() {
    return bed.node;
  }

  public FakeKubelet kubelet() {
    return bed.kubelet;
  }

  public SimulatedNvml nvml() {
    return bed.nvml;
  }

  /** The host directory the agent writes ({@code <hook-path>/vgpu} and the vGPU lock directory live below it). */
  public Path hostDirectory() {
    return bed.hostDirectory;
  }

  /** The directory of kubelet's and the plugin's sockets. */
  public Path pluginDirectory() {
    return bed.pluginDirectory;
  }

  /** True while the agent runs. */
  public boolean agentRunning() {
    return bed.runtime != null;
  }

  /** Stops the agent, as a crash or an upgrade does (nothing is cleaned up but what close() cleans). */
  public void stopAgent() {
    if (bed.runtime != null) {
      bed.runtime.close();
      bed.runtime = null;
    }
  }

  /** Starts the agent again and waits until it registered with kubelet once more. */
  public void startAgent() throws Exception {
    int before = bed.kubelet.registrations().size();
    bed.startRuntime(deviceConfigYaml, loops);
    bed.kubelet.awaitRegistrations(before + 1, NodeTestbed.TIMEOUT);
  }

  /** Restarts kubelet: its socket and the plugin's are deleted, and the agent registers again. */
  public void restartKubelet(Duration timeout) throws Exception {
    int before = bed.kubelet.registrations().size();
    bed.kubelet.restart();
    if (agentRunning()) {
      bed.kubelet.awaitRegistrations(before + 1, timeout);
    }
  }

  @Override
  public void close() throws IOException {
    bed.close();
  }
}
