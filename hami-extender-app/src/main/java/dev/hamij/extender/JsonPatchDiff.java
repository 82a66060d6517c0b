package dev.hamij.extender;

import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * RFC 6902 JSON Patch from one document to another: recursive over objects, element-wise over arrays
 * of equal length, {@code add} for elements appended to an array, {@code replace} otherwise.
 * Operations come in a stable order (removals in source key order, then additions and changes in
 * target key order), so the same change always yields the same patch.
 */
final class JsonPatchDiff {
  private JsonPatchDiff() {}

  static ArrayNode diff(JsonNode from, JsonNode to) {
    ArrayNode ops = JsonNodeFactory.instance.arrayNode();
    diff("", from, to, ops);
    return ops;
  }

  private static void diff(String path, JsonNode a, JsonNode b, ArrayNode ops) {
    if (a.equals(b)) {
      return;
    }
    if (a.isObject() && b.isObject()) {
      for (String key : a.propertyNames()) {
        if (!b.has(key)) {
          op(ops, "remove", path + "/" + escape(key), null);
        }
      }
      for (Map.Entry<String, JsonNode> e : b.properties()) {
        String p = path + "/" + escape(e.getKey());
        JsonNode old = a.get(e.getKey());
        if (old == null) {
          op(ops, "add", p, e.getValue());
        } else {
          diff(p, old, e.getValue(), ops);
        }
      }
      return;
    }
    if (a.isArray() && b.isArray() && b.size() >= a.size()) {
      for (int k = 0; k < a.size(); k++) {
        diff(path + "/" + k, a.get(k), b.get(k), ops);
      }
      for (int k = a.size(); k < b.size(); k++) {
        op(ops, "add", path + "/" + k, b.get(k));
      }
      return;
    }
    op(ops, "replace", path, b);
  }

  private static void op(ArrayNode ops, String op, String path, JsonNode value) {
    ObjectNode o = ops.addObject();
    o.put("op", op);
    o.put("path", path);
    if (value != null) {
      o.set("value", value.deepCopy());
    }
  }

  /** JSON Pointer escaping (RFC 6901). */
  static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }
}
