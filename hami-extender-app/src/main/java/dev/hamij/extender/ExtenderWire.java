package dev.hamij.extender;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
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

  /**
   * Reads {@code ExtenderArgs}. The top-level object is read from the token stream, and a
   * {@code NodeNames} array (thousands of names at scale) straight into a list of strings, without
   * building a tree of it first.
   */
  static Args readArgs(byte[] body) throws BadRequest {
    Map<String, Object> root = readObject(body);
    if (!(field(root.entrySet(), "Pod") instanceof JsonNode pod) || pod.isNull()) {
      throw new BadRequest("extender args missing pod");
    }
    List<Node> nodes = null;
    if (field(root.entrySet(), "Nodes") instanceof JsonNode nodeList && !nodeList.isNull()) {
      JsonNode items = nodeList.isObject() ? field(nodeList.properties(), "items") : null;
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
    Object nameList = field(root.entrySet(), "NodeNames");
    if (nameList instanceof Names decoded) {
      if (decoded.error() != null) {
        throw new BadRequest(decoded.error());
      }
      names = decoded.names();
    } else if (nameList instanceof JsonNode other && !other.isNull()) {
      throw new BadRequest("NodeNames: expected an array of node names");
    }
    Pod decoded = convert(pod, Pod.class, "Pod");
    if (decoded.getMetadata() == null || decoded.getSpec() == null) {
      throw new BadRequest("extender args pod has no metadata or spec");
    }
    return new Args(decoded, nodes, names);
  }

  static BindArgs readBindArgs(byte[] body) throws BadRequest {
    Map<String, Object> root = readObject(body);
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

  /** A {@code NodeNames} array read from the token stream: the names, or why they are not a list of strings. */
  private record Names(List<String> names, String error) {}

  /**
   * The request's top-level object: each key's value as a tree, except a {@code NodeNames} array,
   * which is read as {@link Names}. A repeated key keeps its first position and its last value.
   */
  private static Map<String, Object> readObject(byte[] body) throws BadRequest {
    Map<String, Object> root = new LinkedHashMap<>();
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new BadRequest("cannot decode request body: expected a JSON object");
      }
      for (String key = p.nextName(); key != null; key = p.nextName()) {
        JsonToken value = p.nextToken();
        root.put(key, value == JsonToken.START_ARRAY && key.equalsIgnoreCase("NodeNames") ? readNames(p)
            : p.readValueAsTree());
      }
      if (p.nextToken() != null) {
        throw new BadRequest("cannot decode request body: unexpected content after the JSON object");
      }
    } catch (JacksonException e) {
      throw new BadRequest("cannot decode request body: " + e.getOriginalMessage());
    }
    return root;
  }

  private static Names readNames(JsonParser p) {
    List<String> names = new ArrayList<>();
    String error = null;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == JsonToken.VALUE_STRING) {
        names.add(p.getString());
      } else if (error == null) {
        error = "NodeNames: expected strings, got " + p.readValueAsTree();
      } else {
        p.skipChildren();
      }
    }
    return new Names(names, error);
  }

  /** Go's rule: an exact key match wins, otherwise the first case-insensitive match. */
  private static <T> T field(Iterable<Map.Entry<String, T>> object, String name) {
    T folded = null;
    for (Map.Entry<String, T> e : object) {
      if (e.getKey().equals(name)) {
        return e.getValue();
      }
      if (folded == null && e.getKey().equalsIgnoreCase(name)) {
        folded = e.getValue();
      }
    }
    return folded;
  }

  private static String text(Map<String, Object> root, String name) throws BadRequest {
    if (!(field(root.entrySet(), name) instanceof JsonNode v) || v.isNull()) {
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
