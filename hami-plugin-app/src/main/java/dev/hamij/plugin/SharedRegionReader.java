package dev.hamij.plugin;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a HAMi-core shared region from a buffer that maps the whole file (node.md §6.2–6.4).
 * 32- and 64-bit fields are read with acquire semantics, so a counter another process updates is
 * never torn; slots of a version 1.2 region are read consistently through their seqlock. Anything
 * that is not a sane region of a known layout is refused with a message naming the field.
 */
final class SharedRegionReader {

  private static final VarHandle INT =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int SEQLOCK_ATTEMPTS = 1000;
  private static final int MINIMUM_FILE_SIZE = 12;

  private SharedRegionReader() {}

  /** The layout of a region file of {@code fileSize} bytes whose first bytes are in {@code region}. */
  static SharedRegionLayout layoutOf(ByteBuffer region, long fileSize) throws InvalidRegionException {
    if (fileSize < MINIMUM_FILE_SIZE) {
      throw new InvalidRegionException("file is " + fileSize + " bytes, too short for a shared region");
    }
    int magic = (int) INT.getAcquire(region, 0);
    if (magic != SharedRegionLayout.MAGIC) {
      throw new InvalidRegionException("initialized_flag is " + magic + ", not " + SharedRegionLayout.MAGIC
          + " (not a HAMi-core shared region, or not initialised yet)");
    }
    if (fileSize >= SharedRegionLayout.V0.size && fileSize < SharedRegionLayout.V1.size) {
      return SharedRegionLayout.V0;
    }
    int major = (int) INT.getAcquire(region, SharedRegionLayout.MAJOR_OFFSET);
    if (major == 1 && fileSize >= SharedRegionLayout.V1.size) {
      return SharedRegionLayout.V1;
    }
    throw new InvalidRegionException("unknown shared region: " + fileSize + " bytes, major_version " + major);
  }

  /** Decodes {@code region}, which must cover at least {@code layout.size} bytes. */
  static SharedRegion read(ByteBuffer region, SharedRegionLayout layout) throws InvalidRegionException {
    int minor = 0;
    if (layout == SharedRegionLayout.V1) {
      minor = (int) INT.getAcquire(region, SharedRegionLayout.MINOR_OFFSET);
      if (minor != 1 && minor != 2) {
        throw new InvalidRegionException("minor_version " + minor + " of major version 1 is unknown;"
            + " only 1.1 and 1.2 are understood");
      }
    }
    long deviceCount = (long) LONG.getAcquire(region, layout.deviceCount);
    if (deviceCount < 0 || deviceCount > SharedRegionLayout.MAX_DEVICES) {
      throw new InvalidRegionException("device_num " + deviceCount + " is outside 0.."
          + SharedRegionLayout.MAX_DEVICES);
    }
    int processCount = (int) INT.getAcquire(region, layout.processCount);
    if (processCount < 0 || processCount > SharedRegionLayout.MAX_PROCESSES) {
      throw new InvalidRegionException("proc_num " + processCount + " is outside 0.."
          + SharedRegionLayout.MAX_PROCESSES);
    }
    String[] uuids = new String[(int) deviceCount];
    for (int i = 0; i < deviceCount; i++) {
      uuids[i] = uuid(region, layout, i);
      if (uuids[i].isEmpty() && layout == SharedRegionLayout.V1 && minor == 1) {
        throw new InvalidRegionException("uuids[" + i + "] is empty although device_num is " + deviceCount
            + " (the incompatible 1.1 layout of HAMi-core 2026-01..04, or a region still being initialised)");
      }
    }
    long[][] sums = new long[(int) deviceCount][6];
    boolean seqlock = layout == SharedRegionLayout.V1 && minor == 2;
    for (int slot = 0; slot < processCount; slot++) {
      addSlot(region, layout, slot, seqlock, sums);
    }
    List<SharedRegion.Device> devices = new ArrayList<>();
    for (int i = 0; i < deviceCount; i++) {
      if (!uuids[i].isEmpty()) {
        long[] s = sums[i];
        devices.add(new SharedRegion.Device(i, uuids[i],
            (long) LONG.getAcquire(region, layout.limits + 8 * i),
            (long) LONG.getAcquire(region, layout.smLimits + 8 * i),
            s[0], s[1], s[2], s[3], s[4], s[5]));
      }
    }
    return new SharedRegion(layout, minor, devices,
        (int) INT.getAcquire(region, layout.priority),
        (int) INT.getAcquire(region, layout.utilizationSwitch),
        (int) INT.getAcquire(region, layout.recentKernel),
        layout.lastKernelTime < 0 ? 0 : (long) LONG.getAcquire(region, layout.lastKernelTime));
  }

  /** The device's UUID (its first 40 bytes, up to the first NUL); empty when the slot is unused. */
  private static String uuid(ByteBuffer region, SharedRegionLayout layout, int device)
      throws InvalidRegionException {
    int start = layout.uuids + device * SharedRegionLayout.UUID_SLOT;
    int length = 0;
    while (length < SharedRegionLayout.UUID_LABEL_BYTES && region.get(start + length) != 0) {
      length++;
    }
    byte[] bytes = new byte[length];
    region.get(start, bytes);
    String uuid;
    try {
      uuid = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new InvalidRegionException("uuids[" + device + "] is not valid UTF-8");
    }
    if (!uuid.isEmpty() && !uuid.startsWith("GPU-") && !uuid.startsWith("MIG-")) {
      throw new InvalidRegionException("uuids[" + device + "] is '" + printable(uuid)
          + "', not a GPU- or MIG- UUID (an unknown layout?)");
    }
    return uuid;
  }

  /** Adds one live slot's counters to {@code sums}: total, context, module, data, offset, sm. */
  private static void addSlot(ByteBuffer region, SharedRegionLayout layout, int slot, boolean seqlock,
      long[][] sums) {
    int base = layout.slot(slot);
    long[][] values = new long[sums.length][6];
    int status;
    int attempts = 0;
    while (true) {
      long before = seqlock ? (long) LONG.getAcquire(region, base + layout.slotSeqlock) : 0;
      status = (int) INT.getAcquire(region, base + layout.slotStatus);
      for (int device = 0; device < sums.length; device++) {
        int used = base + SharedRegionLayout.SLOT_USED + device * layout.usedEntry;
        int util = base + layout.slotDeviceUtil + device * layout.utilEntry;
        long[] v = values[device];
        v[0] = (long) LONG.getAcquire(region, used + SharedRegionLayout.USED_TOTAL);
        v[1] = (long) LONG.getAcquire(region, used + SharedRegionLayout.USED_CONTEXT);
        v[2] = (long) LONG.getAcquire(region, used + SharedRegionLayout.USED_MODULE);
        v[3] = (long) LONG.getAcquire(region, used + SharedRegionLayout.USED_DATA);
        v[4] = (long) LONG.getAcquire(region, used + SharedRegionLayout.USED_OFFSET);
        v[5] = (long) LONG.getAcquire(region, util + SharedRegionLayout.UTIL_SM);
      }
      if (!seqlock) {
        break;
      }
      VarHandle.acquireFence();
      long after = (long) LONG.getAcquire(region, base + layout.slotSeqlock);
      if ((before & 1) == 0 && before == after) {
        break;
      }
      if (++attempts == SEQLOCK_ATTEMPTS) {
        break; // a writer died mid-update: its counters are as good as they get
      }
      Thread.onSpinWait();
    }
    if (status == 0) {
      return;
    }
    for (int device = 0; device < sums.length; device++) {
      for (int k = 0; k < 6; k++) {
        sums[device][k] += values[device][k];
      }
    }
  }

  private static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (char c : text.toCharArray()) {
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString();
  }

  /** A file that is not a readable shared region; the message names the offending field. */
  static final class InvalidRegionException extends Exception {
    InvalidRegionException(String message) {
      super(message);
    }
  }
}
