package dev.hamij.plugin;

/** Advertised slot IDs of HAMi's hami-core mode (node.md §2.4). */
final class SlotIds {

  private SlotIds() {}

  /**
   * The physical device behind an advertised ID: the part before {@code ::} (time-slicing
   * replicas); else, for an ID with exactly six {@code -} whose last part is an integer
   * ({@code GPU-<uuid>-<slot>}), the ID without that suffix; else the ID itself.
   */
  static String physicalDeviceId(String id) {
    int replica = id.indexOf("::");
    if (replica >= 0) {
      return id.substring(0, replica);
    }
    int last = id.lastIndexOf('-');
    if (id.chars().filter(c -> c == '-').count() == 6 && isInteger(id.substring(last + 1))) {
      return id.substring(0, last);
    }
    return id;
  }

  private static boolean isInteger(String text) {
    if (text.isEmpty()) {
      return false;
    }
    try {
      Long.parseLong(text);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
