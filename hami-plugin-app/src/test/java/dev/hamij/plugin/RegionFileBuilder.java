package dev.hamij.plugin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes HAMi-core shared-region files byte for byte as the C library lays them out (node.md §6.3).
 * The offsets here are typed in from the specification's tables on purpose, independently of the
 * reader's {@link SharedRegionLayout}.
 */
final class RegionFileBuilder {

  /** Per-device counters of one process slot. */
  record Usage(long total, long context, long module, long data, long offset, long smUtil) {
    static Usage of(long total, long smUtil) {
      return new Usage(total, total / 8, total / 4, total / 2, 0, smUtil);
    }
  }

  private record Process(int pid, int status, long seqlock, Usage[] usage) {}

  private final boolean v0;
  private final int minor;
  private final List<String> uuids = new ArrayList<>();
  private final List<long[]> limits = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private Long deviceCount;
  private Integer processCount;
  private int priority = 1;
  private int utilizationSwitch = 1;
  private int recentKernel = 2;
  private long lastKernelTime;
  private int magic = 19_920_718;
  private int major = 1;
  private int shift;

  private RegionFileBuilder(boolean v0, int minor) {
    this.v0 = v0;
    this.minor = minor;
  }

  /** Format v1 with minor version 1 or 2. */
  static RegionFileBuilder v1(int minor) {
    return new RegionFileBuilder(false, minor);
  }

  /** The unversioned format v0. */
  static RegionFileBuilder v0() {
    return new RegionFileBuilder(true, 0);
  }

  RegionFileBuilder device(String uuid, long limitBytes, long smLimit) {
    uuids.add(uuid);
    limits.add(new long[] {limitBytes, smLimit});
    return this;
  }

  RegionFileBuilder process(int pid, int status, Usage... perDevice) {
    processes.add(new Process(pid, status, 2, perDevice));
    return this;
  }

  RegionFileBuilder processWithSeqlock(int pid, int status, long seqlock, Usage... perDevice) {
    processes.add(new Process(pid, status, seqlock, perDevice));
    return this;
  }

  RegionFileBuilder deviceCount(long count) {
    deviceCount = count;
    return this;
  }

  RegionFileBuilder processCount(int count) {
    processCount = count;
    return this;
  }

  RegionFileBuilder scheduling(int priority, int utilizationSwitch, int recentKernel) {
    this.priority = priority;
    this.utilizationSwitch = utilizationSwitch;
    this.recentKernel = recentKernel;
    return this;
  }

  RegionFileBuilder lastKernelTime(long unixSeconds) {
    lastKernelTime = unixSeconds;
    return this;
  }

  RegionFileBuilder magic(int value) {
    magic = value;
    return this;
  }

  RegionFileBuilder major(int value) {
    major = value;
    return this;
  }

  /**
   * The incompatible intermediate 1.1 layout of HAMi-core 2026-01..04 (shipped in HAMi v2.8.1):
   * everything from {@code device_num} on moved 32 bytes further, same total size.
   */
  RegionFileBuilder intermediateLayout() {
    shift = 32;
    return this;
  }

  byte[] build() {
    int size = v0 ? 1_197_896 : 2_008_952;
    ByteBuffer b = ByteBuffer.allocate(size + 1).order(ByteOrder.LITTLE_ENDIAN);
    int deviceNum = v0 ? 48 : 56 + shift;
    int uuidBase = v0 ? 56 : 64 + shift;
    int limitBase = v0 ? 1592 : 1600 + shift;
    int smLimitBase = v0 ? 1720 : 1728 + shift;
    int procBase = v0 ? 1848 : 1856 + shift;
    int slotSize = v0 ? 1168 : 1960;
    int usedEntry = v0 ? 40 : 64;
    int utilBase = v0 ? 776 : 1160;
    int utilEntry = v0 ? 24 : 48;
    int statusOffset = v0 ? 1160 : 1928;
    int tail = v0 ? 1_197_880 : 2_008_896;

    b.putInt(0, magic);
    if (!v0) {
      b.putInt(4, major);
      b.putInt(8, minor);
    }
    if (shift > 0) {
      b.putLong(56, 1); // the inserted sem_postinit: a process-shared glibc sem_t holding the value 1
    }
    b.putLong(deviceNum, deviceCount != null ? deviceCount : uuids.size());
    for (int i = 0; i < uuids.size(); i++) {
      byte[] uuid = uuids.get(i).getBytes(StandardCharsets.ISO_8859_1);
      b.put(uuidBase + 96 * i, uuid);
      b.putLong(limitBase + 8 * i, limits.get(i)[0]);
      b.putLong(smLimitBase + 8 * i, limits.get(i)[1]);
    }
    for (int p = 0; p < processes.size() && procBase + (p + 1) * slotSize <= tail; p++) {
      Process process = processes.get(p);
      int slot = procBase + p * slotSize;
      b.putInt(slot, process.pid());
      b.putInt(slot + statusOffset, process.status());
      if (!v0) {
        b.putLong(slot + 1936, process.seqlock());
      }
      for (int d = 0; d < process.usage().length; d++) {
        Usage u = process.usage()[d];
        int used = slot + 8 + d * usedEntry;
        b.putLong(used, u.context());
        b.putLong(used + 8, u.module());
        b.putLong(used + 16, u.data());
        b.putLong(used + 24, u.offset());
        b.putLong(used + 32, u.total());
        b.putLong(slot + utilBase + d * utilEntry + 16, u.smUtil());
      }
    }
    b.putInt(tail, processCount != null ? processCount : processes.size());
    b.putInt(tail + 4, utilizationSwitch);
    b.putInt(tail + 8, recentKernel);
    b.putInt(tail + 12, priority);
    if (!v0) {
      b.putLong(tail + 16, lastKernelTime);
    }
    return b.array();
  }

  Path writeTo(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, build());
  }
}
