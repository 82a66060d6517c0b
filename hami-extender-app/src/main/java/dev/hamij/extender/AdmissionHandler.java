package dev.hamij.extender;

import dev.hamij.core.Admission;
import dev.hamij.core.AdmissionPolicy;
import dev.hamij.core.PodSpec;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /webhook}: AdmissionReview v1 and v1beta1 for pods, answered in the version received.
 * CREATE strips forged allocation annotations and applies {@link AdmissionPolicy#mutate} and the core's
 * quota check, answering with a JSON Patch from the original to the mutated pod; UPDATE (of the pod or
 * of its status subresource) is denied when it touches allocation annotations without being trusted.
 * The rules themselves live in the core.
 */
final class AdmissionHandler {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** HTTP status and body of the reply. */
  record Reply(int status, byte[] body) {
    static Reply text(int status, String message) {
      return new Reply(status, (message + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  private final Supplier<AdmissionPolicy.Settings> settings;
  private final Set<String> trustedUsers;
  private final Function<PodSpec, Admission> quota;

  /**
   * @param settings the current webhook settings (they follow configuration reloads)
   * @param trustedUsers usernames allowed to change allocation annotations (scheduler and device plugin service accounts)
   * @param quota the core's admission check of the mutated pod
   */
  AdmissionHandler(Supplier<AdmissionPolicy.Settings> settings, Set<String> trustedUsers,
      Function<PodSpec, Admission> quota) {
    this.settings = settings;
    this.trustedUsers = Set.copyOf(trustedUsers);
    this.quota = quota;
  }

  Reply handle(byte[] body) {
    JsonNode review;
    try {
      review = ExtenderWire.JSON.readTree(body);
    } catch (JacksonException e) {
      return Reply.text(400, "cannot decode AdmissionReview: " + e.getOriginalMessage());
    }
    if (review == null || !review.isObject() || !"AdmissionReview".equals(review.path("kind").asString(""))) {
      return Reply.text(400, "expected kind AdmissionReview");
    }
    String apiVersion = review.path("apiVersion").asString("");
    if (!apiVersion.equals("admission.k8s.io/v1") && !apiVersion.equals("admission.k8s.io/v1beta1")) {
      return Reply.text(400, "unsupported AdmissionReview apiVersion \"" + apiVersion
          + "\" (expected admission.k8s.io/v1 or admission.k8s.io/v1beta1)");
    }
    JsonNode request = review.get("request");
    if (request == null || !request.isObject()) {
      return Reply.text(400, "AdmissionReview without request");
    }
    ObjectNode response = F.objectNode();
    response.put("uid", request.path("uid").asString(""));
    decide(request, response);
    ObjectNode out = F.objectNode();
    out.put("apiVersion", apiVersion);
    out.put("kind", "AdmissionReview");
    out.set("response", response);
    return new Reply(200, ExtenderWire.JSON.writeValueAsBytes(out));
  }

  private void decide(JsonNode request, ObjectNode response) {
    boolean isPod = "Pod".equals(request.path("kind").path("kind").asString(""));
    String subResource = request.path("subResource").asString("");
    String operation = request.path("operation").asString("");
    if (!isPod) {
      allow(response, "");
      return;
    }
    // the status subresource can change a pod's labels and annotations too (the API server keeps
    // only spec and owner references of a status update), so it is guarded like the pod itself
    switch (operation) {
      case "CREATE" -> {
        if (subResource.isEmpty()) {
          create(request, response);
        } else {
          allow(response, "");
        }
      }
      case "UPDATE" -> {
        if (subResource.isEmpty() || subResource.equals("status")) {
          update(request, response);
        } else {
          allow(response, "");
        }
      }
      default -> allow(response, "");
    }
  }

  private void create(JsonNode request, ObjectNode response) {
    JsonNode original = request.get("object");
    if (original == null || !original.isObject()) {
      errored(response, 400, "request has no pod object");
      return;
    }
    Pod pod;
    try {
      pod = ExtenderWire.KUBE.convertValue(original, Pod.class);
    } catch (JacksonException | IllegalArgumentException e) {
      errored(response, 400, "cannot decode pod: " + e.getMessage());
      return;
    }
    if (pod.getMetadata() == null) {
      errored(response, 400, "cannot decode pod: metadata is missing");
      return;
    }
    if (pod.getSpec() == null) {
      errored(response, 400, "cannot decode pod: spec is missing");
      return;
    }
    ObjectNode mutated = (ObjectNode) original.deepCopy();
    stripForged(pod, mutated);

    AdmissionPolicy.Result result = AdmissionPolicy.mutate(PodViews.admission(pod), settings.get());
    switch (result.verdict()) {
      case DENY -> {
        denied(response, result.message());
        return;
      }
      case ERROR -> {
        errored(response, 500, result.message());
        return;
      }
      case ALLOW -> apply(result, mutated);
    }
    if (result.requestsGpus()) {
      Pod after = ExtenderWire.KUBE.convertValue(mutated, Pod.class);
      if (after.getMetadata().getNamespace() == null || after.getMetadata().getNamespace().isEmpty()) {
        after.getMetadata().setNamespace(request.path("namespace").asString(""));
      }
      if (after.getMetadata().getName() == null || after.getMetadata().getName().isEmpty()) {
        after.getMetadata().setName(after.getMetadata().getGenerateName());
      }
      Admission verdict = quota.apply(PodViews.spec(after));
      if (!verdict.allowed()) {
        denied(response, verdict.verdict() == Admission.Verdict.EXCEEDS_QUOTA
            ? "exceeding resource quota" : verdict.message());
        return;
      }
    }
    ArrayNode patch = JsonPatchDiff.diff(original, mutated);
    response.put("allowed", true);
    if (!patch.isEmpty()) {
      response.put("patchType", "JSONPatch");
      response.put("patch", Base64.getEncoder().encodeToString(ExtenderWire.JSON.writeValueAsBytes(patch)));
    }
    if (!result.message().isEmpty()) {
      ObjectNode status = response.putObject("status");
      status.put("code", 200);
      status.put("message", result.message());
    }
  }

  private static void stripForged(Pod pod, ObjectNode mutated) {
    ObjectNode meta = (ObjectNode) mutated.get("metadata");
    if (meta == null) {
      return;
    }
    List<String> annotations = AdmissionPolicy.forgedOnCreate(pod.getMetadata().getAnnotations());
    if (!annotations.isEmpty()) {
      ObjectNode a = (ObjectNode) meta.get("annotations");
      annotations.forEach(a::remove);
    }
    List<String> labels = AdmissionPolicy.forgedLabelsOnCreate(pod.getMetadata().getLabels());
    if (!labels.isEmpty()) {
      ObjectNode l = (ObjectNode) meta.get("labels");
      labels.forEach(l::remove);
    }
  }

  /** Writes the policy's additions into the pod's JSON. */
  private static void apply(AdmissionPolicy.Result result, ObjectNode pod) {
    ObjectNode spec = (ObjectNode) pod.get("spec");
    for (AdmissionPolicy.ContainerChange change : result.changes()) {
      ObjectNode c = (ObjectNode) spec.get(change.init() ? "initContainers" : "containers").get(change.index());
      if (!change.limits().isEmpty()) {
        ObjectNode limits = child(child(c, "resources"), "limits");
        change.limits().forEach(limits::put);
      }
      if (!change.env().isEmpty()) {
        JsonNode env = c.get("env");
        ArrayNode list = env instanceof ArrayNode a ? a : c.putArray("env");
        change.env().forEach((k, v) -> list.addObject().put("name", k).put("value", v));
      }
    }
    if (!result.schedulerName().isEmpty()) {
      spec.put("schedulerName", result.schedulerName());
    }
    if (!result.runtimeClassName().isEmpty()) {
      spec.put("runtimeClassName", result.runtimeClassName());
    }
  }

  private static ObjectNode child(ObjectNode parent, String name) {
    JsonNode c = parent.get(name);
    return c instanceof ObjectNode o ? o : parent.putObject(name);
  }

  private void update(JsonNode request, ObjectNode response) {
    JsonNode user = request.path("userInfo");
    List<String> groups = new ArrayList<>();
    user.path("groups").forEach(g -> groups.add(g.asString("")));
    String violation = AdmissionPolicy.updateViolation(
        strings(request.path("oldObject").path("metadata").path("annotations")),
        strings(request.path("object").path("metadata").path("annotations")),
        strings(request.path("oldObject").path("metadata").path("labels")),
        strings(request.path("object").path("metadata").path("labels")),
        user.path("username").asString(""), groups, trustedUsers);
    if (violation == null) {
      allow(response, "");
    } else {
      denied(response, violation);
    }
  }

  private static Map<String, String> strings(JsonNode object) {
    Map<String, String> out = new LinkedHashMap<>();
    if (object.isObject()) {
      for (Map.Entry<String, JsonNode> e : object.properties()) {
        out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asString(""));
      }
    }
    return out;
  }

  private static void allow(ObjectNode response, String message) {
    response.put("allowed", true);
    if (!message.isEmpty()) {
      ObjectNode status = response.putObject("status");
      status.put("code", 200);
      status.put("message", message);
    }
  }

  private static void denied(ObjectNode response, String message) {
    response.put("allowed", false);
    ObjectNode status = response.putObject("status");
    status.put("code", 403);
    status.put("reason", "Forbidden");
    status.put("message", message);
  }

  private static void errored(ObjectNode response, int code, String message) {
    response.put("allowed", false);
    ObjectNode status = response.putObject("status");
    status.put("code", code);
    status.put("message", message);
  }
}
