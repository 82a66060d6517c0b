package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.testing.AnnotationGens;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Property;
import dev.hamij.core.AdmissionPolicy;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.SchedulerConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Users try to forge or edit the allocation annotations and label through the webhook, in every way
 * the AdmissionReview allows: on CREATE (v1 and v1beta1, GPU pods and pods of other schedulers), on
 * UPDATE of the pod and of its status subresource, as untrusted users, as names that only look like
 * the trusted service accounts, with the {@code system:serviceaccounts} groups. After applying the
 * webhook's answer (its JSON patch for a CREATE), a created pod never carries an allocation
 * annotation or label, and an UPDATE that changes one is let through exactly when a trusted account
 * sends it.
 */
class ForgeryTest {
  private static final String SCHEDULER = "system:serviceaccount:hami-system:hami-scheduler";
  private static final String PLUGIN = "system:serviceaccount:hami-system:hami-device-plugin";
  private static final Set<String> TRUSTED = Set.of(SCHEDULER, PLUGIN);
  private static final List<String> USERS = List.of(SCHEDULER, PLUGIN, "alice", "system:node:gpu-1",
      SCHEDULER + " ", " " + SCHEDULER, SCHEDULER.toUpperCase(java.util.Locale.ROOT), SCHEDULER + "s",
      "system:serviceaccount:default:hami-scheduler", "system:serviceaccount:hami-system:hami-device-plugin\u0000",
      "system:serviceaccount:hami-system:default", "");
  private static final List<String> KEYS = new ArrayList<>(AdmissionPolicy.ALLOCATION_ANNOTATIONS);

  private final AdmissionHandler handler = new AdmissionHandler(
      () -> Settings.of(HamiConfig.defaults(), new Settings.Policies("binpack", "spread", "hami-scheduler", true)).admission(),
      TRUSTED, GpuScheduler.create(SchedulerConfig.defaults())::admit);

  /** One attempt: the pod before, the edits (value or null = remove), and who sends them how. */
  record Attempt(ObjectNode pod, Map<String, String> annotations, String label, boolean touchLabel, String operation,
      String subResource, String user, List<String> groups, String version) {}

  private static Gen<Attempt> attempts() {
    Gen<String> values = AnnotationGens.hostile(AnnotationGens.podDevices());
    return (r, s) -> {
      ObjectNode pod = KubeGens.pod().generate(r, s);
      Map<String, String> edits = new LinkedHashMap<>();
      for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
        edits.put(KubeGens.pick(r, KEYS), r.nextInt(5) == 0 ? null : values.generate(r, s));
      }
      List<String> groups = new ArrayList<>(List.of("system:authenticated"));
      if (r.nextInt(4) == 0) {
        groups.add(KubeGens.pick(r, List.of("system:serviceaccounts", "system:serviceaccounts:hami-system",
            "system:nodes", "hami-scheduler")));
      }
      String op = r.nextBoolean() ? "CREATE" : "UPDATE";
      return new Attempt(pod, edits, r.nextBoolean() ? "gpu-" + r.nextInt(3) : null, r.nextBoolean(), op,
          op.equals("UPDATE") && r.nextInt(3) == 0 ? "status" : "", KubeGens.pick(r, USERS), groups,
          r.nextBoolean() ? "v1" : "v1beta1");
    };
  }

  @Test
  void forgedOrEditedAllocationsNeverGetThrough() {
    Property.forAll(attempts()).seeds(3000).maxSize(12).check(a -> {
      ObjectNode before = a.pod().deepCopy();
      ObjectNode after = a.pod().deepCopy();
      ObjectNode meta = (ObjectNode) after.get("metadata");
      a.annotations().forEach((k, v) -> {
        if (v == null) {
          meta.withObject("annotations").remove(k);
        } else {
          meta.withObject("annotations").put(k, v);
        }
      });
      if (a.touchLabel()) {
        if (a.label() == null) {
          meta.withObject("labels").remove(Annotations.VGPU_NODE);
        } else {
          meta.withObject("labels").put(Annotations.VGPU_NODE, a.label());
        }
      }
      boolean create = a.operation().equals("CREATE");
      JsonNode response = answer(a, after, create ? null : before);
      boolean allowed = response.get("allowed").asBoolean();
      if (create) {
        if (allowed) {
          JsonNode created = response.has("patch") ? apply(after, decodePatch(response)) : after;
          assertThat(allocation(created)).as("allocation fields of the created pod").isEmpty();
        }
        return;
      }
      boolean changed = !allocation(before).equals(allocation(after));
      boolean trusted = TRUSTED.contains(a.user()) || a.groups().contains("system:masters");
      assertThat(allowed).as("%s by %s (%s) changing the allocation: %s", a.operation(), a.user(),
          a.subResource().isEmpty() ? "pod" : a.subResource(), changed).isEqualTo(trusted || !changed);
      assertThat(response.has("patch")).as("an UPDATE is never mutated").isFalse();
    });
  }

  /** The rendered webhook sends every path that can change a pod's annotations here: CREATE, UPDATE, UPDATE of pods/status. */
  @Test
  void theRenderedWebhookSeesEveryWayToWriteAnnotations() {
    String yaml = Manifests.render(new Manifests.Params(31, "hami-system", "hami-scheduler", "i", "s",
        Extender.FilterMode.BEST_NODE, 1, "Fail"));
    @SuppressWarnings("unchecked")
    List<io.fabric8.kubernetes.api.model.HasMetadata> objects =
        (List<io.fabric8.kubernetes.api.model.HasMetadata>) ExtenderWire.KUBE.unmarshal(yaml);
    var hooks = objects.stream()
        .filter(io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration.class::isInstance)
        .map(io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration.class::cast)
        .findFirst().orElseThrow().getWebhooks();
    List<String> covered = new ArrayList<>();
    hooks.forEach(h -> h.getRules().forEach(rule -> rule.getOperations().forEach(op -> rule.getResources()
        .forEach(res -> covered.add(op + " " + res + " " + h.getClientConfig().getService().getPath())))));
    assertThat(covered).containsExactlyInAnyOrder("CREATE pods /webhook", "UPDATE pods /webhook",
        "UPDATE pods/status /webhook");
  }

  /** The allocation annotations and label of a pod, for comparing before and after. */
  private static Map<String, String> allocation(JsonNode pod) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode a = pod.path("metadata").path("annotations");
    for (String k : KEYS) {
      if (a.has(k)) {
        out.put(k, a.get(k).asString());
      }
    }
    JsonNode l = pod.path("metadata").path("labels").get(Annotations.VGPU_NODE);
    if (l != null) {
      out.put("label " + Annotations.VGPU_NODE, l.asString());
    }
    return out;
  }

  private JsonNode answer(Attempt a, ObjectNode object, ObjectNode oldObject) {
    ObjectNode review = ExtenderWire.JSON.createObjectNode().put("apiVersion", "admission.k8s.io/" + a.version())
        .put("kind", "AdmissionReview");
    ObjectNode request = review.putObject("request").put("uid", "u1").put("operation", a.operation())
        .put("namespace", object.path("metadata").path("namespace").asString());
    request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
    if (!a.subResource().isEmpty()) {
      request.put("subResource", a.subResource());
    }
    ObjectNode user = request.putObject("userInfo").put("username", a.user());
    a.groups().forEach(user.putArray("groups")::add);
    request.set("object", object);
    if (oldObject != null) {
      request.set("oldObject", oldObject);
    }
    AdmissionHandler.Reply reply = handler.handle(review.toString().getBytes(StandardCharsets.UTF_8));
    assertThat(reply.status()).isEqualTo(200);
    JsonNode response = ExtenderWire.JSON.readTree(reply.body()).get("response");
    assertThat(response.get("uid").asString()).isEqualTo("u1");
    return response;
  }

  private static ArrayNode decodePatch(JsonNode response) {
    return (ArrayNode) ExtenderWire.JSON.readTree(Base64.getDecoder().decode(response.get("patch").asString()));
  }

  /** Applies an RFC 6902 patch of add, remove and replace operations (what the webhook emits). */
  static JsonNode apply(JsonNode document, ArrayNode patch) {
    JsonNode doc = document.deepCopy();
    for (JsonNode op : patch) {
      List<String> path = new ArrayList<>();
      for (String part : op.get("path").asString().substring(1).split("/", -1)) {
        path.add(part.replace("~1", "/").replace("~0", "~"));
      }
      JsonNode parent = doc;
      for (String p : path.subList(0, path.size() - 1)) {
        parent = parent.isArray() ? parent.get(Integer.parseInt(p)) : parent.get(p);
        Objects.requireNonNull(parent, () -> "patch path " + op.get("path") + " does not exist");
      }
      String last = path.get(path.size() - 1);
      String kind = op.get("op").asString();
      if (parent instanceof ObjectNode o) {
        if (kind.equals("remove")) {
          assertThat(o.has(last)).as("removed member exists: " + op).isTrue();
          o.remove(last);
        } else {
          o.set(last, op.get("value"));
        }
      } else {
        ArrayNode arr = (ArrayNode) parent;
        int i = last.equals("-") ? arr.size() : Integer.parseInt(last);
        switch (kind) {
          case "remove" -> arr.remove(i);
          case "add" -> arr.insert(i, op.get("value"));
          default -> arr.set(i, op.get("value"));
        }
      }
    }
    return doc;
  }
}
