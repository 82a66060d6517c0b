package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.plugin.RegionFileBuilder.Usage;
import dev.hamij.plugin.SharedRegionReader.InvalidRegionException;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SharedRegionReaderTest {

  private static final String GPU_A = "GPU-8e2b1c7d-0000-1111-2222-333344445555";
  private static final String GPU_B = "GPU-1c7d8e2b-6666-7777-8888-999900001111";
  private static final long GIB = 1L << 30;

  @TempDir Path temp;

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void readsVersionOneSummingTheLiveProcessSlotsPerDevice(int minor) throws Exception {
    Path file = RegionFileBuilder.v1(minor)
        .device(GPU_A, 3 * GIB, 30)
        .device(GPU_B, 5 * GIB, 30)
        .process(101, 1, new Usage(100, 10, 20, 60, 5, 40), new Usage(7, 1, 2, 4, 0, 3))
        .process(102, 2, new Usage(50, 5, 10, 30, 1, 15), Usage.of(0, 0))
        .process(103, 0, new Usage(999, 999, 999, 999, 999, 999), Usage.of(999, 999)) // exited
        .scheduling(0, 1, 2)
        .lastKernelTime(1_767_225_600L)
        .writeTo(temp.resolve("r.cache"));

    SharedRegion region = read(file);

    assertThat(region.layout()).isEqualTo(SharedRegionLayout.V1);
    assertThat(region.minorVersion()).isEqualTo(minor);
    assertThat(region.priority()).isZero();
    assertThat(region.utilizationSwitch()).isEqualTo(1);
    assertThat(region.recentKernel()).isEqualTo(2);
    assertThat(region.lastKernelTime()).isEqualTo(1_767_225_600L);
    assertThat(region.devices()).containsExactly(
        new SharedRegion.Device(0, GPU_A, 3 * GIB, 30, 150, 15, 30, 90, 6, 55),
        new SharedRegion.Device(1, GPU_B, 5 * GIB, 30, 7, 1, 2, 4, 0, 3));
  }

  @Test
  void readsVersionZeroByItsSize() throws Exception {
    Path file = RegionFileBuilder.v0()
        .device(GPU_A, 2 * GIB, 50)
        .process(7, 1, new Usage(1000, 100, 200, 700, 0, 12))
        .process(8, 1, new Usage(24, 4, 4, 16, 0, 1))
        .scheduling(1, 0, -1)
        .writeTo(temp.resolve("r.cache"));

    SharedRegion region = read(file);

    assertThat(region.layout()).isEqualTo(SharedRegionLayout.V0);
    assertThat(region.lastKernelTime()).isZero();
    assertThat(region.recentKernel()).isEqualTo(-1);
    assertThat(region.devices()).containsExactly(new SharedRegion.Device(0, GPU_A, 2 * GIB, 50, 1024, 104, 204, 716, 0, 13));
  }

  @Test
  void onlyTheFirstProcNumSlotsCount() throws Exception {
    Path file = RegionFileBuilder.v1(2)
        .device(GPU_A, GIB, 0)
        .process(1, 1, Usage.of(10, 1))
        .process(2, 1, Usage.of(20, 2))
        .processCount(1)
        .writeTo(temp.resolve("r.cache"));

    assertThat(read(file).devices()).singleElement()
        .satisfies(d -> assertThat(d.usedBytes()).isEqualTo(10));
  }

  /** 42: a stable slot; 43: a slot whose writer died mid-update, which must not hang the reader. */
  @ParameterizedTest
  @ValueSource(longs = {42, 43})
  void readsASlotWhateverItsSeqlockSays(long seqlock) throws Exception {
    Path file = RegionFileBuilder.v1(2).device(GPU_A, GIB, 0)
        .processWithSeqlock(1, 1, seqlock, Usage.of(64, 1))
        .writeTo(temp.resolve("r.cache"));
    assertThat(read(file).devices().get(0).usedBytes()).isEqualTo(64);
  }

  @Test
  void refusesWhatIsNotASaneRegionNamingTheField() throws Exception {
    assertRefused(RegionFileBuilder.v1(1).magic(7).build(),
        "initialized_flag is 7, not 19920718 (not a HAMi-core shared region, or not initialised yet)");
    assertRefused(RegionFileBuilder.v1(3).device(GPU_A, 1, 1).build(),
        "minor_version 3 of major version 1 is unknown; only 1.1 and 1.2 are understood");
    assertRefused(RegionFileBuilder.v1(1).major(2).build(),
        "unknown shared region: 2008953 bytes, major_version 2");
    assertRefused(RegionFileBuilder.v1(2).deviceCount(17).build(), "device_num 17 is outside 0..16");
    assertRefused(RegionFileBuilder.v1(2).processCount(1025).build(), "proc_num 1025 is outside 0..1024");
    assertRefused(RegionFileBuilder.v0().processCount(-1).build(), "proc_num -1 is outside 0..1024");
    assertRefused(RegionFileBuilder.v1(2).device("NVIDIA A100", 1, 1).build(),
        "uuids[0] is 'NVIDIA A100', not a GPU- or MIG- UUID (an unknown layout?)");
    assertRefused(RegionFileBuilder.v1(2).device("GPU-\u00ff\u00fe", 1, 1).build(), "uuids[0] is not valid UTF-8");
    assertRefused(Arrays.copyOf(RegionFileBuilder.v1(2).build(), 8), "file is 8 bytes, too short for a shared region");
    assertRefused(Arrays.copyOf(RegionFileBuilder.v1(2).build(), 4096), "unknown shared region: 4096 bytes, major_version 1");
  }

  @Test
  void refusesTheIncompatibleIntermediateLayoutInsteadOfReadingGarbage() throws Exception {
    byte[] bytes = RegionFileBuilder.v1(1).intermediateLayout()
        .device(GPU_A, 3 * GIB, 30).process(1, 1, Usage.of(100, 5)).build();
    Path file = Files.write(temp.resolve("r.cache"), bytes);
    assertThatThrownBy(() -> read(file)).isInstanceOf(InvalidRegionException.class)
        .hasMessage("uuids[0] is empty although device_num is 1 (the incompatible 1.1 layout of"
            + " HAMi-core 2026-01..04, or a region still being initialised)");
  }

  @Test
  void aVersionOnePointTwoRegionMayListADeviceWithoutUuid() throws Exception {
    Path file = RegionFileBuilder.v1(2).device("", 0, 0).device(GPU_B, GIB, 0)
        .process(1, 1, Usage.of(1, 0), Usage.of(2, 0)).writeTo(temp.resolve("r.cache"));
    assertThat(read(file).devices()).extracting(SharedRegion.Device::index).containsExactly(1);
  }

  private void assertRefused(byte[] content, String message) throws IOException {
    Path file = Files.write(temp.resolve("bad.cache"), content);
    assertThatThrownBy(() -> read(file)).isInstanceOf(InvalidRegionException.class).hasMessage(message);
  }

  private static SharedRegion read(Path file) throws IOException, InvalidRegionException {
    long size = Files.size(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_ONLY, 0,
          Math.min(size, SharedRegionLayout.V1.size));
      return SharedRegionReader.read(buffer, SharedRegionReader.layoutOf(buffer, size));
    }
  }
}
