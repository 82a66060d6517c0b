package dev.hamij.nvidia;

/** Naming of the interchangeable slot IDs a GPU is split into for kubelet (node.md §2.4). */
public final class SlotIds {
  private SlotIds() {}

  /** The ID of slot {@code slot} of a GPU: {@code <uuid>-<slot>}. */
  public static String of(String gpuUuid, int slot) {
    return gpuUuid + "-" + slot;
  }

  /**
   * The physical GPU behind an ID kubelet passes: the part before {@code ::} (time-slicing replicas); else, when the
   * ID has exactly six {@code -} and ends in {@code -<integer>}, the ID without that suffix; else the ID itself.
   */
  public static String physicalDeviceId(String id) {
    int replica = id.indexOf("::");
    if (replica >= 0) {
      return id.substring(0, replica);
    }
    int dashes = 0;
    for (int i = 0; i < id.length(); i++) {
      if (id.charAt(i) == '-') {
        dashes++;
      }
    }
    int last = id.lastIndexOf('-');
    if (dashes == 6 && isInteger(id.substring(last + 1))) {
      return id.substring(0, last);
    }
    return id;
  }

  private static boolean isInteger(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!Character.isDigit(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
