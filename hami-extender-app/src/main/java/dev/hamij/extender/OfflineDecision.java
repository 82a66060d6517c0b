package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.RegisterCodec;
import dev.hamij.core.Decision;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.PodAllocation;
import dev.hamij.core.PodSpec;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code schedule} command's work: loads a snapshot into a fresh ledger exactly as the live
 * extender would (register annotations, allocation annotations of non-terminated pods, quotas) and
 * asks the core where one pod would go, without reserving anything. Node handshakes are not
 * evaluated: a snapshot has no live agents.
 */
final class OfflineDecision {
  private OfflineDecision() {}

  /**
   * @return {@code {"pod", "node", "nodes", "annotations"}} as documented for {@code schedule -o json}
   * @throws Snapshot.InvalidInput for any malformed annotation, quota or request, naming file, object and field
   */
  static ObjectNode decide(Snapshot snapshot, Path snapshotFile, Pod pod, Path podFile, Settings settings, Instant now)
      throws Snapshot.InvalidInput {
    GpuScheduler scheduler = GpuScheduler.create(settings.scheduler());
    Map<String, Node> nodes = new TreeMap<>();
    for (Node n : snapshot.nodes()) {
      String name = n.getMetadata().getName();
      nodes.put(name, n);
      Map<String, String> ann = n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
      String register = ann.get(Annotations.NODE_NVIDIA_REGISTER);
      if (register == null) {
        continue;
      }
      try {
        List<GpuDevice> devices = RegisterCodec.decode(register, name);
        scheduler.upsertNode(name, devices, ann);
      } catch (HamiFormatException | IllegalArgumentException e) {
        throw new Snapshot.InvalidInput(snapshotFile + ": Node " + name + ": " + field("metadata.annotations", e), e);
      }
    }
    for (ResourceQuota q : snapshot.quotas()) {
      try {
        scheduler.setQuota(q.getMetadata().getNamespace(), q.getMetadata().getName(),
            PodViews.quantities(q.getSpec() == null ? null : q.getSpec().getHard()));
      } catch (HamiFormatException e) {
        throw new Snapshot.InvalidInput(snapshotFile + ": ResourceQuota " + q.getMetadata().getNamespace() + "/"
            + q.getMetadata().getName() + ": " + field("spec.hard", e), e);
      }
    }
    String ref = PodViews.ref(pod);
    for (Pod p : snapshot.pods()) {
      if (PodViews.terminated(p) || PodViews.ref(p).equals(ref)) {
        continue;
      }
      try {
        PodAllocation a = PodViews.allocation(p);
        if (a != null) {
          scheduler.upsertPod(a);
        }
      } catch (HamiFormatException | IllegalArgumentException e) {
        throw new Snapshot.InvalidInput(snapshotFile + ": Pod " + PodViews.ref(p) + ": " + field("metadata.annotations", e), e);
      }
    }
    PodSpec spec = PodViews.spec(pod);
    Decision d = scheduler.filter(spec, List.copyOf(nodes.keySet()));
    if (d.outcome() == Decision.Outcome.INVALID_REQUEST) {
      throw new Snapshot.InvalidInput(podFile + ": Pod " + ref + ": " + d.error(), null);
    }
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode out = f.objectNode();
    out.put("pod", ref);
    if (d.scheduled()) {
      out.put("node", d.node().orElseThrow());
    } else {
      out.putNull("node");
    }
    ObjectNode perNode = out.putObject("nodes");
    for (Decision.NodeResult r : d.nodeResults()) {
      ObjectNode o = perNode.putObject(r.node());
      o.put("fits", r.fits());
      if (r.fits()) {
        o.put("score", r.score());
      } else {
        o.put("reason", r.reason());
      }
    }
    ObjectNode ann = out.putObject("annotations");
    d.annotations(now).forEach(ann::put);
    return out;
  }

  /** {@code metadata.annotations[<key>]: <detail>} for a codec error, without the object it already names. */
  static String field(String parent, RuntimeException e) {
    if (e instanceof HamiFormatException h) {
      String bare = h.withObject("").getMessage();
      String detail = bare.startsWith(h.subject() + ": ") ? bare.substring(h.subject().length() + 2) : bare;
      String subject = h.subject().startsWith(parent) ? h.subject() : parent + "[" + h.subject() + "]";
      return subject + ": " + detail;
    }
    return parent + ": " + e.getMessage();
  }

  /** The same result as a table for people. */
  static String text(ObjectNode result) {
    StringBuilder b = new StringBuilder();
    JsonNode node = result.get("node");
    b.append("pod ").append(result.get("pod").asString()).append(" -> ")
        .append(node.isNull() ? "no node" : "node " + node.asString()).append('\n');
    JsonNode nodes = result.get("nodes");
    if (nodes.isEmpty()) {
      b.append("the pod requests no HAMi-managed resource: every node is left to kube-scheduler\n");
    } else {
      int width = 4;
      for (String n : nodes.propertyNames()) {
        width = Math.max(width, n.length());
      }
      String row = "%-" + width + "s  %-4s  %7s  %s%n";
      b.append(String.format(Locale.ROOT, row, "NODE", "FITS", "SCORE", "REASON"));
      for (Map.Entry<String, JsonNode> e : nodes.properties()) {
        JsonNode r = e.getValue();
        boolean fits = r.get("fits").asBoolean();
        b.append(String.format(Locale.ROOT, row, e.getKey(), fits ? "yes" : "no",
            fits ? String.format(Locale.ROOT, "%.2f", r.get("score").asDouble()) : "",
            fits ? "" : r.get("reason").asString()));
      }
    }
    JsonNode ann = result.get("annotations");
    if (!ann.isEmpty()) {
      b.append("annotations:\n");
      for (Iterator<Map.Entry<String, JsonNode>> it = ann.properties().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        b.append("  ").append(e.getKey()).append(": ").append(e.getValue().asString()).append('\n');
      }
    }
    return b.toString();
  }
}
