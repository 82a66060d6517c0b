package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.RegisterCodec;
import dev.hamij.core.ClusterUsage;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.testing.LedgerInvariants;
import dev.hamij.plugin.FakeKubelet;
import dev.hamij.plugin.PluginNode;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A whole cluster in one JVM, driven by a seeded random workload with fault injection.
 *
 * <ul>
 *   <li>fabric8's CRUD mock API server ({@link ApiServer}) that authenticates every client by its
 *       bearer token and enforces each app's RBAC as its rendered manifests grant it;</li>
 *   <li>two extender replicas on real HTTP, deployed as the manifests deploy them: each follows the
 *       Lease of the kube-scheduler next to it;</li>
 *   <li>one node agent per simulated node ({@link PluginNode}: simulated NVML, the device plugin on
 *       a real Unix socket, a fake kubelet calling it like kubelet), hami-core and MIG nodes;</li>
 *   <li>a driver playing the API server's admission (the webhook, its JSON patch applied), users
 *       (create, delete, forging attempts), kube-scheduler (its Lease, filter then bind) and kubelet
 *       (admit with Allocate per container, start, finish).</li>
 * </ul>
 *
 * Faults at random points: extender leader killed (the other replica takes over), extender and node
 * agent restarts, kubelet restarts, API conflicts (409), server errors (500), slow answers, refused
 * watches (informers re-list), node locks left by a dead scheduler, NVML errors, XIDs, a GPU falling
 * off the bus, pods deleted while being bound, pods whose containers end between two Allocate calls,
 * terminating pods (held by a finalizer) that keep their MIG instance.
 *
 * <p>Invariants after every step ({@link #step}): no GPU slot, MiB, core share or MIG placement is
 * booked twice (the bookings in the API server, checked by the core's {@link LedgerInvariants}); no
 * slice or MIG device is handed out by Allocate to two live containers beyond the GPU's capacity;
 * no running pod's allocation changes; a bind never fails on a lock whose owner is gone, finished
 * or done allocating. At checkpoints and at the end: the leader's ledger equals one rebuilt from the
 * API server, no MIG instance is left that no live pod holds, no lock outlives its owner, every pod
 * is bound with a valid allocation or pending with a reason, and no call was refused by RBAC.
 */
public final class ClusterHarness implements AutoCloseable {
  static final String NS = "hami-system";
  static final String EXTENDER_SA = "system:serviceaccount:" + NS + ":hami-scheduler";
  static final String PLUGIN_SA = "system:serviceaccount:" + NS + ":hami-device-plugin";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String LEASE = "hami-scheduler";
  private static final String MIG_NODE = "mig-1";
  /**
   * The node agents' register loop and MIG reconciler period: every node update is a watch event to
   * every node informer, work for the one event loop of the mock API server.
   */
  private static final Duration LOOPS = Duration.ofSeconds(1);
  /** NVML calls made while the node runs (health, processes, MIG realisation and clean-up) that a fault may hit. */
  private static final List<dev.hamij.nvml.NvmlFunction> NVML_FAULTS = List.of(dev.hamij.nvml.NvmlFunction.EVENT_SET_WAIT,
      dev.hamij.nvml.NvmlFunction.COMPUTE_RUNNING_PROCESSES, dev.hamij.nvml.NvmlFunction.MEMORY_INFO,
      dev.hamij.nvml.NvmlFunction.CREATE_GPU_INSTANCE_WITH_PLACEMENT, dev.hamij.nvml.NvmlFunction.CREATE_COMPUTE_INSTANCE,
      dev.hamij.nvml.NvmlFunction.DESTROY_GPU_INSTANCE, dev.hamij.nvml.NvmlFunction.GPU_INSTANCES,
      dev.hamij.nvml.NvmlFunction.MIG_DEVICE_BY_INDEX);

  /** What to run: how many hami-core nodes (two A100-40GB each), and the seed of everything random. */
  public record Spec(int hamiCoreNodes, boolean migNode, long seed) {}

  /** Counts of what ran, for the report. */
  public static final class Stats {
    final Map<String, AtomicInteger> ops = new TreeMap<>();
    final Map<String, AtomicInteger> faults = new TreeMap<>();
    final Map<String, AtomicInteger> outcomes = new TreeMap<>();
    int checkpoints;
    final Map<String, long[]> nanos = new TreeMap<>();

    void time(String what, long elapsed) {
      long[] t = nanos.computeIfAbsent(what, k -> new long[2]);
      t[0] += elapsed;
      t[1]++;
    }

    /** Milliseconds spent per kind of step (and count), slowest first. */
    public String timings() {
      StringBuilder b = new StringBuilder();
      nanos.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0])).forEach(e -> b
          .append(e.getKey()).append('=').append(e.getValue()[0] / 1_000_000).append("ms/").append(e.getValue()[1])
          .append(' '));
      return b.toString().trim();
    }

    void op(String name) {
      ops.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    }

    void fault(String name) {
      faults.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    }

    void outcome(String name) {
      outcomes.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    }

    public int operations() {
      return ops.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    public int faultCount() {
      return faults.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    @Override
    public String toString() {
      return operations() + " operations " + ops + "; " + faultCount() + " faults " + faults + "; outcomes " + outcomes
          + "; " + checkpoints + " checkpoints";
    }
  }

  /** Where a pod is in its life, as the driver saw it. */
  enum State { PENDING, BOUND, RUNNING, FINISHED, FAILED, DELETED }

  /** The driver's record of one pod. */
  static final class PodRecord {
    final String name;
    final List<Integer> gpus;
    State state = State.PENDING;
    String uid = "";
    String node;
    String reason = "";
    String allocatedAtStart;
    boolean finalizer;
    /** Per container index, the device IDs kubelet chose and the answer's slices. */
    final Map<Integer, List<String>> deviceIds = new TreeMap<>();
    final Map<Integer, List<Slice>> slices = new TreeMap<>();

    PodRecord(String name, List<Integer> gpus) {
      this.name = name;
      this.gpus = gpus;
    }

    boolean holdsDevices() {
      return !slices.isEmpty() && (state == State.BOUND || state == State.RUNNING);
    }

    @Override
    public String toString() {
      return name + "[" + state + (node == null ? "" : " on " + node) + (reason.isEmpty() ? "" : ", " + reason) + "]";
    }
  }

  /** One device of an Allocate answer: a GPU (or MIG device) with its memory and core limits. */
  record Slice(String node, String device, long memMiB, int cores) {}

  /** An extender replica: the pod name its kube-scheduler holds the Lease with, and its runtime. */
  static final class Replica {
    final String host;
    final KubernetesClient client;
    ExtenderRuntime runtime;

    Replica(String host, KubernetesClient client) {
      this.host = host;
      this.client = client;
    }
  }

  private final Spec spec;
  private final SplittableRandom random;
  private final ApiServer api;
  private final KubernetesClient admin;
  private final Map<String, String> identities = new ConcurrentHashMap<>();
  private final Rbac extenderRbac;
  private final Rbac pluginRbac;
  private final List<String> refused = new CopyOnWriteArrayList<>();
  private final Map<String, Set<String>> used = new ConcurrentHashMap<>();
  private final Faults faults = new Faults();
  private final List<Replica> replicas = new ArrayList<>();
  private final List<PluginNode> nodes = new ArrayList<>();
  private final List<KubernetesClient> clients = new ArrayList<>();
  private final Map<String, PodRecord> pods = new LinkedHashMap<>();
  private final Map<String, Map<String, GpuDevice>> registered = new HashMap<>();
  private final SharedIndexInformer<Pod> podCache;
  private final SharedIndexInformer<Node> nodeCache;
  private final ArrayDeque<String> recent = new ArrayDeque<>();
  private final Stats stats = new Stats();
  private String leaseHolder;
  private Instant leaseRenewed = Instant.EPOCH;
  private int podCounter;
  private int step;
  private final List<Integer> lostGpus = new ArrayList<>();
  private final List<PodRecord> admitSoon = new ArrayList<>();

  private ClusterHarness(Spec spec) throws Exception {
    this.spec = spec;
    this.random = new SplittableRandom(spec.seed());
    api = ApiServer.start();
    // the driver's own calls wait longer than the apps' 10 s: on 2 busy cores a burst of informer
    // re-lists and restarts can keep the mock's one event loop busy for seconds
    KubernetesClient plain = api.newClient();
    admin = new KubernetesClientBuilder().withConfig(new ConfigBuilder(plain.getConfiguration())
        .withRequestTimeout(30_000).build()).build();
    plain.close();
    extenderRbac = Rbac.forServiceAccount(Manifests.render(new Manifests.Params(31, NS, LEASE, "i", "s",
        Extender.FilterMode.BEST_NODE, 2, "Fail")), NS, "hami-scheduler");
    pluginRbac = Rbac.forServiceAccount(PluginNode.manifests(NS), NS, "hami-device-plugin");
    api.gate((call, request) -> {
      String token = request.getHeader("Authorization");
      String who = token == null ? null : identities.get(token.substring("Bearer ".length()));
      if (who == null) {
        return null; // the admin (the test itself)
      }
      Rbac rbac = who.equals(EXTENDER_SA) ? extenderRbac : pluginRbac;
      if (!call.nonResource()) {
        used.computeIfAbsent(who, k -> ConcurrentHashMap.newKeySet())
            .add(call.verb() + " " + (call.group().isEmpty() ? "" : call.group() + "/") + call.fullResource());
      }
      if (!rbac.allows(call)) {
        refused.add(who + ": " + call);
        return ApiServer.status(403, "Forbidden", who + " may not " + call);
      }
      return faults.answer(who, call);
    });
    podCache = admin.pods().inAnyNamespace().inform();
    nodeCache = admin.nodes().inform();
  }

  /** Starts the API server, the nodes (agents registered with their kubelets) and two extender replicas, the first leading. */
  public static ClusterHarness start(Spec spec) throws Exception {
    // the JDK HTTP server reads this once, when its first instance starts: here the node agents'
    // metrics servers start before the extender, which sets it for its own process (HttpSurface)
    System.setProperty("sun.net.httpserver.nodelay", "true");
    ClusterHarness h = new ClusterHarness(spec);
    try {
      String config = "nvidia: {}\nnodeconfig:\n  - name: " + MIG_NODE + "\n    operatingmode: mig\n";
      for (int i = 1; i <= spec.hamiCoreNodes(); i++) {
        String name = "gpu-" + i;
        // one node runs its monitor (a pod watch)
        h.nodes.add(PluginNode.start(h.admin, h.client(PLUGIN_SA), name, simulatedNode(name, "A100-40GB", 2, false),
            config, i == 1, LOOPS));
      }
      if (spec.migNode()) {
        h.nodes.add(PluginNode.start(h.admin, h.client(PLUGIN_SA), MIG_NODE, simulatedNode(MIG_NODE, "A100-40GB", 1, true),
            config, false, LOOPS));
      }
      h.await(() -> h.nodes.stream().allMatch(n -> h.registration(n.name()) != null), "every node registered its GPUs");
      for (PluginNode n : h.nodes) {
        h.publishAllocatable(n.name());
      }
      h.renewLease("pod-a");
      h.replicas.add(new Replica("pod-a", h.client(EXTENDER_SA)));
      h.replicas.add(new Replica("pod-b", h.client(EXTENDER_SA)));
      for (Replica r : h.replicas) {
        h.startReplica(r);
      }
      h.await(() -> h.leader() != null, "a ready extender");
    } catch (Exception | Error e) {
      h.close();
      throw e;
    }
    return h;
  }

  private static String simulatedNode(String name, String model, int count, boolean mig) {
    StringBuilder y = new StringBuilder("gpus:\n  - model: ").append(model).append("\n    count: ").append(count)
        .append("\n    mig: ").append(mig).append("\n    uuids: [");
    for (int i = 0; i < count; i++) {
      y.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "GPU-%08x-0000-4000-8000-%012d",
          Math.abs(name.hashCode()), i));
    }
    return y.append("]\n").toString();
  }

  /**
   * A client with its own bearer token, authenticated as {@code identity}. Its informers retry a
   * refused or dropped watch after 100 ms instead of fabric8's 1 s: the harness compresses time, and
   * at the default an app restarted while watches are refused spends seconds waiting to be ready.
   */
  private KubernetesClient client(String identity) {
    String token = "token-" + identities.size() + "-" + Long.toHexString(random.nextLong());
    identities.put(token, identity);
    KubernetesClient c = new KubernetesClientBuilder().withConfig(new ConfigBuilder(admin.getConfiguration())
        .withOauthToken(token).withRequestTimeout(10_000).withWatchReconnectInterval(100).build()).build();
    clients.add(c);
    return c;
  }

  /** Starts a replica, retried like a crash-looping pod when the API server does not answer its start-up lists. */
  private void restartReplica(Replica r) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        startReplica(r);
        return;
      } catch (Exception e) {
        if (attempt == 5) {
          throw e;
        }
        stats.outcome("extender start failed, retried");
      }
    }
  }

  private void startReplica(Replica r) throws Exception {
    ExtenderRuntime.Options base = Fixtures.options(Extender.FilterMode.BEST_NODE, true, true, LEASE, r.host,
        Duration.ofMillis(300));
    ExtenderRuntime.Options o = new ExtenderRuntime.Options(new InetSocketAddress("127.0.0.1", 0),
        new InetSocketAddress("127.0.0.1", 0), null, null, null, base.policies(), base.filterMode(), Duration.ofMinutes(5),
        Duration.ofMillis(500), true, true, NS, LEASE, r.host, false, 8, Set.of(EXTENDER_SA, PLUGIN_SA),
        Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofSeconds(1),
        new ExtenderRuntime.LeaseTiming(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofMillis(200)));
    r.runtime = ExtenderRuntime.start(o, new KubeCluster(r.client, Map.of(), "hami-scheduler"), r.client);
  }

  /**
   * kubelet's report of the devices the agent advertised, as the Node's allocatable
   * {@code nvidia.com/gpu} (one per slot of each GPU). The fake kubelet does not write Node status;
   * without it the extender judges a JSON-registering agent by the handshake alone and declares the
   * node dead a minute after its last {@code Requesting_} (runs then starved after a minute or two).
   */
  private void publishAllocatable(String node) {
    int slots = registration(node).values().stream().mapToInt(GpuDevice::count).sum();
    Node current = admin.nodes().withName(node).get();
    current.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder(current.getStatus())
        .addToAllocatable("nvidia.com/gpu", new Quantity(Integer.toString(slots)))
        .addToCapacity("nvidia.com/gpu", new Quantity(Integer.toString(slots))).build());
    admin.nodes().resource(current).updateStatus();
  }

  /** kube-scheduler of pod {@code host} holds (or renews) the Lease. */
  private void renewLease(String host) {
    leaseHolder = host;
    leaseRenewed = Instant.now();
    var lease = new LeaseBuilder().withNewMetadata().withName(LEASE).withNamespace(NS).endMetadata()
        .withNewSpec().withHolderIdentity(host + "_4f1d").withLeaseDurationSeconds(15)
        .withRenewTime(ZonedDateTime.now()).endSpec().build();
    admin.leases().inNamespace(NS).resource(lease).createOr(existing -> existing.update());
  }

  /** The ready extender (the one kube-scheduler and the webhook Service reach), or null. */
  private Replica leader() {
    for (Replica r : replicas) {
      if (r.runtime != null && r.runtime.extender().notReadyReason() == null) {
        return r;
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ driver

  /** Runs {@code operations} random steps, then drains the cluster; fails with the seed and the recent steps. */
  public Stats run(int operations, int checkpointEvery) {
    long began = System.nanoTime();
    for (int i = 0; i < operations; i++) {
      step();
      if ((i + 1) % checkpointEvery == 0) {
        checkpoint();
        int expired = expireEvents();
        System.out.printf(Locale.ROOT, "harness step %d: %.1f s, %d events expired, pods %s%n", i + 1,
            (System.nanoTime() - began) / 1e9, expired, podSummary());
      }
    }
    drain();
    return stats;
  }

  /** One random operation, then the per-step invariants. */
  void step() {
    step++;
    long began = System.nanoTime();
    if (Duration.between(leaseRenewed, Instant.now()).toSeconds() >= 2) {
      renewLease(leaseHolder);
    }
    long live = pods.values().stream().filter(p -> p.state == State.PENDING || p.state == State.BOUND
        || p.state == State.RUNNING).count();
    long pending = pods.values().stream().filter(p -> p.state == State.PENDING).count();
    int pick = random.nextInt(1000);
    String what;
    try {
      if (!admitSoon.isEmpty() && random.nextInt(10) < 7) {
        what = admit(admitSoon.remove(0)); // kubelet usually admits a pod soon after it was bound
      } else if (pick < (live < 24 && pending < 10 ? 150 : 10)) {
        what = createPod(random.nextInt(20) == 0);
      } else if (pick < 370) {
        what = schedule();
      } else if (pick < 490) {
        what = admit(any(State.BOUND));
      } else if (pick < 580) {
        what = start(any(State.BOUND));
      } else if (pick < 730) {
        what = finish();
      } else if (pick < 780) {
        what = delete();
      } else if (pick < 800) {
        what = forgeUpdate();
      } else {
        what = fault(pick - 800);
      }
    } catch (RuntimeException e) {
      throw failure("step threw " + e, e);
    } catch (Exception e) {
      throw failure("step threw " + e, e);
    }
    note(what);
    long checks = System.nanoTime();
    String kind = what.split("[ :]", 2)[0];
    stats.time(kind, checks - began);
    if (checks - began > 10_000_000_000L) {
      stats.outcome("step over 10 s");
    }
    checkBookings();
    checkHandedOut();
    checkRunningUnchanged();
    stats.time("(per-step checks)", System.nanoTime() - checks);
  }

  private String createPod(boolean forged) throws Exception {
    stats.op("create");
    String name = "p-" + (++podCounter);
    List<Integer> gpus = random.nextInt(6) == 0 ? List.of(1, 1) : List.of(random.nextInt(8) == 0 ? 2 : 1);
    List<io.fabric8.kubernetes.api.model.Container> containers = new ArrayList<>();
    for (int i = 0; i < gpus.size(); i++) {
      Map<String, Quantity> limits = new LinkedHashMap<>();
      limits.put("nvidia.com/gpu", new Quantity(Integer.toString(gpus.get(i))));
      switch (random.nextInt(10)) {
        case 0, 1 -> limits.put("nvidia.com/gpumem-percentage", new Quantity(List.of("10", "25", "50", "100")
            .get(random.nextInt(4))));
        case 2 -> { } // the whole card with exclusive cores (the webhook's default)
        default -> limits.put("nvidia.com/gpumem", new Quantity(Integer.toString(List.of(1000, 2000, 4864, 9856, 20000)
            .get(random.nextInt(5)))));
      }
      if (random.nextBoolean()) {
        limits.put("nvidia.com/gpucores", new Quantity(Integer.toString(List.of(0, 10, 30, 50).get(random.nextInt(4)))));
      }
      containers.add(new ContainerBuilder().withName("c" + i).withImage("cuda").withNewResources().withLimits(limits)
          .endResources().build());
    }
    boolean forMig = random.nextInt(7) == 0;
    if (forMig) {
      // a pod for the MIG node: one GPU, memory that fits a MIG profile, often asking for MIG by annotation
      gpus = List.of(1);
      containers.clear();
      containers.add(new ContainerBuilder().withName("c0").withImage("cuda").withNewResources()
          .addToLimits("nvidia.com/gpu", new Quantity("1"))
          .addToLimits("nvidia.com/gpumem", new Quantity(List.of("4864", "9856", "19968").get(random.nextInt(3))))
          .endResources().build());
    }
    PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
        .withNewSpec().withContainers(containers).endSpec()
        .withNewStatus().withPhase("Pending").endStatus(); // as the API server sets it on create
    if (forMig && random.nextBoolean()) {
      b.editMetadata().addToAnnotations(Annotations.VGPU_MODE, "mig").endMetadata();
    }
    PodRecord record = new PodRecord(name, gpus);
    if (forged) {
      // a user tries to hand themselves a slice: the webhook must strip this
      PluginNode target = nodes.get(random.nextInt(nodes.size()));
      String gpu = registration(target.name()).keySet().iterator().next();
      b.editMetadata().addToAnnotations(Annotations.DEVICES_TO_ALLOCATE, gpu + ",NVIDIA,40000,100:;")
          .addToAnnotations(Annotations.DEVICES_ALLOCATED, gpu + ",NVIDIA,40000,100:;")
          .addToAnnotations(Annotations.VGPU_NODE, target.name())
          .addToAnnotations(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING)
          .addToLabels(Annotations.VGPU_NODE, target.name()).endMetadata();
      stats.fault("forged create");
    }
    if (random.nextInt(10) == 0) {
      b.editMetadata().addToFinalizers("example.com/keep").endMetadata();
      record.finalizer = true;
    }
    Pod pod = b.build();
    Replica leader = leader();
    if (leader == null) {
      stats.outcome("create refused: webhook unavailable");
      return "create " + name + ": no webhook answers, the API server refuses the pod (failurePolicy Fail here)";
    }
    JsonNode review = admission(leader, "CREATE", "alice", ExtenderWire.KUBE.convertValue(pod, JsonNode.class), null);
    JsonNode response = review.get("response");
    if (!response.get("allowed").asBoolean()) {
      stats.outcome("create denied");
      return "create " + name + ": denied: " + response.path("status").path("message").asString();
    }
    JsonNode mutated = ExtenderWire.KUBE.convertValue(pod, JsonNode.class);
    if (response.has("patch")) {
      mutated = ForgeryTest.apply(mutated, (ArrayNode) ExtenderWire.JSON.readTree(
          Base64.getDecoder().decode(response.get("patch").asString())));
    }
    Pod created = admin.pods().inNamespace("default").resource(ExtenderWire.KUBE.convertValue(mutated, Pod.class)).create();
    Map<String, String> a = PodViews.annotations(created);
    if (a.keySet().stream().anyMatch(dev.hamij.core.AdmissionPolicy.ALLOCATION_ANNOTATIONS::contains)) {
      throw failure("the webhook let allocation annotations through on CREATE: " + a, null);
    }
    record.uid = created.getMetadata().getUid();
    pods.put(name, record);
    return "create " + name + " " + gpus + (forged ? " (forged annotations stripped)" : "");
  }

  /** kube-scheduler's (or the API server's) call to an extender replica, with kube-scheduler's default extender timeout (30 s). */
  private static java.net.http.HttpResponse<String> post(int port, String path, String body) throws Exception {
    return Fixtures.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  /** An AdmissionReview to the replica's {@code /webhook}, over HTTP. */
  private JsonNode admission(Replica r, String op, String user, JsonNode object, JsonNode old) throws Exception {
    ObjectNode review = ExtenderWire.JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1")
        .put("kind", "AdmissionReview");
    ObjectNode req = review.putObject("request").put("uid", "r" + step).put("operation", op).put("namespace", "default");
    req.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    req.putObject("userInfo").put("username", user).putArray("groups").add("system:authenticated");
    req.set("object", object);
    if (old != null) {
      req.set("oldObject", old);
    }
    var http = post(r.runtime.httpPort(), "/webhook", review.toString());
    if (http.statusCode() != 200) {
      throw failure("webhook answered " + http.statusCode() + ": " + http.body(), null);
    }
    return ExtenderWire.JSON.readTree(http.body());
  }

  /** A user edits the allocation of a pod through the API server: the webhook must deny it. */
  private String forgeUpdate() throws Exception {
    stats.op("forge update");
    PodRecord p = any(State.BOUND, State.RUNNING);
    Replica leader = leader();
    if (p == null || leader == null) {
      return "forge update: nothing to forge";
    }
    Pod current = admin.pods().inNamespace("default").withName(p.name).get();
    if (current == null) {
      return "forge update: " + p.name + " is gone";
    }
    JsonNode old = ExtenderWire.KUBE.convertValue(current, JsonNode.class);
    ObjectNode edited = (ObjectNode) old.deepCopy();
    ObjectNode ann = ((ObjectNode) edited.get("metadata")).withObject("annotations");
    String value = ann.path(Annotations.DEVICES_ALLOCATED).asString("");
    ann.put(Annotations.DEVICES_ALLOCATED, value.replaceAll(",NVIDIA,\\d+,", ",NVIDIA,1,"));
    ann.put(Annotations.DEVICES_TO_ALLOCATE, ann.get(Annotations.DEVICES_ALLOCATED).asString());
    JsonNode response = admission(leader, "UPDATE", "mallory", edited, old).get("response");
    if (response.get("allowed").asBoolean() && !edited.equals(old)) {
      throw failure("the webhook allowed mallory to edit the allocation of " + p.name, null);
    }
    stats.fault("forged update");
    return "forge update of " + p.name + ": denied";
  }

  /** kube-scheduler: filter then bind one pending pod, as the extender's manifests configure it. */
  private String schedule() throws Exception {
    stats.op("schedule");
    PodRecord p = any(State.PENDING);
    Replica leader = leader();
    if (p == null || leader == null) {
      return "schedule: " + (p == null ? "no pending pod" : "no ready extender");
    }
    // kube-scheduler works from its informer's cache; a pod created a moment ago may not be there yet
    Pod pod = podCache.getIndexer().getByKey("default/" + p.name);
    if (pod == null) {
      pod = admin.pods().inNamespace("default").withName(p.name).get();
    }
    if (pod == null) {
      p.state = State.DELETED;
      return "schedule: " + p.name + " is gone";
    }
    List<String> names = nodes.stream().map(PluginNode::name).toList();
    String filter = post(leader.runtime.httpPort(), "/filter", Fixtures.filterArgs(pod, names.toArray(String[]::new)))
        .body();
    JsonNode result = ExtenderWire.JSON.readTree(filter);
    String error = result.path("Error").asString("");
    JsonNode chosen = result.path("NodeNames");
    if (!error.isEmpty() || !chosen.isArray() || chosen.isEmpty()) {
      p.reason = !error.isEmpty() ? error : "unschedulable: " + result.path("FailedNodes");
      stats.outcome(error.isEmpty() ? "unschedulable" : "filter error");
      return "filter " + p.name + ": " + p.reason;
    }
    String node = chosen.get(0).asString();
    if (random.nextInt(40) == 0) {
      // the pod is deleted between filter and bind
      deletePod(p);
      stats.fault("deleted while being bound");
    }
    String bind = ExtenderWire.JSON.readTree(post(leader.runtime.httpPort(), "/bind",
        Fixtures.bindArgs(pod, node)).body()).path("Error").asString("");
    if (!bind.isEmpty()) {
      p.reason = "bind: " + bind;
      if (bind.contains("node lock contention")) {
        checkContentionIsReal(node, bind);
      }
      stats.outcome("bind error");
      return "bind " + p.name + " to " + node + ": " + bind;
    }
    if (p.state == State.DELETED) {
      throw failure("bound " + p.name + " although it was deleted before the bind", null);
    }
    p.state = State.BOUND;
    p.node = node;
    p.reason = "";
    admitSoon.add(p);
    stats.outcome("bound");
    return "bind " + p.name + " to " + node;
  }

  /** kubelet: admits a bound pod, one Allocate per container, as kubelet does. */
  private String admit(PodRecord p) throws Exception {
    stats.op("admit");
    if (p == null || p.state != State.BOUND || p.slices.size() == p.gpus.size()) {
      return "admit: nothing to admit";
    }
    PluginNode node = node(p.node);
    if (!node.agentRunning()) {
      return "admit " + p.name + ": the device plugin is down, kubelet waits";
    }
    StringBuilder what = new StringBuilder("admit " + p.name);
    for (int container = p.slices.size(); container < p.gpus.size(); container++) {
      if (container > 0 && random.nextInt(10) == 0) {
        // the pod's first container ends before kubelet asks for the next one
        finishPod(p, State.FINISHED, "Failed");
        stats.fault("container ended mid-Allocate");
        return what.append(", then the pod failed before the next Allocate").toString();
      }
      FakeKubelet.Admitted admitted;
      try {
        admitted = node.kubelet().admit(p.gpus.get(container));
      } catch (StatusRuntimeException | IllegalStateException e) {
        // kubelet rejects the pod (UnexpectedAdmissionError): it fails and releases what it got
        p.reason = "kubelet admission: " + e.getMessage();
        finishPod(p, State.FAILED, "Failed");
        stats.outcome("admission failed");
        return what.append(": ").append(e.getMessage()).toString();
      }
      p.deviceIds.put(container, admitted.deviceIds());
      p.slices.put(container, slices(p.node, admitted.response().getEnvsMap()));
      stats.outcome(p.slices.get(container).stream().anyMatch(sl -> sl.device().startsWith("MIG-"))
          ? "MIG container allocated" : "container allocated");
      what.append(" c").append(container).append(" -> ").append(p.slices.get(container));
    }
    if (random.nextInt(4) != 0) {
      what.append("; ").append(start(p)); // kubelet starts the containers right away, mostly
    }
    return what.toString();
  }

  private static List<Slice> slices(String node, Map<String, String> env) {
    List<Slice> out = new ArrayList<>();
    String visible = env.getOrDefault("NVIDIA_VISIBLE_DEVICES", "");
    String[] ids = visible.isEmpty() ? new String[0] : visible.split(",");
    for (int k = 0; k < ids.length; k++) {
      String mem = env.get("CUDA_DEVICE_MEMORY_LIMIT_" + k);
      String cores = env.getOrDefault("CUDA_DEVICE_SM_LIMIT_" + k, env.get("CUDA_DEVICE_SM_LIMIT"));
      out.add(new Slice(node, ids[k], mem == null ? 0 : Long.parseLong(mem.substring(0, mem.length() - 1)),
          cores == null ? 0 : Integer.parseInt(cores)));
    }
    return out;
  }

  private String start(PodRecord p) {
    stats.op("start");
    if (p == null || p.state != State.BOUND || p.slices.size() < p.gpus.size()) {
      return "start: nothing admitted";
    }
    Pod pod = patchStatus(p.name, "Running");
    if (pod == null) {
      p.state = State.DELETED;
      return "start: " + p.name + " is gone";
    }
    p.allocatedAtStart = PodViews.annotations(pod).get(Annotations.DEVICES_ALLOCATED);
    p.state = State.RUNNING;
    return "start " + p.name;
  }

  private String finish() {
    stats.op("finish");
    PodRecord p = any(State.RUNNING);
    if (p == null) {
      return "finish: nothing running";
    }
    finishPod(p, State.FINISHED, random.nextInt(5) == 0 ? "Failed" : "Succeeded");
    return "finish " + p.name;
  }

  private void finishPod(PodRecord p, State state, String phase) {
    patchStatus(p.name, phase);
    release(p);
    p.state = state;
  }

  private void release(PodRecord p) {
    if (p.node != null) {
      node(p.node).kubelet().release(p.deviceIds.values().stream().flatMap(List::stream).toList());
    }
  }

  private String delete() {
    stats.op("delete");
    PodRecord p = any(State.FINISHED, State.FAILED, State.PENDING, State.RUNNING, State.BOUND);
    if (p == null) {
      return "delete: nothing to delete";
    }
    deletePod(p);
    return "delete " + p.name;
  }

  private void deletePod(PodRecord p) {
    admin.pods().inNamespace("default").withName(p.name).delete();
    if (p.finalizer) {
      // terminating, still holding its devices (and MIG instance) until the finalizer goes
      if (random.nextBoolean()) {
        stats.fault("terminating pod kept by a finalizer");
        return;
      }
      removeFinalizer(p);
    }
    release(p);
    p.state = State.DELETED;
  }

  private void removeFinalizer(PodRecord p) {
    admin.pods().inNamespace("default").withName(p.name).edit(pod -> new PodBuilder(pod).editMetadata()
        .withFinalizers(List.of()).endMetadata().build());
    p.finalizer = false;
  }

  /** Sets the pod's phase as kubelet does; the pod as patched, or null when it is gone. */
  private Pod patchStatus(String name, String phase) {
    try {
      return admin.pods().inNamespace("default").withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
          "{\"status\":{\"phase\":\"" + phase + "\"}}");
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() == 404) {
        return null;
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------ faults

  private String fault(int pick) throws Exception {
    stats.op("fault");
    if (pick < 40) {
      faults.next(FaultKind.values()[random.nextInt(FaultKind.values().length)], 1 + random.nextInt(6));
      stats.fault("api " + faults.lastKind);
      return "api fault: the next requests get " + faults.lastKind;
    }
    if (pick < 60) {
      PluginNode n = nodes.get(random.nextInt(nodes.size()));
      admin.nodes().withName(n.name()).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\""
          + Annotations.NODE_LOCK + "\":\"" + dev.hamij.api.NodeLockCodec.encode(new dev.hamij.api.NodeLock(Instant.now(),
          "default", "dead-" + step)) + "\"}}}");
      stats.fault("stale node lock");
      return "a dead scheduler's lock on " + n.name();
    }
    if (pick < 80) {
      PluginNode n = nodes.get(random.nextInt(nodes.size()));
      n.nvml().failNext(NVML_FAULTS.get(random.nextInt(NVML_FAULTS.size())), 1 + random.nextInt(3),
          dev.hamij.nvml.NvmlReturn.UNKNOWN);
      stats.fault("nvml error");
      return "NVML errors on " + n.name();
    }
    if (pick < 100) {
      PluginNode n = nodes.get(random.nextInt(nodes.size()));
      n.nvml().injectXid(0, random.nextBoolean() ? 13 : 48);
      stats.fault("xid");
      return "XID on " + n.name();
    }
    if (pick < 106) {
      PluginNode n = nodes.get(random.nextInt(nodes.size()));
      long t0 = System.nanoTime();
      n.stopAgent();
      stats.time("(agent stop)", System.nanoTime() - t0);
      t0 = System.nanoTime();
      startAgent(n);
      stats.time("(agent start)", System.nanoTime() - t0);
      stats.fault("plugin restart");
      return "node agent of " + n.name() + " restarted";
    }
    if (pick < 112) {
      PluginNode n = nodes.get(random.nextInt(nodes.size()));
      n.restartKubelet(WAIT);
      stats.fault("kubelet restart");
      return "kubelet of " + n.name() + " restarted";
    }
    if (pick < 114) {
      return failover();
    }
    if (pick < 115) {
      Replica r = replicas.get(random.nextInt(replicas.size()));
      long t0 = System.nanoTime();
      r.runtime.close();
      stats.time("(extender close)", System.nanoTime() - t0);
      r.runtime = null;
      t0 = System.nanoTime();
      restartReplica(r);
      stats.time("(extender start)", System.nanoTime() - t0);
      stats.fault("extender restart");
      return "extender " + r.host + " restarted";
    }
    if (pick < 140) {
      faults.refuseWatches(2 + random.nextInt(4));
      stats.fault("watches refused");
      return "the next watches are refused (informers re-list)";
    }
    if (pick < 150 && lostGpus.isEmpty()) {
      PluginNode n = nodes.get(random.nextInt(nodes.size()));
      n.nvml().loseGpu(0);
      lostGpus.add(nodes.indexOf(n));
      stats.fault("GPU lost");
      return "GPU 0 of " + n.name() + " fell off the bus";
    }
    if (pick < 170 && !lostGpus.isEmpty()) {
      PluginNode n = nodes.get(lostGpus.remove(0));
      n.nvml().resetGpu(0);
      return "GPU 0 of " + n.name() + " reset";
    }
    PodRecord held = pods.values().stream().filter(p -> p.finalizer && p.state != State.DELETED).findFirst().orElse(null);
    if (held != null && admin.pods().inNamespace("default").withName(held.name).get() != null) {
      removeFinalizer(held);
      if (admin.pods().inNamespace("default").withName(held.name).get() == null) {
        release(held);
        held.state = State.DELETED;
      }
      return "finalizer of " + held.name + " removed";
    }
    return "no fault";
  }

  /** Starts a node agent, retried like a crash-looping DaemonSet pod when an injected fault breaks its start. */
  private void startAgent(PluginNode n) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        n.startAgent();
        return;
      } catch (Exception e) {
        if (attempt == 5) {
          throw e;
        }
        stats.outcome("agent start failed, retried");
      }
    }
  }

  /** The leading extender's pod dies: its kube-scheduler loses the Lease to the other replica's. */
  private String failover() throws Exception {
    Replica old = replicas.stream().filter(r -> r.host.equals(leaseHolder)).findFirst().orElseThrow();
    Replica next = replicas.stream().filter(r -> r != old).findFirst().orElseThrow();
    long t0 = System.nanoTime();
    old.runtime.close();
    old.runtime = null;
    renewLease(next.host);
    stats.time("(failover: close, lease)", System.nanoTime() - t0);
    t0 = System.nanoTime();
    await(() -> leader() == next, () -> "the other replica leads after the failover; " + next.host + " is "
        + (next.runtime == null ? "not running" : "not ready: " + next.runtime.extender().notReadyReason()));
    stats.time("(failover: takeover)", System.nanoTime() - t0);
    t0 = System.nanoTime();
    restartReplica(old); // the dead pod comes back as a follower
    stats.time("(failover: restart)", System.nanoTime() - t0);
    stats.fault("leader killed, failover");
    return "leader " + old.host + " killed; " + next.host + " leads";
  }

  enum FaultKind { CONFLICT, SERVER_ERROR, SLOW }

  /** API faults for the apps' requests (never the test's own). */
  final class Faults {
    private final AtomicInteger budget = new AtomicInteger();
    private final AtomicInteger watchBudget = new AtomicInteger();
    private volatile FaultKind kind = FaultKind.CONFLICT;
    volatile FaultKind lastKind = FaultKind.CONFLICT;

    void next(FaultKind k, int count) {
      kind = k;
      lastKind = k;
      budget.set(count);
    }

    void refuseWatches(int count) {
      watchBudget.set(count);
    }

    MockResponse answer(String who, ApiServer.Call call) {
      if (call.verb().equals("watch") && watchBudget.getAndUpdate(v -> Math.max(0, v - 1)) > 0) {
        return ApiServer.status(500, "InternalError", "watch refused by the test");
      }
      if (call.verb().equals("watch") || budget.get() <= 0) {
        return null;
      }
      boolean write = Set.of("patch", "update", "create").contains(call.verb());
      if (kind == FaultKind.CONFLICT && !write) {
        return null;
      }
      if (budget.getAndUpdate(v -> Math.max(0, v - 1)) <= 0) {
        return null;
      }
      return switch (kind) {
        case CONFLICT -> ApiServer.status(409, "Conflict", "the object has been modified (injected)");
        case SERVER_ERROR -> ApiServer.status(500, "InternalError", "etcdserver: request timed out (injected)");
        case SLOW -> {
          try {
            Thread.sleep(30);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          yield null;
        }
      };
    }
  }

  // ------------------------------------------------------------------ invariants

  /** No slot, MiB, core share or MIG placement is booked twice: the API server's bookings, through the core's checks. */
  private void checkBookings() {
    GpuScheduler rebuilt = rebuildFromApi();
    try {
      LedgerInvariants.checkCapacity(rebuilt.usage());
      LedgerInvariants.checkMig(rebuilt.usage());
    } catch (AssertionError e) {
      Replica leader = leader();
      throw failure("bookings in the API server: " + e.getMessage() + "\n  bookings: " + podBookings(rebuilt.usage())
          + "\n  the leader's ledger: " + (leader == null ? "(no leader)"
          : podBookings(leader.runtime.ledger().scheduler().usage())), e);
    }
  }

  /** A ledger built only from what the API server holds now (register annotations, live pods' allocations). */
  private GpuScheduler rebuildFromApi() {
    GpuScheduler s = GpuScheduler.create(dev.hamij.core.SchedulerConfig.defaults());
    for (Node n : nodeCache.getStore().list()) {
      Map<String, String> a = PodViews.annotations(n);
      if (a.containsKey(Annotations.NODE_NVIDIA_REGISTER)) {
        String value = a.get(Annotations.NODE_NVIDIA_REGISTER);
        try {
          s.upsertNode(n.getMetadata().getName(), value.strip().equals("[]") ? List.of()
              : RegisterCodec.decode(value, n.getMetadata().getName()), a);
        } catch (HamiFormatException e) {
          throw failure("node " + n.getMetadata().getName() + " registered an undecodable annotation: " + e, e);
        }
      }
    }
    for (Pod p : podCache.getStore().list()) {
      if (!PodViews.terminated(p)) {
        var allocation = PodViews.allocation(p);
        if (allocation != null) {
          s.upsertPod(allocation);
        }
      }
    }
    return s;
  }

  /** What Allocate handed out to live containers never exceeds a GPU, and a MIG device goes to one container only. */
  private void checkHandedOut() {
    Map<String, long[]> perGpu = new HashMap<>();
    Map<String, String> migHolders = new HashMap<>();
    for (PodRecord p : pods.values()) {
      if (!p.holdsDevices()) {
        continue;
      }
      for (Map.Entry<Integer, List<Slice>> c : p.slices.entrySet()) {
        for (Slice s : c.getValue()) {
          if (s.device().startsWith("MIG-")) {
            String other = migHolders.put(s.node() + "/" + s.device(), p.name + "/c" + c.getKey());
            if (other != null) {
              throw failure("MIG device " + s.device() + " handed to " + other + " and " + p.name + "/c" + c.getKey(), null);
            }
            continue;
          }
          long[] sum = perGpu.computeIfAbsent(s.node() + "/" + s.device(), k -> new long[3]);
          sum[0] += s.memMiB();
          sum[1] += s.cores();
          sum[2]++;
        }
      }
    }
    perGpu.forEach((gpu, sum) -> {
      String[] nodeAndUuid = gpu.split("/", 2);
      GpuDevice d = registration(nodeAndUuid[0]) == null ? null : registration(nodeAndUuid[0]).get(nodeAndUuid[1]);
      if (d == null) {
        return;
      }
      if (sum[0] > d.devmem() || sum[1] > d.devcore() || sum[2] > d.count()) {
        throw failure("GPU " + gpu + " handed out " + sum[0] + " of " + d.devmem() + " MiB, " + sum[1] + " of "
            + d.devcore() + " % cores, " + sum[2] + " of " + d.count() + " slots to live containers", null);
      }
    });
  }

  /** A running pod's allocation annotation stays what it was when it started, through every restart. */
  private void checkRunningUnchanged() {
    for (PodRecord p : pods.values()) {
      if (p.state != State.RUNNING || p.allocatedAtStart == null) {
        continue;
      }
      Pod now = podCache.getIndexer().getByKey("default/" + p.name);
      if (now == null) {
        continue; // the cache has not seen it yet, or it was just deleted by the driver
      }
      String current = PodViews.annotations(now).get(Annotations.DEVICES_ALLOCATED);
      if (current != null && !current.equals(p.allocatedAtStart)) {
        throw failure("the allocation of running pod " + p.name + " changed from " + p.allocatedAtStart + " to " + current,
            null);
      }
    }
  }

  /** A bind refused for lock contention: the lock's owner must really be a pod being bound to that node. */
  private void checkContentionIsReal(String node, String message) {
    Node n = admin.nodes().withName(node).get();
    String lock = PodViews.annotations(n).get(Annotations.NODE_LOCK);
    if (lock == null) {
      return; // released meanwhile
    }
    var held = dev.hamij.api.NodeLockCodec.decode(lock, node);
    if (!held.hasOwner()) {
      return;
    }
    Pod owner = admin.pods().inNamespace(held.namespace()).withName(held.name()).get();
    if (owner == null || PodViews.terminated(owner)) {
      throw failure("bind refused (" + message + ") by the lock of " + held.namespace() + "/" + held.name()
          + ", which is gone or finished: the takeover check did not take it over", null);
    }
  }

  /** The slower checks: the leader's ledger, MIG instances, node locks. */
  void checkpoint() {
    stats.checkpoints++;
    settle();
    Replica leader = leader();
    if (leader != null) {
      BooleanSupplier same = () -> podBookings(leader.runtime.ledger().scheduler().usage())
          .equals(podBookings(rebuildFromApi().usage()));
      if (!eventually(same)) {
        throw failure("the leader's ledger " + podBookings(leader.runtime.ledger().scheduler().usage())
            + " differs from one rebuilt from the API server " + podBookings(rebuildFromApi().usage()), null);
      }
    }
    if (!eventually(() -> leakedMigDevices().isEmpty())) {
      throw failure("MIG devices no live pod holds: " + leakedMigDevices(), null);
    }
  }

  /** Live pods by state, and the pending pods' reasons, for the progress line. */
  private String podSummary() {
    Map<State, Integer> byState = new TreeMap<>();
    Map<String, Integer> reasons = new TreeMap<>();
    for (PodRecord p : pods.values()) {
      if (p.state != State.DELETED && p.state != State.FINISHED && p.state != State.FAILED) {
        byState.merge(p.state, 1, Integer::sum);
      }
      if (p.state == State.PENDING) {
        reasons.merge(p.reason.length() > 90 ? p.reason.substring(0, 90) : p.reason, 1, Integer::sum);
      }
    }
    Replica leader = leader();
    StringBuilder view = new StringBuilder(leader == null ? "no leader" : "leader " + leader.host + " sees");
    if (leader != null) {
      for (ClusterUsage.NodeUsage n : leader.runtime.ledger().scheduler().usage().nodes()) {
        view.append(' ').append(n.name()).append('=')
            .append(n.gpus().stream().filter(ClusterUsage.GpuUsage::healthy).count()).append('/').append(n.gpus().size());
      }
    }
    StringBuilder api = new StringBuilder("; the API server has");
    for (Node n : nodeCache.getStore().list()) {
      Map<String, String> a = PodViews.annotations(n);
      String register = a.get(Annotations.NODE_NVIDIA_REGISTER);
      api.append(' ').append(n.getMetadata().getName()).append(register == null ? " unregistered"
          : register.strip().equals("[]") ? " []" : " registered").append(" (").append(a.get(Annotations.NODE_HANDSHAKE))
          .append(node(n.getMetadata().getName()).agentRunning() ? "" : ", agent down").append(')');
    }
    return byState + ", pending because " + reasons + "; " + view + " healthy GPUs" + api;
  }

  /**
   * The API server's event TTL (an hour in Kubernetes), here a checkpoint period: fabric8's mock
   * server scans every stored object on each request, and the events the extender records would
   * otherwise grow the store by thousands over a run. Returns how many expired.
   */
  private int expireEvents() {
    int stored = admin.v1().events().inAnyNamespace().list().getItems().size();
    admin.v1().events().inAnyNamespace().delete();
    return stored - admin.v1().events().inAnyNamespace().list().getItems().size();
  }

  /** Lets in-flight work settle: watches flow again and injected API faults are used up. */
  private void settle() {
    faults.next(FaultKind.SLOW, 0);
    faults.refuseWatches(0);
  }

  private static Map<String, List<dev.hamij.api.ContainerDevice>> podBookings(ClusterUsage usage) {
    Map<String, List<dev.hamij.api.ContainerDevice>> out = new TreeMap<>();
    for (ClusterUsage.PodUsage p : usage.pods()) {
      out.put(p.namespace() + "/" + p.name() + "@" + p.node(), p.devices());
    }
    return out;
  }

  /** MIG devices present in NVML that no live container was handed (the reconciler had its time). */
  private List<String> leakedMigDevices() {
    List<String> leaked = new ArrayList<>();
    Set<String> held = new java.util.HashSet<>();
    for (PodRecord p : pods.values()) {
      if (p.state == State.BOUND || p.state == State.RUNNING || (p.finalizer && p.state != State.DELETED)) {
        p.slices.values().forEach(list -> list.forEach(s -> held.add(s.device())));
      }
    }
    for (PluginNode n : nodes) {
      if (!n.name().equals(MIG_NODE)) {
        continue;
      }
      var nvml = n.nvml();
      nvml.init();
      try {
        for (int g = 0; g < nvml.deviceCount(); g++) {
          var gpu = nvml.deviceByIndex(g);
          if (!nvml.migMode(gpu).currentEnabled()) {
            continue;
          }
          for (int k = 0; k < nvml.maxMigDeviceCount(gpu); k++) {
            nvml.migDeviceByIndex(gpu, k).map(nvml::uuid).filter(u -> !held.contains(u)).ifPresent(leaked::add);
          }
        }
      } catch (dev.hamij.nvml.NvmlException e) {
        if (e.code() != dev.hamij.nvml.NvmlReturn.GPU_IS_LOST) {
          leaked.add("(NVML could not be read: " + e.getMessage() + ")"); // look again on the next poll
        }
      } finally {
        nvml.shutdown();
      }
    }
    return leaked;
  }

  /** Finishes every pod, then checks the cluster is clean: no lock, no MIG instance, empty ledgers. */
  private void drain() {
    settle();
    lostGpus.forEach(i -> nodes.get(i).nvml().resetGpu(0));
    lostGpus.clear();
    for (PodRecord p : pods.values()) {
      if (p.state == State.PENDING && p.reason.isEmpty()) {
        p.reason = "never reached by kube-scheduler";
      }
      boolean ok = switch (p.state) {
        case PENDING, FAILED -> !p.reason.isEmpty();
        case BOUND, RUNNING, FINISHED -> p.node != null;
        case DELETED -> true;
      };
      if (!ok) {
        throw failure("pod " + p + " ended neither bound with an allocation nor pending with a reason", null);
      }
    }
    for (PodRecord p : new ArrayList<>(pods.values())) {
      if (p.state != State.DELETED) {
        if (p.finalizer && admin.pods().inNamespace("default").withName(p.name).get() != null) {
          removeFinalizer(p);
        }
        admin.pods().inNamespace("default").withName(p.name).delete();
        release(p);
        p.state = State.DELETED;
      }
    }
    await(() -> podCache.getStore().list().isEmpty(), "every pod deleted");
    checkpoint();
    Replica leader = leader();
    if (leader != null && !eventually(() -> leader.runtime.ledger().scheduler().usage().pods().isEmpty())) {
      throw failure("the leader's ledger still books pods after all were deleted", null);
    }
    if (!refused.isEmpty()) {
      throw failure("calls refused by RBAC: " + refused, null);
    }
    // the node agent's manifests grant exactly what it used (the extender's are checked by RbacTest)
    if (!used.getOrDefault(PLUGIN_SA, Set.of()).equals(pluginRbac.grants())) {
      throw failure("the node agent used " + new java.util.TreeSet<>(used.getOrDefault(PLUGIN_SA, Set.of()))
          + " but its manifests grant " + pluginRbac.grants(), null);
    }
  }

  // ------------------------------------------------------------------ helpers

  /** The GPUs a node registered (first sight; later health changes keep the capacity). */
  private Map<String, GpuDevice> registration(String node) {
    Map<String, GpuDevice> known = registered.get(node);
    if (known != null) {
      return known;
    }
    Node n = admin.nodes().withName(node).get();
    String value = n == null ? null : PodViews.annotations(n).get(Annotations.NODE_NVIDIA_REGISTER);
    if (value == null) {
      return null;
    }
    Map<String, GpuDevice> devices = new LinkedHashMap<>();
    RegisterCodec.decode(value, node).forEach(d -> devices.put(d.id(), d));
    registered.put(node, devices);
    return devices;
  }

  private PodRecord any(State... states) {
    List<PodRecord> matching = pods.values().stream().filter(p -> List.of(states).contains(p.state)).toList();
    return matching.isEmpty() ? null : matching.get(random.nextInt(matching.size()));
  }

  private PluginNode node(String name) {
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  private void note(String what) {
    recent.addLast(step + ": " + what);
    if (recent.size() > 40) {
      recent.removeFirst();
    }
  }

  private void await(BooleanSupplier condition, String what) {
    await(condition, () -> what);
  }

  private void await(BooleanSupplier condition, java.util.function.Supplier<String> what) {
    if (!eventually(condition)) {
      throw failure("timed out waiting for: " + what.get(), null);
    }
  }

  private static boolean eventually(BooleanSupplier condition) {
    try {
      return Fixtures.eventually(WAIT, condition);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private AssertionError failure(String message, Throwable cause) {
    StringBuilder b = new StringBuilder("cluster harness, seed " + spec.seed() + ", step " + step + ": " + message
        + "\n  replay: -Dhamij.harness.seed=" + spec.seed() + "\n  recent steps:\n");
    recent.forEach(r -> b.append("    ").append(r).append('\n'));
    b.append("  pods: ").append(pods.values()).append('\n');
    if (!api.errors().isEmpty()) {
      b.append("  the mock API server failed on: ").append(api.errors()).append('\n');
    }
    if (message.contains("failover")) {
      Thread.getAllStackTraces().forEach((t, stack) -> {
        if (t.getName().startsWith("hami-leader")) {
          b.append("  thread ").append(t.getName()).append(" ").append(t.getState()).append('\n');
          for (int i = 0; i < Math.min(stack.length, 30); i++) {
            b.append("      at ").append(stack[i]).append('\n');
          }
        }
      });
    }
    if (cause != null && String.valueOf(cause.getMessage()).contains("time")) {
      b.append("  now ").append(java.time.LocalTime.now()).append("; last requests the API server saw:\n");
      api.recentRequests().forEach(r -> b.append("    ").append(r).append('\n'));
      // a stalled API server: show what its threads are doing
      Thread.getAllStackTraces().forEach((t, stack) -> {
        if (stack.length > 0 && (t.getName().startsWith("hami-http") || java.util.Arrays.stream(stack)
            .anyMatch(e -> e.getClassName().contains("mockwebserver") || e.getClassName().contains("server.mock")))) {
          b.append("  thread ").append(t.getName()).append(" ").append(t.getState()).append('\n');
          for (int i = 0; i < Math.min(stack.length, 25); i++) {
            b.append("      at ").append(stack[i]).append('\n');
          }
        }
      });
    }
    return new AssertionError(b.toString(), cause);
  }

  public Stats stats() {
    return stats;
  }

  @Override
  public void close() {
    for (Replica r : replicas) {
      if (r.runtime != null) {
        r.runtime.close();
      }
    }
    for (PluginNode n : nodes) {
      try {
        n.close();
      } catch (Exception e) {
        // best effort
      }
    }
    if (podCache != null) {
      podCache.stop();
    }
    if (nodeCache != null) {
      nodeCache.stop();
    }
    clients.forEach(KubernetesClient::close);
    admin.close();
    api.close();
  }

}
