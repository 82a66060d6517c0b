package dev.hamij.extender;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The Node, Pod and ResourceQuota objects of a cluster snapshot: a Kubernetes {@code List} (as
 * {@code kubectl get nodes,pods,resourcequotas -A -o yaml} prints it) or multi-document YAML/JSON.
 * Objects of other kinds are skipped.
 */
record Snapshot(List<Node> nodes, List<Pod> pods, List<ResourceQuota> quotas) {

  /** Input that cannot be used; the message names the file and the field. */
  static final class InvalidInput extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidInput(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static Snapshot load(Path file) throws InvalidInput {
    List<Node> nodes = new ArrayList<>();
    List<Pod> pods = new ArrayList<>();
    List<ResourceQuota> quotas = new ArrayList<>();
    List<HasMetadata> objects = objects(file);
    for (int i = 0; i < objects.size(); i++) {
      HasMetadata o = objects.get(i);
      String where = file + ": object " + (i + 1) + " (" + o.getKind() + ")";
      if (o instanceof Node n) {
        requireName(n, where);
        nodes.add(n);
      } else if (o instanceof Pod p) {
        pods.add(normalize(p, where));
      } else if (o instanceof ResourceQuota q) {
        requireName(q, where);
        if (q.getMetadata().getNamespace() == null || q.getMetadata().getNamespace().isEmpty()) {
          q.getMetadata().setNamespace("default");
        }
        quotas.add(q);
      }
    }
    return new Snapshot(List.copyOf(nodes), List.copyOf(pods), List.copyOf(quotas));
  }

  /** Reads exactly one Pod from {@code file}. */
  static Pod loadPod(Path file) throws InvalidInput {
    List<HasMetadata> objects = objects(file);
    List<Pod> pods = objects.stream().filter(Pod.class::isInstance).map(Pod.class::cast).toList();
    if (pods.size() != 1) {
      throw new InvalidInput(file + ": kind: expected exactly one Pod, found " + pods.size(), null);
    }
    return normalize(pods.get(0), file + ": Pod");
  }

  private static Pod normalize(Pod p, String where) throws InvalidInput {
    requireName(p, where);
    if (p.getMetadata().getNamespace() == null || p.getMetadata().getNamespace().isEmpty()) {
      p.getMetadata().setNamespace("default");
    }
    if (p.getSpec() == null || p.getSpec().getContainers() == null || p.getSpec().getContainers().isEmpty()) {
      throw new InvalidInput(where + " " + p.getMetadata().getName() + ": spec.containers: a pod needs at least one container", null);
    }
    return p;
  }

  private static void requireName(HasMetadata o, String where) throws InvalidInput {
    if (o.getMetadata() == null || o.getMetadata().getName() == null || o.getMetadata().getName().isEmpty()) {
      throw new InvalidInput(where + ": metadata.name: missing", null);
    }
  }

  private static List<HasMetadata> objects(Path file) throws InvalidInput {
    String text;
    try {
      text = Files.readString(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InvalidInput(file + ": cannot read: no such file", e);
    } catch (IOException e) {
      throw new InvalidInput(file + ": cannot read: " + e.getMessage(), e);
    }
    Object parsed;
    try {
      parsed = ExtenderWire.KUBE.unmarshal(text);
    } catch (RuntimeException e) {
      throw new InvalidInput(file + ": not a Kubernetes object, List or multi-document YAML: " + rootMessage(e), e);
    } catch (StackOverflowError e) {
      // the YAML composer recurses once per nesting level
      throw new InvalidInput(file + ": not a Kubernetes object, List or multi-document YAML: nested too deeply", null);
    }
    List<HasMetadata> out = new ArrayList<>();
    flatten(parsed, out, file);
    return out;
  }

  private static void flatten(Object parsed, List<HasMetadata> out, Path file) throws InvalidInput {
    if (parsed == null) {
      return;
    }
    if (parsed instanceof KubernetesResourceList<?> list) {
      for (Object item : list.getItems() == null ? List.of() : list.getItems()) {
        flatten(item, out, file);
      }
    } else if (parsed instanceof HasMetadata o) {
      out.add(o);
    } else if (parsed instanceof Collection<?> c) {
      for (Object item : c) {
        flatten(item, out, file);
      }
    } else {
      throw new InvalidInput(file + ": kind: expected Kubernetes objects, got " + parsed.getClass().getSimpleName(), null);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.toString() : t.getMessage();
    m = m.replaceAll("\\s+", " ").trim();
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }
}
