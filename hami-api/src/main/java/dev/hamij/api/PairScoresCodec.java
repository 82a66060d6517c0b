package dev.hamij.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * Codec of the node annotation {@code hami.io/node-nvidia-score} (scheduler.md §2.5): for each GPU
 * UUID, the link quality to each other GPU (higher is better), used by the {@code topology-aware}
 * policy.
 *
 * <p>Wire form: {@code [{"uuid":"GPU-0","score":{"GPU-1":100,"GPU-2":20}}, …]}. The encoder keeps
 * the map's GPU order and writes each score map with keys sorted, as Go does for maps.
 */
public final class PairScoresCodec {
  private PairScoresCodec() {}

  private static final String KEY = Annotations.NODE_NVIDIA_SCORE;
  private static final List<String> ENTRY_KEYS = List.of("uuid", "score");

  /** Encodes scores; an empty map encodes as {@code []}. */
  public static String encode(Map<String, Map<String, Integer>> scores) {
    StringBuilder out = new StringBuilder("[");
    boolean first = true;
    for (Map.Entry<String, Map<String, Integer>> e : scores.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      out.append("{\"uuid\":");
      GoText.appendJsonString(out, e.getKey());
      out.append(",\"score\":{");
      boolean firstScore = true;
      for (Map.Entry<String, Integer> s : new TreeMap<>(e.getValue()).entrySet()) {
        if (!firstScore) {
          out.append(',');
        }
        firstScore = false;
        GoText.appendJsonString(out, s.getKey());
        out.append(':').append(s.getValue().intValue());
      }
      out.append("}}");
    }
    return out.append(']').toString();
  }

  /**
   * Decodes the annotation. {@code null} (annotation absent) yields an empty map; anything that is
   * not the JSON array above, a missing or repeated {@code uuid}, or a non-integer score is an error.
   *
   * @return GPU UUID → (peer GPU UUID → score), in annotation order
   * @throws HamiFormatException naming the node and the offending entry
   */
  public static Map<String, Map<String, Integer>> decode(String value, String nodeName) {
    if (value == null) {
      return Map.of();
    }
    GoJson json = new GoJson(KEY, nodeName);
    List<JsonNode> entries = json.array(json.parse(value), "pair scores");
    Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      String where = "entry " + i;
      Map<String, JsonNode> f = json.fields(entries.get(i), where, ENTRY_KEYS);
      String uuid = json.string(f, "uuid", where);
      if (uuid.isEmpty()) {
        throw json.error(where + ": field \"uuid\" must be a non-empty GPU UUID");
      }
      if (out.containsKey(uuid)) {
        throw json.error(where + ": duplicate uuid \"" + uuid + "\"");
      }
      Map<String, Integer> peers = new LinkedHashMap<>();
      JsonNode score = f.get("score");
      if (score != null) {
        if (!score.isObject()) {
          throw json.error(where + " (" + uuid + "): field \"score\" must be an object, got " + GoJson.describe(score));
        }
        for (Map.Entry<String, JsonNode> s : score.properties()) {
          JsonNode n = s.getValue();
          if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw json.error(where + " (" + uuid + "): score for \"" + s.getKey()
                + "\" must be a 32-bit integer, got " + GoJson.describe(n));
          }
          peers.put(s.getKey(), n.intValue());
        }
      }
      out.put(uuid, Collections.unmodifiableMap(peers));
    }
    return Collections.unmodifiableMap(out);
  }
}
