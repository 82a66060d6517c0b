package dev.hamij.extender;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * kube-scheduler's extender v1 JSON (scheduler.md §4.2): the Go structs carry no JSON tags, so keys
 * are PascalCase on output, matched case-insensitively on input, and every field is always emitted.
 */
final class ExtenderWire {
  static final ObjectMapper JSON = JsonMapper.builder().build();
  /** fabric8's mapper for Kubernetes model objects. */
  static final KubernetesSerialization KUBE = new KubernetesSerialization();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ExtenderWire() {}

  /** Malformed extender input; the message becomes the {@code Error} field. */
  static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message);
    }
  }

  /** {@code ExtenderArgs}: the pod, and either node objects (simulation) or node names (node-cache mode). */
  record Args(Pod pod, List<Node> nodes, List<String> nodeNames) {
    /** The candidate names: {@code NodeNames}, or the names of {@code Nodes} in simulation mode. */
    List<String> candidates() {
      if (nodeNames != null) {
        return nodeNames;
      }
      return nodes == null ? List.of() : nodes.stream().map(n -> n.getMetadata().getName()).toList();
    }
  }

  /** {@code ExtenderFilterResult}; {@code nodes} is only set in simulation mode. */
  record FilterResult(List<Node> nodes, List<String> nodeNames, Map<String, String> failedNodes, String error) {
    static FilterResult error(String message) {
      return new FilterResult(null, null, null, message);
    }
  }

  /** {@code ExtenderBindingArgs}. */
  record BindArgs(String podName, String podNamespace, String podUid, String node) {}

  /** One {@code HostPriority} of a {@code HostPriorityList}. */
  record HostPriority(String host, long score) {}

  static Args readArgs(byte[] body) throws BadRequest {
    JsonNode root = readObject(body);
    JsonNode pod = field(root, "Pod");
    if (pod == null || pod.isNull()) {
      throw new BadRequest("extender args missing pod");
    }
    List<Node> nodes = null;
    JsonNode nodeList = field(root, "Nodes");
    if (nodeList != null && !nodeList.isNull()) {
      JsonNode items = field(nodeList, "items");
      nodes = new ArrayList<>();
      if (items != null && items.isArray()) {
        for (JsonNode item : items) {
          Node node = convert(item, Node.class, "Nodes.items");
          if (node == null || node.getMetadata() == null || node.getMetadata().getName() == null) {
            throw new BadRequest("Nodes.items[" + nodes.size() + "].metadata.name: missing");
          }
          nodes.add(node);
        }
      }
    }
    List<String> names = null;
    JsonNode nameList = field(root, "NodeNames");
    if (nameList != null && !nameList.isNull()) {
      if (!nameList.isArray()) {
        throw new BadRequest("NodeNames: expected an array of node names");
      }
      names = new ArrayList<>();
      for (JsonNode n : nameList) {
        if (!n.isString()) {
          throw new BadRequest("NodeNames: expected strings, got " + n);
        }
        names.add(n.stringValue());
      }
    }
    Pod decoded = convert(pod, Pod.class, "Pod");
    if (decoded.getMetadata() == null || decoded.getSpec() == null) {
      throw new BadRequest("extender args pod has no metadata or spec");
    }
    return new Args(decoded, nodes, names);
  }

  static BindArgs readBindArgs(byte[] body) throws BadRequest {
    JsonNode root = readObject(body);
    return new BindArgs(text(root, "PodName"), text(root, "PodNamespace"), text(root, "PodUID"), text(root, "Node"));
  }

  static byte[] write(FilterResult r) {
    ObjectNode o = NODES.objectNode();
    if (r.nodes() == null) {
      o.putNull("Nodes");
    } else {
      ObjectNode list = o.putObject("Nodes");
      list.putObject("metadata");
      ArrayNode items = list.putArray("items");
      r.nodes().forEach(n -> items.add(KUBE.convertValue(n, JsonNode.class)));
    }
    if (r.nodeNames() == null) {
      o.putNull("NodeNames");
    } else {
      ArrayNode a = o.putArray("NodeNames");
      r.nodeNames().forEach(a::add);
    }
    if (r.failedNodes() == null) {
      o.putNull("FailedNodes");
    } else {
      ObjectNode f = o.putObject("FailedNodes");
      new TreeMap<>(r.failedNodes()).forEach(f::put);
    }
    o.putNull("FailedAndUnresolvableNodes");
    o.put("Error", r.error() == null ? "" : r.error());
    return JSON.writeValueAsBytes(o);
  }

  static byte[] writeBindResult(String error) {
    ObjectNode o = NODES.objectNode();
    o.put("Error", error == null ? "" : error);
    return JSON.writeValueAsBytes(o);
  }

  static byte[] writePriorities(List<HostPriority> priorities) {
    ArrayNode a = NODES.arrayNode();
    for (HostPriority p : priorities) {
      ObjectNode o = a.addObject();
      o.put("Host", p.host());
      o.put("Score", p.score());
    }
    return JSON.writeValueAsBytes(a);
  }

  private static JsonNode readObject(byte[] body) throws BadRequest {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JacksonException e) {
      throw new BadRequest("cannot decode request body: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new BadRequest("cannot decode request body: expected a JSON object");
    }
    return root;
  }

  /** Go's rule: an exact key match wins, otherwise the first case-insensitive match. */
  static JsonNode field(JsonNode object, String name) {
    JsonNode exact = object.get(name);
    if (exact != null) {
      return exact;
    }
    for (Map.Entry<String, JsonNode> e : object.properties()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static String text(JsonNode root, String name) throws BadRequest {
    JsonNode v = field(root, name);
    if (v == null || v.isNull()) {
      return "";
    }
    if (!v.isString()) {
      throw new BadRequest(name + ": expected a string, got " + v);
    }
    return v.stringValue();
  }

  private static <T> T convert(JsonNode node, Class<T> type, String where) throws BadRequest {
    try {
      return KUBE.convertValue(node, type);
    } catch (JacksonException | IllegalArgumentException e) {
      String msg = e instanceof JacksonException je ? je.getOriginalMessage() : e.getMessage();
      throw new BadRequest("cannot decode " + where + ": " + msg);
    }
  }
}
