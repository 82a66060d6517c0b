package dev.hamij.api;

import java.util.ArrayList;
import java.util.List;

/**
 * Codec of the pod annotations {@code hami.io/vgpu-devices-to-allocate} and
 * {@code hami.io/vgpu-devices-allocated} (scheduler.md §3.2, node.md §2.7.1).
 *
 * <p>Grammar: one entry per container (init containers first), each terminated by {@code ;}; inside
 * an entry each device {@code uuid,type,usedmem,usedcores} is terminated by {@code :}. Example for
 * containers {@code [no GPU, 1 GPU, 2 GPUs]}:
 * {@code ;GPU-a,NVIDIA,1000,30:;GPU-a,NVIDIA,2000,20:GPU-b,NVIDIA,2000,20:;}.
 *
 * <p>Decoding follows HEAD: entries are split on {@code ;} keeping empty ones (so container indexes
 * are preserved), pieces without {@code ,} are ignored, a piece with fewer than four fields is an
 * error, extra fields are ignored, numbers are int32. Two deliberate, documented refinements: the
 * phantom empty entry after the final {@code ;} terminator is not materialised (so
 * {@code decode(encode(p))} has exactly the containers of {@code p}, and {@code ""} is a pod with no
 * containers), and the v2.5 placeholder device {@code ,,0,0} is read as "no device".
 */
public final class PodDevicesCodec {
  private PodDevicesCodec() {}

  private static final String FORMAT_ERROR = "pod annotation format error, missing fields, do not use nodeName in task spec";

  /**
   * Encodes the pod's devices byte-for-byte as upstream does.
   *
   * @throws HamiFormatException when a uuid or type contains {@code , : ;} (it would not decode)
   */
  public static String encode(PodDevices devices) {
    StringBuilder out = new StringBuilder();
    for (List<ContainerDevice> container : devices.containers()) {
      for (ContainerDevice d : container) {
        requireSafe(d, "uuid", d.uuid());
        requireSafe(d, "type", d.type());
        out.append(d.uuid()).append(',').append(d.type()).append(',').append(d.usedmem()).append(',')
            .append(d.usedcores()).append(':');
      }
      out.append(';');
    }
    return out.toString();
  }

  private static void requireSafe(ContainerDevice d, String field, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ',' || c == ':' || c == ';') {
        throw new HamiFormatException(Annotations.DEVICES_TO_ALLOCATE, d.uuid(),
            "device " + field + " must not contain ',', ':' or ';', got \"" + value + "\"");
      }
    }
  }

  /**
   * Decodes {@code hami.io/vgpu-devices-allocated}; see {@link #decode(String, String, String)}.
   */
  public static PodDevices decode(String value, String podRef) {
    return decode(value, podRef, Annotations.DEVICES_ALLOCATED);
  }

  /**
   * Decodes a pod-devices value read from {@code annotationKey}.
   *
   * @param value the annotation value; {@code null} or {@code ""} is a pod with no containers
   * @param podRef {@code namespace/name} of the pod, for error messages
   * @param annotationKey the annotation the value came from, for error messages
   * @throws HamiFormatException for a device with fewer than four fields, an empty uuid, or a
   *     memory/cores field that is not a non-negative int32
   */
  public static PodDevices decode(String value, String podRef, String annotationKey) {
    if (value == null || value.isEmpty()) {
      return PodDevices.empty();
    }
    String[] entries = value.split(";", -1);
    int count = value.endsWith(";") ? entries.length - 1 : entries.length;
    List<List<ContainerDevice>> containers = new ArrayList<>(count);
    for (int c = 0; c < count; c++) {
      containers.add(decodeContainer(entries[c], c, podRef, annotationKey));
    }
    return new PodDevices(containers);
  }

  private static List<ContainerDevice> decodeContainer(String entry, int container, String podRef, String key) {
    List<ContainerDevice> devices = new ArrayList<>();
    for (String piece : entry.split(":", -1)) {
      if (piece.indexOf(',') < 0) {
        continue;
      }
      String[] f = piece.split(",", -1);
      String where = "container " + container + " device \"" + GoText.abbreviate(piece) + "\"";
      if (f.length < 4) {
        throw new HamiFormatException(key, podRef, FORMAT_ERROR + " (" + where + " has " + f.length
            + " fields, expected uuid,type,usedmem,usedcores)");
      }
      int mem = nonNegative(f[2], "usedmem", where, podRef, key);
      int cores = nonNegative(f[3], "usedcores", where, podRef, key);
      if (f[0].isEmpty()) {
        if (mem == 0 && cores == 0) {
          continue; // v2.5 placeholder for a container without devices
        }
        throw new HamiFormatException(key, podRef, where + ": empty device uuid");
      }
      devices.add(new ContainerDevice(f[0], f[1], mem, cores));
    }
    return devices;
  }

  private static int nonNegative(String text, String field, String where, String podRef, String key) {
    Integer v = GoText.parseInt32(text);
    if (v == null || v < 0) {
      throw new HamiFormatException(key, podRef, where + ": " + field + " must be a non-negative 32-bit integer, got \""
          + GoText.abbreviate(text) + "\"");
    }
    return v;
  }
}
