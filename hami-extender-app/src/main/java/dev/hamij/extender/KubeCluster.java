package dev.hamij.extender;

import io.fabric8.kubernetes.api.model.Binding;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@link Cluster} over a fabric8 client: shared informers for nodes (optionally by label selector),
 * pods and ResourceQuotas; merge patches; the legacy {@code bindings} endpoint; events written
 * asynchronously so a slow API server never delays a bind.
 */
final class KubeCluster implements Cluster {
  private static final Logger LOG = Logger.getLogger(KubeCluster.class.getName());
  /**
   * fabric8 logs every request header at TRACE, the bearer token included: that logger never goes
   * below INFO, whatever the logging configuration says (the strong reference keeps the level).
   */
  static final Logger HTTP_TRACE = Logger.getLogger("io.fabric8.kubernetes.client.http.HttpLoggingInterceptor");

  static {
    HTTP_TRACE.setLevel(Level.INFO);
  }
  private static final String UID_INDEX = "uid";

  private final KubernetesClient client;
  private final Map<String, String> nodeLabels;
  private final String component;
  private final ThreadPoolExecutor events = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
      new ArrayBlockingQueue<>(10_000), r -> {
        Thread t = new Thread(r, "hami-events");
        t.setDaemon(true);
        return t;
      }, new ThreadPoolExecutor.DiscardPolicy());
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  /**
   * Recent events by (pod uid, type, reason, message), so repeats raise a count instead of piling up.
   * Only the single event thread touches it.
   */
  private final Map<String, Recent> recent = new LinkedHashMap<>(256, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Recent> eldest) {
      return size() > 4096;
    }
  };

  private record Recent(String name, int count, Instant first) {}
  private SharedIndexInformer<Node> nodeInformer;
  private SharedIndexInformer<Pod> podInformer;
  private SharedIndexInformer<ResourceQuota> quotaInformer;

  /**
   * @param nodeLabels only nodes with all these labels are watched (HAMi's {@code --node-label-selector})
   * @param component the event source component (HAMi uses {@code --scheduler-name})
   */
  KubeCluster(KubernetesClient client, Map<String, String> nodeLabels, String component) {
    this.client = client;
    this.nodeLabels = Map.copyOf(nodeLabels);
    this.component = component;
  }

  @Override
  public void start(Listener listener) {
    String url = client.getConfiguration().getMasterUrl();
    LOG.info("connecting to the Kubernetes API server at " + url);
    try {
      // fail fast with a clear message instead of informers retrying silently forever
      client.nodes().list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build());
    } catch (KubernetesClientException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String why = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
          : root.toString();
      throw new ApiException("cannot list nodes at the Kubernetes API server " + url + ": " + why, e);
    }
    var nodes = nodeLabels.isEmpty() ? client.nodes() : client.nodes().withLabels(nodeLabels);
    nodeInformer = nodes.inform(handler(listener::nodeChanged, listener::nodeDeleted));
    informers.add(nodeInformer);
    quotaInformer = client.resourceQuotas().inAnyNamespace()
        .inform(handler(listener::quotaChanged, listener::quotaDeleted));
    informers.add(quotaInformer);
    podInformer = client.pods().inAnyNamespace().runnableInformer(0);
    podInformer.addIndexers(Map.of(UID_INDEX, p -> List.of(p.getMetadata().getUid())));
    podInformer.addEventHandler(handler(listener::podChanged, listener::podDeleted));
    podInformer.run();
    informers.add(podInformer);
    // inform() returns after the initial list; hand the listed objects over now so the caller sees a
    // complete view on return (the informers' own add notifications repeat them, which is harmless)
    nodeInformer.getStore().list().forEach(listener::nodeChanged);
    quotaInformer.getStore().list().forEach(listener::quotaChanged);
    podInformer.getStore().list().forEach(listener::podChanged);
  }

  private static <T> ResourceEventHandler<T> handler(Consumer<T> changed, Consumer<T> deleted) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        safely(changed, obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        safely(changed, newObj);
      }

      @Override
      public void onDelete(T obj, boolean finalStateUnknown) {
        safely(deleted, obj);
      }
    };
  }

  private static <T> void safely(Consumer<T> c, T obj) {
    try {
      c.accept(obj);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "event handler failed", e);
    }
  }

  @Override
  public List<Node> cachedNodes() {
    return nodeInformer.getStore().list();
  }

  @Override
  public List<Pod> cachedPods() {
    return podInformer.getStore().list();
  }

  @Override
  public List<ResourceQuota> cachedQuotas() {
    return quotaInformer.getStore().list();
  }

  @Override
  public Pod cachedPod(String uid) {
    List<Pod> pods = podInformer.getIndexer().byIndex(UID_INDEX, uid);
    return pods.isEmpty() ? null : pods.get(0);
  }

  @Override
  public Node node(String name) {
    try {
      return client.nodes().withName(name).get();
    } catch (KubernetesClientException e) {
      throw translate("get node " + name, e);
    }
  }

  @Override
  public Pod pod(String namespace, String name) {
    try {
      return client.pods().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw translate("get pod " + namespace + "/" + name, e);
    }
  }

  @Override
  public Node patchNodeAnnotations(String name, Map<String, String> annotations, String resourceVersion) {
    ObjectNode meta = JsonNodeFactory.instance.objectNode();
    ObjectNode patch = JsonNodeFactory.instance.objectNode().set("metadata", meta);
    putStrings(meta.putObject("annotations"), annotations);
    if (resourceVersion != null) {
      meta.put("resourceVersion", resourceVersion);
    }
    try {
      return client.nodes().withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException e) {
      throw translate("patch node " + name, e);
    }
  }

  @Override
  public Pod patchPodMetadata(String namespace, String name, Map<String, String> annotations,
      Map<String, String> labels) {
    ObjectNode meta = JsonNodeFactory.instance.objectNode();
    ObjectNode patch = JsonNodeFactory.instance.objectNode().set("metadata", meta);
    if (!annotations.isEmpty()) {
      putStrings(meta.putObject("annotations"), annotations);
    }
    if (!labels.isEmpty()) {
      putStrings(meta.putObject("labels"), labels);
    }
    try {
      return client.pods().inNamespace(namespace).withName(name)
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException e) {
      throw translate("patch pod " + namespace + "/" + name, e);
    }
  }

  private static void putStrings(ObjectNode target, Map<String, String> values) {
    values.forEach((k, v) -> {
      if (v == null) {
        target.putNull(k);
      } else {
        target.put(k, v);
      }
    });
  }

  @Override
  public void bind(String namespace, String name, String uid, String node) {
    Binding binding = new BindingBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).withUid(uid).endMetadata()
        .withNewTarget().withApiVersion("v1").withKind("Node").withName(node).endTarget()
        .build();
    try {
      client.bindings().inNamespace(namespace).resource(binding).create();
    } catch (KubernetesClientException e) {
      throw translate("bind pod " + namespace + "/" + name + " to node " + node, e);
    }
  }

  @Override
  public void recordEvent(Pod pod, String type, String reason, String message) {
    events.execute(() -> record(pod, type, reason, message));
  }

  /**
   * Creates the event, or, like client-go's correlator, raises the count of the same event recorded
   * for the same pod within the last ten minutes.
   */
  private void record(Pod pod, String type, String reason, String message) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    String ts = DateTimeFormatter.ISO_INSTANT.format(now);
    String ns = pod.getMetadata().getNamespace();
    String key = pod.getMetadata().getUid() + '\0' + type + '\0' + reason + '\0' + message;
    Recent seen = recent.get(key);
    if (seen != null && seen.first().isAfter(now.minus(10, ChronoUnit.MINUTES))) {
      ObjectNode patch = JsonNodeFactory.instance.objectNode();
      patch.put("count", seen.count() + 1);
      patch.put("lastTimestamp", ts);
      try {
        client.v1().events().inNamespace(ns).withName(seen.name()).patch(PatchContext.of(PatchType.JSON_MERGE),
            patch.toString());
        recent.put(key, new Recent(seen.name(), seen.count() + 1, seen.first()));
        return;
      } catch (KubernetesClientException e) {
        // expired or deleted: record it anew
      }
    }
    String name = pod.getMetadata().getName() + "." + Long.toHexString(System.nanoTime());
    Event event = new EventBuilder()
        .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewInvolvedObject()
        .withApiVersion("v1").withKind("Pod").withNamespace(ns)
        .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid())
        .endInvolvedObject()
        .withType(type).withReason(reason).withMessage(message)
        .withNewSource().withComponent(component).endSource()
        .withFirstTimestamp(ts).withLastTimestamp(ts).withCount(1)
        .withReportingComponent(component)
        .build();
    try {
      client.v1().events().inNamespace(ns).resource(event).create();
      recent.put(key, new Recent(name, 1, now));
    } catch (KubernetesClientException e) {
      LOG.log(Level.FINE, "event " + reason + " on " + ns + "/" + pod.getMetadata().getName() + " not recorded", e);
    }
  }

  private static ApiException translate(String what, KubernetesClientException e) {
    String msg = what + ": " + (e.getStatus() != null && e.getStatus().getMessage() != null
        ? e.getStatus().getMessage() : e.getMessage());
    if (e.getCode() == 409) {
      return new Conflict(msg, e);
    }
    return new ApiException(msg, e);
  }

  /** Labels from HAMi's {@code k=v,k2=v2} selector syntax. */
  static Map<String, String> parseSelector(String selector) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (selector == null || selector.isBlank()) {
      return labels;
    }
    for (String part : selector.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--node-label-selector: expected key=value, got \"" + p + "\"");
      }
      labels.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
    }
    return labels;
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::stop);
    events.shutdown();
    try {
      events.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
