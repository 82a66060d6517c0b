package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.RegisterCodec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Builders and helpers shared by the extender tests. */
final class Fixtures {
  private Fixtures() {}

  static final String T4 = "NVIDIA-Tesla T4";
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static Map<String, String> kv(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  /** GPU UUIDs of {@link #gpuNode}: {@code GPU-<node>-<i>}. */
  static String gpuId(String node, int i) {
    return "GPU-" + node + "-" + i;
  }

  /** A node registering {@code gpus} hami-core GPUs of {@code memMiB} each (JSON encoding), allocatable as kubelet would show. */
  static Node gpuNode(String name, int gpus, int memMiB) {
    List<GpuDevice> devices = new ArrayList<>();
    for (int i = 0; i < gpus; i++) {
      devices.add(GpuDevice.hamiCore(gpuId(name, i), i, 10, memMiB, 100, T4, 0));
    }
    return new NodeBuilder().withNewMetadata().withName(name)
        .addToAnnotations(Annotations.NODE_NVIDIA_REGISTER, RegisterCodec.encodeJson(devices))
        .endMetadata()
        .withNewStatus().addToAllocatable("nvidia.com/gpu", new Quantity(Integer.toString(gpus * 10))).endStatus()
        .build();
  }

  static Node plainNode(String name) {
    return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  /** A pending pod with one container and these limits. */
  static Pod pod(String ns, String name, String uid, String... limits) {
    ContainerBuilder c = new ContainerBuilder().withName("main").withImage("busybox");
    Map<String, String> l = kv(limits);
    if (!l.isEmpty()) {
      Map<String, Quantity> q = new LinkedHashMap<>();
      l.forEach((k, v) -> q.put(k, new Quantity(v)));
      c.withNewResources().withLimits(q).endResources();
    }
    return new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withUid(uid).endMetadata()
        .withNewSpec().withSchedulerName("hami-scheduler").withContainers(c.build()).endSpec()
        .withNewStatus().withPhase("Pending").endStatus()
        .build();
  }

  static ExtenderRuntime.Options options(Extender.FilterMode mode) {
    return options(mode, false, "test", Duration.ofSeconds(5));
  }

  static ExtenderRuntime.Options options(Extender.FilterMode mode, boolean leaderElect, String identity,
      Duration readyWait) {
    return options(mode, leaderElect, false, "hami-extender", identity, readyWait);
  }

  /** Options on ephemeral ports; with {@code leaderElect} a fast Lease (2 s, checked every 250 ms) in default. */
  static ExtenderRuntime.Options options(Extender.FilterMode mode, boolean leaderElect, boolean follow, String leaseName,
      String identity, Duration readyWait) {
    return new ExtenderRuntime.Options(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
        null, null, null, new Settings.Policies("binpack", "spread", "hami-scheduler", true), mode,
        Duration.ofMinutes(5), Duration.ofSeconds(2), leaderElect, follow, "default", leaseName, identity, false, 8,
        Set.of("system:serviceaccount:hami-system:hami-scheduler"), readyWait, Duration.ofSeconds(15),
        Duration.ofMillis(100), new ExtenderRuntime.LeaseTiming(Duration.ofSeconds(2), Duration.ofMillis(1500),
            Duration.ofMillis(250)));
  }

  static HttpResponse<String> post(int port, String path, String body) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** POST over HTTPS with {@code client}; the answer's body. */
  static String postHttps(HttpClient client, int port, String path, String body) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code ExtenderArgs} JSON for a pod and node names. */
  static String filterArgs(Pod pod, String... nodes) {
    StringBuilder names = new StringBuilder();
    for (String n : nodes) {
      names.append(names.length() == 0 ? "" : ",").append('"').append(n).append('"');
    }
    return "{\"Pod\":" + ExtenderWire.KUBE.asJson(pod) + ",\"Nodes\":null,\"NodeNames\":[" + names + "]}";
  }

  static String bindArgs(Pod pod, String node) {
    return "{\"PodName\":\"" + pod.getMetadata().getName() + "\",\"PodNamespace\":\"" + pod.getMetadata().getNamespace()
        + "\",\"PodUID\":\"" + pod.getMetadata().getUid() + "\",\"Node\":\"" + node + "\"}";
  }

  static boolean eventuallyQuiet(BooleanSupplier condition) {
    try {
      return eventually(Duration.ofSeconds(5), condition);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Polls {@code condition} every 10 ms until it holds or {@code timeout} passes; returns whether it held. */
  static boolean eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(10);
    }
    return condition.getAsBoolean();
  }
}
