package dev.hamij.core;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.PodDevices;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The few HAMi annotation values the core writes or reads itself (scheduler.md §1.5, §2.5, §3.2, §6.2.5). */
final class WireFormat {
  private WireFormat() {}

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** {@code uuid,NVIDIA,mem,cores:} per device, {@code ;} after every container. */
  static String encodePodDevices(PodDevices devices) {
    StringBuilder sb = new StringBuilder();
    for (List<ContainerDevice> c : devices.containers()) {
      for (ContainerDevice d : c) {
        sb.append(d.uuid()).append(',').append(d.type()).append(',').append(d.usedmem()).append(',')
            .append(d.usedcores()).append(':');
      }
      sb.append(';');
    }
    return sb.toString();
  }

  /** The JSON array of {@code hami.io/vgpu-mig-allocations}. */
  static String encodeMigAllocations(List<MigAllocation> allocations) {
    StringBuilder sb = new StringBuilder("[");
    for (MigAllocation a : allocations) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append("{\"containerIndex\":").append(a.containerIndex()).append(",\"deviceIndex\":").append(a.deviceIndex())
          .append(",\"gpuUUID\":").append(quote(a.gpuUUID())).append(",\"profile\":").append(quote(a.profile()))
          .append(",\"placement\":{\"start\":").append(a.placement().start()).append(",\"size\":")
          .append(a.placement().size()).append('}');
      if (a.runtimeReady()) {
        sb.append(",\"migUUID\":").append(quote(a.migUUID())).append(",\"gpuInstanceID\":").append(a.gpuInstanceID())
            .append(",\"computeInstanceID\":").append(a.computeInstanceID());
      }
      sb.append('}');
    }
    return sb.append(']').toString();
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /** GPU UUIDs of {@code hami.io/device-cordon}: comma list, trimmed, blanks dropped. */
  static Set<String> cordoned(Map<String, String> nodeAnnotations) {
    String v = nodeAnnotations.get(Annotations.DEVICE_CORDON);
    Set<String> out = new LinkedHashSet<>();
    if (v != null) {
      for (String s : v.split(",")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
    }
    return out;
  }

  /** {@code hami.io/node-nvidia-score}: {@code [{"uuid":"GPU-0","score":{"GPU-1":100}}, …]}; invalid ⇒ exception naming the node. */
  static Map<String, Map<String, Integer>> pairScores(String node, Map<String, String> nodeAnnotations) {
    String v = nodeAnnotations.get(Annotations.NODE_NVIDIA_SCORE);
    Map<String, Map<String, Integer>> out = new HashMap<>();
    if (v == null || v.isBlank()) {
      return out;
    }
    JsonNode root;
    try {
      root = JSON.readTree(v);
    } catch (JacksonException e) {
      throw new HamiFormatException(Annotations.NODE_NVIDIA_SCORE, "node " + node, "invalid JSON: " + e.getOriginalMessage());
    }
    if (!root.isArray()) {
      throw new HamiFormatException(Annotations.NODE_NVIDIA_SCORE, "node " + node, "expected a JSON array");
    }
    for (JsonNode e : root) {
      JsonNode uuid = e.get("uuid");
      JsonNode score = e.get("score");
      if (uuid == null || !uuid.isString() || (score != null && !score.isObject())) {
        throw new HamiFormatException(Annotations.NODE_NVIDIA_SCORE, "node " + node,
            "each element needs a string \"uuid\" and an object \"score\"");
      }
      Map<String, Integer> m = new HashMap<>();
      if (score != null) {
        for (Map.Entry<String, JsonNode> s : score.properties()) {
          if (!s.getValue().isIntegralNumber()) {
            throw new HamiFormatException(Annotations.NODE_NVIDIA_SCORE, "node " + node,
                "score of " + uuid.asString() + " to " + s.getKey() + " must be an integer");
          }
          m.put(s.getKey(), s.getValue().asInt());
        }
      }
      out.put(uuid.asString(), Map.copyOf(m));
    }
    return out;
  }
}
