package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.testing.Fuzz;
import dev.hamij.api.testing.Gen;
import dev.hamij.plugin.SharedRegionReader.InvalidRegionException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the shared-region reader the way {@link NodeMonitor} calls it (layout from the file size,
 * then a full read of a buffer covering at most the v1 size) on region files of every layout built
 * byte for byte by {@link RegionFileBuilder}, damaged by edits aimed at the fields the reader
 * trusts (magic, versions, device and process counts, UUID labels, slot status and seqlock) and
 * anywhere else, and by truncation to every size class. Each file reads, or is refused with an
 * {@link InvalidRegionException} naming the field — never another exception, never a hang.
 */
class SharedRegionFuzzTest {
  /** Valid region images the edits start from; edits are applied in place and undone after each input. */
  private static final List<byte[]> BASES = bases();
  private static final long[] EDGES = {0, 1, -1, 2, 15, 16, 17, 1023, 1024, 1025, Integer.MAX_VALUE,
      Integer.MIN_VALUE, 0xFFFFFFFFL, Long.MAX_VALUE, Long.MIN_VALUE, SharedRegionLayout.MAGIC};

  /** One damaged file: the base image, byte edits and the file length. */
  record Damage(int base, List<int[]> offsetsAndValues, long length) {
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder("base " + base + ", length " + length + ", edits");
      for (int[] e : offsetsAndValues) {
        b.append(String.format(Locale.ROOT, " [%d]=%02x", e[0], e[1] & 0xff));
      }
      return b.toString();
    }
  }

  private static List<byte[]> bases() {
    List<byte[]> out = new ArrayList<>();
    RegionFileBuilder.Usage u = RegionFileBuilder.Usage.of(1L << 30, 40);
    out.add(RegionFileBuilder.v0().device("GPU-aaaa", 8L << 30, 50).process(11, 1, u).build());
    for (int minor : new int[] {1, 2}) {
      out.add(RegionFileBuilder.v1(minor).device("GPU-aaaa", 8L << 30, 50).device("MIG-bbbb", 4L << 30, 25)
          .process(11, 1, u, u).process(12, 0, u, u).process(13, 1, u, u).lastKernelTime(1_700_000_000).build());
    }
    out.add(RegionFileBuilder.v1(1).intermediateLayout().device("GPU-cccc", 1L << 30, 100).process(7, 1, u).build());
    return out;
  }

  /** Offsets the reader trusts, for layout {@code l}. */
  private static int[] interestingOffsets(SharedRegionLayout l) {
    return new int[] {0, SharedRegionLayout.MAJOR_OFFSET, SharedRegionLayout.MINOR_OFFSET, l.deviceCount,
        l.deviceCount + 4, l.uuids, l.uuids + 3, l.uuids + 39, l.uuids + SharedRegionLayout.UUID_SLOT,
        l.processCount, l.processCount + 2, l.slot(0) + l.slotStatus, l.slot(1) + l.slotStatus,
        l.slotSeqlock < 0 ? 0 : l.slot(0) + l.slotSeqlock, l.limits, l.priority};
  }

  private static Gen<Damage> damage() {
    return (r, size) -> {
      int base = r.nextInt(BASES.size());
      byte[] image = BASES.get(base);
      SharedRegionLayout layout = base == 0 ? SharedRegionLayout.V0 : SharedRegionLayout.V1;
      int[] hot = interestingOffsets(layout);
      List<int[]> edits = new ArrayList<>();
      for (int e = 0, n = 1 + r.nextInt(1 + size / 3); e < n; e++) {
        int at = switch (r.nextInt(4)) {
          case 0, 1 -> hot[r.nextInt(hot.length)] + (r.nextInt(4) == 0 ? r.nextInt(8) : 0);
          case 2 -> r.nextInt(4096);
          default -> r.nextInt(image.length);
        };
        switch (r.nextInt(4)) {
          case 0 -> { // little-endian edge word
            long v = EDGES[r.nextInt(EDGES.length)];
            for (int k = 0, w = r.nextBoolean() ? 4 : 8; k < w; k++) {
              edits.add(new int[] {at + k, (int) (v >>> (8 * k)) & 0xff});
            }
          }
          case 1 -> edits.add(new int[] {at, image[Math.min(at, image.length - 1)] ^ (1 << r.nextInt(8))});
          case 2 -> { // UTF-8 troublemakers in a UUID label
            int[] bytes = {0xC3, 0x28, 0xED, 0xA0, 0x80, 0xF8, 0xFF, 0x00, 'G', 'M', '-'};
            edits.add(new int[] {at, bytes[r.nextInt(bytes.length)]});
          }
          default -> edits.add(new int[] {at, r.nextInt(256)});
        }
      }
      long[] lengths = {image.length, image.length - 1, SharedRegionLayout.V1.size, SharedRegionLayout.V1.size - 1,
          SharedRegionLayout.V0.size, SharedRegionLayout.V0.size - 1, 12, 11, 4, 0, r.nextInt(image.length + 1)};
      long length = r.nextInt(3) == 0 ? lengths[r.nextInt(lengths.length)] : image.length;
      return new Damage(base, edits, Math.min(length, image.length));
    };
  }

  @Test
  void damagedRegionFilesReadOrAreRefusedNamingTheField() {
    Fuzz.of("plugin shared-region files", damage()).inputs(20_000)
        .run(InvalidRegionException.class, SharedRegionFuzzTest::read, e -> assertThat(e.getMessage())
            .containsAnyOf("initialized_flag", "too short", "unknown shared region", "minor_version", "device_num",
                "proc_num", "uuids["));
  }

  /** Applies the edits in place, reads as {@link NodeMonitor} does, and restores the image. */
  private static void read(Damage d) throws InvalidRegionException {
    byte[] image = BASES.get(d.base());
    List<int[]> edits = d.offsetsAndValues().stream().filter(e -> e[0] >= 0 && e[0] < image.length).toList();
    byte[] saved = new byte[edits.size()];
    for (int i = 0; i < edits.size(); i++) {
      saved[i] = image[edits.get(i)[0]];
      image[edits.get(i)[0]] = (byte) edits.get(i)[1];
    }
    try {
      ByteBuffer buffer = ByteBuffer.wrap(image, 0, (int) Math.min(d.length(), SharedRegionLayout.V1.size)).slice();
      SharedRegion region = SharedRegionReader.read(buffer, SharedRegionReader.layoutOf(buffer, d.length()));
      assertThat(region.devices()).hasSizeLessThanOrEqualTo(SharedRegionLayout.MAX_DEVICES);
    } finally {
      for (int i = edits.size() - 1; i >= 0; i--) {
        image[edits.get(i)[0]] = saved[i];
      }
    }
  }

  /** The bases themselves read, except the intermediate layout, which is refused by design (the fuzz starts from both paths). */
  @Test
  void basesReadExceptTheIntermediateLayout() throws InvalidRegionException {
    for (int i = 0; i < BASES.size(); i++) {
      byte[] image = BASES.get(i);
      ByteBuffer buffer = ByteBuffer.wrap(image, 0, Math.min(image.length, SharedRegionLayout.V1.size)).slice();
      SharedRegionLayout layout = SharedRegionReader.layoutOf(buffer, image.length);
      if (i == 3) {
        assertThatThrownBy(() -> SharedRegionReader.read(buffer, layout)).isInstanceOf(InvalidRegionException.class);
      } else {
        assertThat(SharedRegionReader.read(buffer, layout).devices()).isNotEmpty();
      }
    }
  }
}
