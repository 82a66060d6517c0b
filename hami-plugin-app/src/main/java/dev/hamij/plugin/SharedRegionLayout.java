package dev.hamij.plugin;

/**
 * Byte offsets of HAMi-core's shared region (node.md §6.3), little-endian LP64. V1 is the canonical
 * layout of versions 1.1 and 1.2; V0 is the unversioned layout before it, recognised by size.
 */
enum SharedRegionLayout {

  V0(1_197_896, 48, 56, 1592, 1720, 1848, 1168, 40, 776, 24, 1160, -1,
      1_197_880, 1_197_884, 1_197_888, 1_197_892, -1),
  V1(2_008_952, 56, 64, 1600, 1728, 1856, 1960, 64, 1160, 48, 1928, 1936,
      2_008_896, 2_008_900, 2_008_904, 2_008_908, 2_008_912);

  static final int MAGIC = 19_920_718;
  static final int MAX_DEVICES = 16;
  static final int MAX_PROCESSES = 1024;
  static final int UUID_SLOT = 96;
  static final int UUID_LABEL_BYTES = 40;
  static final int MAJOR_OFFSET = 4;
  static final int MINOR_OFFSET = 8;

  // Offsets inside one per-device memory entry of a process slot.
  static final int USED_CONTEXT = 0;
  static final int USED_MODULE = 8;
  static final int USED_DATA = 16;
  static final int USED_OFFSET = 24;
  static final int USED_TOTAL = 32;
  /** Offset of sm_util inside one per-device utilisation entry. */
  static final int UTIL_SM = 16;
  static final int SLOT_PID = 0;
  static final int SLOT_USED = 8;

  /** sizeof(shared_region_t); the library makes the file one byte longer. */
  final int size;
  final int deviceCount;
  final int uuids;
  final int limits;
  final int smLimits;
  final int processes;
  final int slotSize;
  final int usedEntry;
  final int slotDeviceUtil;
  final int utilEntry;
  final int slotStatus;
  /** Offset of the per-slot seqlock (meaningful from minor version 2), or -1. */
  final int slotSeqlock;
  final int processCount;
  final int utilizationSwitch;
  final int recentKernel;
  final int priority;
  /** Offset of last_kernel_time, or -1 when the layout has none. */
  final int lastKernelTime;

  SharedRegionLayout(int size, int deviceCount, int uuids, int limits, int smLimits, int processes,
      int slotSize, int usedEntry, int slotDeviceUtil, int utilEntry, int slotStatus,
      int slotSeqlock, int processCount, int utilizationSwitch, int recentKernel, int priority,
      int lastKernelTime) {
    this.size = size;
    this.deviceCount = deviceCount;
    this.uuids = uuids;
    this.limits = limits;
    this.smLimits = smLimits;
    this.processes = processes;
    this.slotSize = slotSize;
    this.usedEntry = usedEntry;
    this.slotDeviceUtil = slotDeviceUtil;
    this.utilEntry = utilEntry;
    this.slotStatus = slotStatus;
    this.slotSeqlock = slotSeqlock;
    this.processCount = processCount;
    this.utilizationSwitch = utilizationSwitch;
    this.recentKernel = recentKernel;
    this.priority = priority;
    this.lastKernelTime = lastKernelTime;
  }

  int slot(int index) {
    return processes + index * slotSize;
  }
}
