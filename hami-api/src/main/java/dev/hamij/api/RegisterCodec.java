package dev.hamij.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Codec of the node annotation {@code hami.io/node-nvidia-register} (scheduler.md §2.3, node.md §2.5).
 *
 * <p>Two encodings exist: the JSON array of HAMi v2.8+ ({@link #encodeJson}) and the legacy
 * colon/comma string of v2.5–v2.7 ({@link #encodeLegacy}). {@link #decode} accepts both (JSON iff
 * the first non-blank character is {@code [}). Encoders produce byte-for-byte what upstream emits;
 * decoders throw only {@link HamiFormatException}, whose message names the annotation, the node and
 * the offending device.
 */
public final class RegisterCodec {
  private RegisterCodec() {}

  private static final String KEY = Annotations.NODE_NVIDIA_REGISTER;
  private static final List<String> DEVICE_KEYS =
      List.of("id", "index", "count", "devmem", "devcore", "type", "numa", "mode", "migProfiles", "health");
  private static final List<String> PROFILE_KEYS = List.of("name", "memoryMB", "core", "sliceCount", "placements");
  private static final List<String> PLACEMENT_KEYS = List.of("start", "size");

  /**
   * The v2.8+ JSON form: keys in upstream order {@code id, index, count, devmem, devcore, type, numa,
   * mode, migProfiles, health}, each omitted when zero, false or empty (Go {@code omitempty}); MIG
   * profiles are written with all their keys.
   *
   * @throws HamiFormatException when a device has a negative index (not representable upstream)
   */
  public static String encodeJson(List<GpuDevice> devices) {
    StringBuilder out = new StringBuilder(devices.size() * 160);
    out.append('[');
    for (int i = 0; i < devices.size(); i++) {
      GpuDevice d = devices.get(i);
      requireNonNegativeIndex(d);
      if (i > 0) {
        out.append(',');
      }
      out.append("{\"id\":");
      GoText.appendJsonString(out, d.id());
      appendIfNonZero(out, "index", d.index());
      appendIfNonZero(out, "count", d.count());
      appendIfNonZero(out, "devmem", d.devmem());
      appendIfNonZero(out, "devcore", d.devcore());
      appendIfNonEmpty(out, "type", d.type());
      appendIfNonZero(out, "numa", d.numa());
      appendIfNonEmpty(out, "mode", d.mode());
      if (!d.migProfiles().isEmpty()) {
        out.append(",\"migProfiles\":[");
        for (int p = 0; p < d.migProfiles().size(); p++) {
          if (p > 0) {
            out.append(',');
          }
          appendProfile(out, d.migProfiles().get(p));
        }
        out.append(']');
      }
      if (d.health()) {
        out.append(",\"health\":true");
      }
      out.append('}');
    }
    return out.append(']').toString();
  }

  private static void appendProfile(StringBuilder out, MigProfile p) {
    out.append("{\"name\":");
    GoText.appendJsonString(out, p.name());
    out.append(",\"memoryMB\":").append(p.memoryMB())
        .append(",\"core\":").append(p.core())
        .append(",\"sliceCount\":").append(p.sliceCount())
        .append(",\"placements\":[");
    for (int i = 0; i < p.placements().size(); i++) {
      Placement pl = p.placements().get(i);
      if (i > 0) {
        out.append(',');
      }
      out.append("{\"start\":").append(pl.start()).append(",\"size\":").append(pl.size()).append('}');
    }
    out.append("]}");
  }

  private static void appendIfNonZero(StringBuilder out, String key, int value) {
    if (value != 0) {
      out.append(",\"").append(key).append("\":").append(value);
    }
  }

  private static void appendIfNonEmpty(StringBuilder out, String key, String value) {
    if (!value.isEmpty()) {
      out.append(",\"").append(key).append("\":");
      GoText.appendJsonString(out, value);
    }
  }

  /**
   * The v2.5–v2.7 form: {@code id,count,devmem,devcore,type,numa,health,index,mode:} per device
   * (9 fields, every device terminated by {@code :}); MIG profiles are not carried.
   *
   * @throws HamiFormatException when a device's id, type or mode contains {@code ,} or {@code :},
   *     or its index is negative, since the result would not decode to the same device
   */
  public static String encodeLegacy(List<GpuDevice> devices) {
    StringBuilder out = new StringBuilder(devices.size() * 96);
    for (GpuDevice d : devices) {
      requireNonNegativeIndex(d);
      requireLegacySafe(d, "id", d.id());
      requireLegacySafe(d, "type", d.type());
      requireLegacySafe(d, "mode", d.mode());
      out.append(d.id()).append(',').append(d.count()).append(',').append(d.devmem()).append(',')
          .append(d.devcore()).append(',').append(d.type()).append(',').append(d.numa()).append(',')
          .append(d.health()).append(',').append(d.index()).append(',').append(d.mode()).append(':');
    }
    return out.toString();
  }

  private static void requireNonNegativeIndex(GpuDevice d) {
    if (d.index() < 0) {
      throw new HamiFormatException(KEY, d.id(), "index must not be negative, got " + d.index());
    }
  }

  private static void requireLegacySafe(GpuDevice d, String field, String value) {
    if (value.indexOf(',') >= 0 || value.indexOf(':') >= 0) {
      throw new HamiFormatException(KEY, d.id(),
          field + " must not contain ',' or ':' in the legacy encoding, got \"" + value + "\"");
    }
  }

  /**
   * Decodes either encoding.
   *
   * <p>JSON: missing keys take zero values ({@code health} false, {@code mode} empty), unknown keys
   * are ignored, an empty array is an error ("no gpu found on node"). Legacy: 7 fields (index 0,
   * mode {@code hami-core}) or 9; {@code health} uses Go's boolean words; numbers must be int32;
   * empty segments are skipped, so a value of only separators yields an empty list.
   *
   * @param value the annotation value; {@code null} means the annotation is missing (an error)
   * @param nodeName the node the annotation belongs to, for error messages
   * @throws HamiFormatException for any malformed value
   */
  public static List<GpuDevice> decode(String value, String nodeName) {
    if (value == null) {
      throw new HamiFormatException(KEY, nodeName, "annos not found " + KEY);
    }
    String trimmed = value.stripLeading();
    if (trimmed.startsWith("[")) {
      return decodeJson(value, nodeName);
    }
    return decodeLegacy(value, nodeName);
  }

  private static List<GpuDevice> decodeJson(String value, String nodeName) {
    GoJson json = new GoJson(KEY, nodeName);
    List<JsonNode> elements = json.array(json.parse(value), "devices");
    if (elements.isEmpty()) {
      throw json.error("no gpu found on node");
    }
    List<GpuDevice> devices = new ArrayList<>(elements.size());
    for (int i = 0; i < elements.size(); i++) {
      String where = "device " + i;
      Map<String, JsonNode> f = json.fields(elements.get(i), where, DEVICE_KEYS);
      String id = json.string(f, "id", where);
      if (id.isEmpty()) {
        throw json.error(where + ": field \"id\" must be a non-empty GPU UUID");
      }
      if (id.indexOf(',') >= 0 || id.indexOf(':') >= 0 || id.indexOf(';') >= 0) {
        // such an id could never be written into a pod's device annotations (found by fuzzing)
        throw json.error(where + ": field \"id\" must not contain ',', ':' or ';', got \"" + id + "\"");
      }
      where = "device " + i + " (" + id + ")";
      int index = (int) json.integer(f, "index", where, 0, Integer.MAX_VALUE);
      int count = int32(json, f, "count", where);
      int devmem = int32(json, f, "devmem", where);
      int devcore = int32(json, f, "devcore", where);
      String type = json.string(f, "type", where);
      int numa = int32(json, f, "numa", where);
      String mode = json.string(f, "mode", where);
      List<MigProfile> profiles = f.containsKey("migProfiles")
          ? decodeProfiles(json, json.array(f.get("migProfiles"), "MIG profiles"), where)
          : List.of();
      boolean health = json.bool(f, "health", where);
      devices.add(new GpuDevice(id, index, count, devmem, devcore, type, numa, mode, health, profiles));
    }
    return List.copyOf(devices);
  }

  private static int int32(GoJson json, Map<String, JsonNode> f, String key, String where) {
    return (int) json.integer(f, key, where, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  private static List<MigProfile> decodeProfiles(GoJson json, List<JsonNode> nodes, String device) {
    List<MigProfile> profiles = new ArrayList<>(nodes.size());
    for (int p = 0; p < nodes.size(); p++) {
      String where = device + " migProfiles[" + p + "]";
      Map<String, JsonNode> f = json.fields(nodes.get(p), where, PROFILE_KEYS);
      String name = json.string(f, "name", where);
      if (name.isEmpty()) {
        throw json.error(where + ": field \"name\" must be a non-empty MIG profile name");
      }
      int memory = int32(json, f, "memoryMB", where);
      int core = int32(json, f, "core", where);
      int slices = int32(json, f, "sliceCount", where);
      List<Placement> placements = new ArrayList<>();
      if (f.containsKey("placements")) {
        List<JsonNode> pls = json.array(f.get("placements"), "placements");
        for (int k = 0; k < pls.size(); k++) {
          String plWhere = where + ".placements[" + k + "]";
          Map<String, JsonNode> pf = json.fields(pls.get(k), plWhere, PLACEMENT_KEYS);
          int start = (int) json.integer(pf, "start", plWhere, 0, Integer.MAX_VALUE);
          int size = (int) json.integer(pf, "size", plWhere, 0, Integer.MAX_VALUE);
          if (size == 0) {
            throw json.error(plWhere + ": field \"size\" must be positive");
          }
          placements.add(new Placement(start, size));
        }
      }
      profiles.add(new MigProfile(name, memory, core, slices, placements));
    }
    return profiles;
  }

  private static List<GpuDevice> decodeLegacy(String value, String nodeName) {
    if (value.indexOf(':') < 0) {
      throw new HamiFormatException(KEY, nodeName, "node annotation missing device separator ':' in \""
          + GoText.abbreviate(value) + "\"");
    }
    List<GpuDevice> devices = new ArrayList<>();
    for (String segment : value.split(":", -1)) {
      if (segment.isEmpty()) {
        continue;
      }
      devices.add(decodeLegacySegment(segment, nodeName));
    }
    return List.copyOf(devices);
  }

  private static GpuDevice decodeLegacySegment(String segment, String nodeName) {
    if (segment.indexOf(',') < 0) {
      throw new HamiFormatException(KEY, nodeName, "malformed node annotation segment: \"" + GoText.abbreviate(segment)
          + "\" (expected id,count,devmem,devcore,type,numa,health[,index,mode])");
    }
    String[] f = segment.split(",", -1);
    if (f.length != 7 && f.length != 9) {
      throw new HamiFormatException(KEY, nodeName, "unexpected field count " + f.length
          + " in node annotation segment \"" + GoText.abbreviate(segment) + "\" (expected 7 or 9)");
    }
    String id = f[0];
    if (id.isEmpty()) {
      throw new HamiFormatException(KEY, nodeName, "empty device id in node annotation segment \""
          + GoText.abbreviate(segment) + "\"");
    }
    int count = legacyInt(f[1], "count", id, nodeName);
    int devmem = legacyInt(f[2], "memory", id, nodeName);
    int devcore = legacyInt(f[3], "core", id, nodeName);
    String type = f[4];
    int numa = legacyInt(f[5], "numa", id, nodeName);
    boolean health = GoBool.parse(f[6]).orElseThrow(() -> new HamiFormatException(KEY, nodeName,
        "device " + id + ": invalid health field: \"" + GoText.abbreviate(f[6]) + "\" (expected true or false)"));
    int index = 0;
    String mode = GpuDevice.MODE_HAMI_CORE;
    if (f.length == 9) {
      index = legacyInt(f[7], "index", id, nodeName);
      if (index < 0) {
        throw new HamiFormatException(KEY, nodeName, "device " + id + ": index field must not be negative: " + index);
      }
      mode = f[8];
    }
    return new GpuDevice(id, index, count, devmem, devcore, type, numa, mode, health, List.of());
  }

  private static int legacyInt(String text, String field, String id, String nodeName) {
    Integer v = GoText.parseInt32(text);
    if (v == null) {
      throw new HamiFormatException(KEY, nodeName, "device " + id + ": invalid " + field + " field: \""
          + GoText.abbreviate(text) + "\" (expected a 32-bit integer)");
    }
    return v;
  }
}
