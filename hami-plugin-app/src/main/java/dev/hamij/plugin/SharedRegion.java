package dev.hamij.plugin;

import java.util.List;

/**
 * What one container's HAMi-core shared region says (node.md §6.3–6.4): per visible device the
 * limits and the sums over its live process slots, plus the region-wide scheduling fields.
 *
 * @param lastKernelTime unix seconds of the latest kernel launch; 0 when unknown (layout V0)
 */
record SharedRegion(SharedRegionLayout layout, int minorVersion, List<Device> devices,
    int priority, int utilizationSwitch, int recentKernel, long lastKernelTime) {

  SharedRegion {
    devices = List.copyOf(devices);
  }

  /**
   * One device of the container, {@code index} being its position in the container's NVML order.
   * Byte counts are sums over the live process slots.
   */
  record Device(int index, String uuid, long limitBytes, long smLimit, long usedBytes,
      long contextBytes, long moduleBytes, long bufferBytes, long offsetBytes, long smUtilization) {}
}
