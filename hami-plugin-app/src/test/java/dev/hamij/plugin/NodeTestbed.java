package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import dev.hamij.api.ConfigLoader;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.NodeLock;
import dev.hamij.api.NodeLockCodec;
import dev.hamij.api.UnixTimeCodec;
import dev.hamij.nvidia.RegisterAnnotations;
import dev.hamij.nvidia.XidPolicy;
import dev.hamij.nvml.SimulatedNvml;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One simulated GPU node for end-to-end tests: a real {@link NodeRuntime} on a simulated NVML, a
 * {@link FakeKubelet} on real Unix sockets in a temp directory, and the Node object in fabric8's
 * CRUD mock API server. It also plays HAMi's scheduler: {@link #schedule} writes a pod with the
 * annotations the scheduler writes at filter and bind time (in the namespace named like the node),
 * and {@link #lock} takes the node lock.
 * Timing is shortened (register loop every 200 ms, XID waits of 20 ms) so tests poll briefly.
 */
final class NodeTestbed implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(15);
  static final String GPU_0 = "GPU-6a0c5f3e-2c7b-4e1d-9f42-0a1b2c3d4e5f";
  static final String GPU_1 = "GPU-9d1e7a2b-5c3f-4a8e-b7d6-1f2e3d4c5b6a";
  /** Two A100-40GB GPUs, as the example node (examples/node/simulated-node.yaml) has them. */
  static final String TWO_A100 = "gpus:\n  - model: A100-40GB\n    count: 2\n    uuids: [" + GPU_0 + ", " + GPU_1
      + "]\n";

  final String node;
  final KubernetesClient client;
  final SimulatedNvml nvml;
  final Path pluginDirectory;
  final Path hostDirectory;
  final Path vgpuLock;
  final FakeKubelet kubelet;
  /** The client the node agent uses; {@link #client} unless a test gives the agent its own identity. */
  KubernetesClient agentClient;
  NodeRuntime runtime;

  private NodeTestbed(String node, KubernetesClient client, SimulatedNvml nvml, Path pluginDirectory,
      Path hostDirectory, FakeKubelet kubelet) {
    this.node = node;
    this.client = client;
    this.nvml = nvml;
    this.pluginDirectory = pluginDirectory;
    this.hostDirectory = hostDirectory;
    this.vgpuLock = hostDirectory.resolve("vgpulock");
    this.kubelet = kubelet;
    this.agentClient = client;
  }

  /** A node with two A100-40GB GPUs in hami-core mode, registered with the fake kubelet. */
  static NodeTestbed start(KubernetesClient client, String node) throws Exception {
    return start(client, node, TWO_A100, "nvidia: {}\n", b -> { });
  }

  /**
   * A node whose NVML is described by {@code simulatedYaml} and whose configuration is
   * {@code deviceConfigYaml}, registered with the fake kubelet; {@code tweaks} adjusts the runtime settings.
   */
  static NodeTestbed start(KubernetesClient client, String node, String simulatedYaml, String deviceConfigYaml,
      Consumer<NodeSettings.Builder> tweaks) throws Exception {
    NodeTestbed bed = create(client, node, simulatedYaml);
    try {
      bed.startRuntime(deviceConfigYaml, tweaks);
    } catch (Exception | Error e) {
      bed.close();
      throw e;
    }
    return bed;
  }

  /** The Node object, the simulated GPUs and a running fake kubelet; the node agent is not started yet. */
  static NodeTestbed create(KubernetesClient client, String node, String simulatedYaml) throws IOException {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build()).create();
    Path pluginDirectory = TestFiles.shortTempDirectory();
    Path hostDirectory = Files.createTempDirectory("node-host");
    return new NodeTestbed(node, client, SimulatedNvml.fromYaml(simulatedYaml), pluginDirectory, hostDirectory,
        FakeKubelet.start(pluginDirectory));
  }

  /** Starts the node agent and waits until kubelet has its first device list. */
  void startRuntime(String deviceConfigYaml, Consumer<NodeSettings.Builder> tweaks) throws Exception {
    Path source = Files.write(hostDirectory.resolve("libvgpu.so"), new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3});
    HamiConfig config = ConfigLoader.parse(deviceConfigYaml, "test device config");
    NodeSettings.Builder settings = NodeSettings.builder(node, config, new PluginSettings(pluginDirectory,
            Optional.of(kubelet.socket()), config.effectiveFor(node).resourceNames().count(), Duration.ofHours(1),
            true, Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofMillis(200)))
        .library(source, hostDirectory.resolve("vgpu"), "v1")
        .register(RegisterAnnotations.Format.JSON, Duration.ofMillis(200), Duration.ofMillis(100))
        .health(XidPolicy.defaults(), Duration.ofMillis(300), Duration.ofMillis(20))
        .vgpuLockDirectory(vgpuLock)
        .mig(Duration.ofMillis(100), false);
    tweaks.accept(settings);
    runtime = NodeRuntime.start(settings.build(), nvml, agentClient);
    kubelet.awaitRegistrations(1, TIMEOUT);
  }

  /** A container of a test pod: its name, how many GPUs it asks for, and its literal environment. */
  record Ctr(String name, int gpus, Map<String, String> env) {
    static Ctr of(String name, int gpus) {
      return new Ctr(name, gpus, Map.of());
    }
  }

  /**
   * Creates a pod as HAMi's scheduler leaves it after filter and bind: bound to this node, Pending,
   * {@code hami.io/vgpu-node} (label and annotation), {@code devices} as both to-allocate and
   * allocated, {@code bind-phase=allocating} and {@code bind-time}.
   */
  Pod schedule(String name, List<Ctr> init, List<Ctr> containers, String devices) {
    return schedule(name, init, containers, devices, Map.of());
  }

  /** {@link #schedule(String, List, List, String)} with {@code more} annotations, e.g. MIG reservations. */
  Pod schedule(String name, List<Ctr> init, List<Ctr> containers, String devices, Map<String, String> more) {
    Map<String, String> annotations = new HashMap<>(more);
    annotations.put(Annotations.VGPU_NODE, node);
    annotations.put(Annotations.VGPU_TIME, UnixTimeCodec.encode(Instant.now()));
    annotations.put(Annotations.DEVICES_TO_ALLOCATE, devices);
    annotations.put(Annotations.DEVICES_ALLOCATED, devices);
    annotations.put(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING);
    annotations.put(Annotations.BIND_TIME, UnixTimeCodec.encode(Instant.now()));
    Pod pod = new PodBuilder()
        .withNewMetadata().withNamespace(node).withName(name)
        .withAnnotations(annotations).withLabels(Map.of(Annotations.VGPU_NODE, node)).endMetadata()
        .withNewSpec().withNodeName(node).withInitContainers(containers(init)).withContainers(containers(containers))
        .endSpec()
        .withNewStatus().withPhase("Pending").endStatus()
        .build();
    return client.pods().inNamespace(node).resource(pod).create();
  }

  /** {@link #schedule} with one regular container {@code main}. */
  Pod schedule(String name, int gpus, String devices) {
    return schedule(name, List.of(), List.of(Ctr.of("main", gpus)), devices);
  }

  private static List<io.fabric8.kubernetes.api.model.Container> containers(List<Ctr> specs) {
    List<io.fabric8.kubernetes.api.model.Container> out = new ArrayList<>();
    for (Ctr c : specs) {
      ContainerBuilder b = new ContainerBuilder().withName(c.name()).withImage("cuda");
      if (c.gpus() > 0) {
        b.withNewResources().addToLimits("nvidia.com/gpu", new Quantity(Integer.toString(c.gpus()))).endResources();
      }
      c.env().forEach((k, v) -> b.addToEnv(new EnvVar(k, v, null)));
      out.add(b.build());
    }
    return out;
  }

  /** Takes the node lock for pod {@code <node>/<pod>}, as the scheduler does before binding. */
  void lock(String pod) {
    client.nodes().withName(node).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + Annotations.NODE_LOCK + "\":\""
            + NodeLockCodec.encode(new NodeLock(Instant.now(), node, pod)) + "\"}}}");
  }

  /** The pod's annotations now (keys the mock stored as null are left out). */
  Map<String, String> podAnnotations(String pod) {
    return present(pod(pod).getMetadata().getAnnotations());
  }

  /** The pod {@code <node>/<name>} now. */
  Pod pod(String name) {
    return client.pods().inNamespace(node).withName(name).get();
  }

  /** This node's annotations now (keys the mock stored as null are left out). */
  Map<String, String> nodeAnnotations() {
    return present(client.nodes().withName(node).get().getMetadata().getAnnotations());
  }

  private static Map<String, String> present(Map<String, String> raw) {
    Map<String, String> out = new HashMap<>();
    if (raw != null) {
      raw.forEach((k, v) -> {
        if (v != null) {
          out.put(k, v);
        }
      });
    }
    return out;
  }

  /** The per-container directory Allocate prepares for {@code <uid>_<container>}, as the host sees it. */
  String containerHostPath(String podName, String container) {
    return "/usr/local/vgpu/containers/" + pod(podName).getMetadata().getUid() + "_" + container;
  }

  /** Where {@link #containerHostPath} is in the test's file system. */
  Path containerDirectory(String podName, String container) {
    return hostDirectory.resolve("vgpu/containers/" + pod(podName).getMetadata().getUid() + "_" + container);
  }

  @Override
  public void close() throws IOException {
    new ClosingSteps()
        .close("stopping the node runtime", runtime)
        .run("stopping kubelet", kubelet::close)
        .finish();
    TestFiles.deleteRecursively(pluginDirectory);
    TestFiles.deleteRecursively(hostDirectory);
  }
}
