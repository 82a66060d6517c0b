package dev.hamij.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Codec of the pod annotation {@code hami.io/vgpu-mig-allocations} (scheduler.md §6.2.5, node.md
 * §4.3.3): a JSON array of MIG reservations, e.g.
 * {@code [{"containerIndex":0,"deviceIndex":0,"gpuUUID":"GPU-a","profile":"1g.5gb","placement":{"start":6,"size":1}}]},
 * to which the device plugin later adds {@code migUUID}, {@code gpuInstanceID} and
 * {@code computeInstanceID}.
 *
 * <p>Decoding rejects negative indexes, an empty {@code gpuUUID} or {@code profile}, a missing
 * placement or one of size 0, a partial runtime identity (including an empty {@code migUUID}) and a
 * repeated {@code (containerIndex, deviceIndex)}; unknown keys are ignored.
 */
public final class MigAllocationsCodec {
  private MigAllocationsCodec() {}

  private static final String KEY = Annotations.MIG_ALLOCATIONS;
  private static final List<String> ALLOCATION_KEYS = List.of("containerIndex", "deviceIndex", "gpuUUID", "profile",
      "placement", "migUUID", "gpuInstanceID", "computeInstanceID");
  private static final List<String> PLACEMENT_KEYS = List.of("start", "size");

  /**
   * Encodes reservations in list order with keys in upstream order; runtime fields are written only
   * when present ({@code 0} IDs included).
   *
   * @throws HamiFormatException when a reservation could not be decoded again: an empty or
   *     negative runtime identity, or a repeated (containerIndex, deviceIndex)
   */
  public static String encode(List<MigAllocation> allocations) {
    StringBuilder out = new StringBuilder("[");
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < allocations.size(); i++) {
      MigAllocation a = allocations.get(i);
      if (!seen.add(slotKey(a))) {
        throw new HamiFormatException(KEY, a.gpuUUID(), "duplicate reservation for container " + a.containerIndex()
            + " device " + a.deviceIndex());
      }
      if (i > 0) {
        out.append(',');
      }
      out.append("{\"containerIndex\":").append(a.containerIndex())
          .append(",\"deviceIndex\":").append(a.deviceIndex())
          .append(",\"gpuUUID\":");
      GoText.appendJsonString(out, a.gpuUUID());
      out.append(",\"profile\":");
      GoText.appendJsonString(out, a.profile());
      out.append(",\"placement\":{\"start\":").append(a.placement().start())
          .append(",\"size\":").append(a.placement().size()).append('}');
      if (a.runtimeReady()) {
        if (a.migUUID().isEmpty() || a.gpuInstanceID() < 0 || a.computeInstanceID() < 0) {
          throw new HamiFormatException(KEY, a.gpuUUID(), "runtime identity needs a non-empty migUUID and"
              + " non-negative instance IDs, got " + a.migUUID() + "/" + a.gpuInstanceID() + "/" + a.computeInstanceID());
        }
        out.append(",\"migUUID\":");
        GoText.appendJsonString(out, a.migUUID());
        out.append(",\"gpuInstanceID\":").append(a.gpuInstanceID())
            .append(",\"computeInstanceID\":").append(a.computeInstanceID());
      }
      out.append('}');
    }
    return out.append(']').toString();
  }

  private static long slotKey(MigAllocation a) {
    return ((long) a.containerIndex() << 32) | a.deviceIndex();
  }

  /**
   * Decodes the annotation; {@code null}, {@code ""} and JSON {@code null} mean "no reservations".
   *
   * @param podRef {@code namespace/name} of the pod, for error messages
   * @throws HamiFormatException for invalid JSON or any rule above, naming the element
   */
  public static List<MigAllocation> decode(String value, String podRef) {
    if (value == null || value.isEmpty()) {
      return List.of();
    }
    GoJson json = new GoJson(KEY, podRef);
    List<JsonNode> elements = json.array(json.parse(value), "MIG allocations");
    List<MigAllocation> out = new ArrayList<>(elements.size());
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < elements.size(); i++) {
      String where = "allocation " + i;
      Map<String, JsonNode> f = json.fields(elements.get(i), where, ALLOCATION_KEYS);
      int container = (int) json.integer(f, "containerIndex", where, 0, Integer.MAX_VALUE);
      int device = (int) json.integer(f, "deviceIndex", where, 0, Integer.MAX_VALUE);
      String gpu = json.string(f, "gpuUUID", where);
      String profile = json.string(f, "profile", where);
      if (gpu.isEmpty() || profile.isEmpty()) {
        throw json.error(where + ": gpuUUID and profile must not be empty");
      }
      if (!f.containsKey("placement")) {
        throw json.error(where + ": placement is missing");
      }
      Map<String, JsonNode> pf = json.fields(f.get("placement"), where + " placement", PLACEMENT_KEYS);
      int start = (int) json.integer(pf, "start", where + " placement", 0, Integer.MAX_VALUE);
      int size = (int) json.integer(pf, "size", where + " placement", 0, Integer.MAX_VALUE);
      if (size == 0) {
        throw json.error(where + ": placement size must be positive");
      }
      boolean hasUuid = f.containsKey("migUUID");
      String migUuid = hasUuid ? json.string(f, "migUUID", where) : null;
      Integer gi = f.containsKey("gpuInstanceID") ? (int) json.integer(f, "gpuInstanceID", where, 0, Integer.MAX_VALUE) : null;
      Integer ci = f.containsKey("computeInstanceID")
          ? (int) json.integer(f, "computeInstanceID", where, 0, Integer.MAX_VALUE) : null;
      boolean any = hasUuid || gi != null || ci != null;
      if (any && (migUuid == null || migUuid.isEmpty() || gi == null || ci == null)) {
        throw json.error(where + ": runtime identity must be complete (non-empty migUUID, gpuInstanceID,"
            + " computeInstanceID) or absent");
      }
      MigAllocation a = new MigAllocation(container, device, gpu, profile, new Placement(start, size), migUuid, gi, ci);
      if (!seen.add(slotKey(a))) {
        throw json.error(where + ": duplicate reservation for container " + container + " device " + device);
      }
      out.add(a);
    }
    return List.copyOf(out);
  }
}
