package dev.hamij.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import dev.hamij.nvml.NvmlStructs.ComputeInstanceInfoT;
import dev.hamij.nvml.NvmlStructs.ComputeInstanceProfileInfoT;
import dev.hamij.nvml.NvmlStructs.EventDataT;
import dev.hamij.nvml.NvmlStructs.GpuInstanceInfoT;
import dev.hamij.nvml.NvmlStructs.GpuInstanceProfileInfoT;
import dev.hamij.nvml.NvmlStructs.GpuInstanceProfileInfoV2T;
import dev.hamij.nvml.NvmlStructs.MemoryT;
import dev.hamij.nvml.NvmlStructs.PciInfoT;
import dev.hamij.nvml.NvmlStructs.PlacementT;
import dev.hamij.nvml.NvmlStructs.ProcessInfoT;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JnaNvmlTest {
  private static final String MISSING_LIBRARY = "libnvidia-ml-hamij-test-missing.so.1";

  @Test
  void structSizesMatchTheHeader() {
    assertThat(new MemoryT().size()).isEqualTo(24);
    assertThat(new PciInfoT().size()).isEqualTo(68);
    assertThat(new ProcessInfoT().size()).isEqualTo(24);
    assertThat(new PlacementT().size()).isEqualTo(8);
    assertThat(new GpuInstanceProfileInfoT().size()).isEqualTo(48);
    assertThat(new GpuInstanceProfileInfoV2T().size()).isEqualTo(152);
    assertThat(new GpuInstanceInfoT().size()).isEqualTo(24);
    assertThat(new ComputeInstanceProfileInfoT().size()).isEqualTo(36);
    assertThat(new ComputeInstanceInfoT().size()).isEqualTo(32);
    assertThat(new EventDataT().size()).isEqualTo(32);
  }

  @Test
  void fieldsSitAtTheHeaderOffsets() {
    Memory m = new Memory(160);
    m.clear();
    m.setLong(8, 0x8L);
    m.setLong(16, 79);
    m.setInt(24, 7);
    m.setInt(28, 0);
    EventDataT event = read(EventDataT.class, m);
    assertThat(event.eventType).isEqualTo(0x8L);
    assertThat(event.eventData).isEqualTo(79);
    assertThat(event.gpuInstanceId).isEqualTo(7);

    m.clear();
    m.setInt(0, 0x02000098);
    m.setInt(4, 19);
    m.setInt(40, 3);
    m.setLong(48, 4864);
    m.setString(56, "MIG 1g.5gb", "US-ASCII");
    GpuInstanceProfileInfoV2T v2 = read(GpuInstanceProfileInfoV2T.class, m);
    assertThat(v2.id).isEqualTo(19);
    assertThat(v2.ofaCount).isEqualTo(3);
    assertThat(v2.memorySizeMB).isEqualTo(4864);
    assertThat(new String(v2.name, StandardCharsets.US_ASCII)).startsWith("MIG 1g.5gb\0");

    m.clear();
    m.setInt(36, 1);
    m.setLong(40, 40192);
    GpuInstanceProfileInfoT v1 = read(GpuInstanceProfileInfoT.class, m);
    assertThat(v1.ofaCount).isEqualTo(1);
    assertThat(v1.memorySizeMB).isEqualTo(40192);

    m.clear();
    m.setInt(8, 2);
    m.setInt(12, 9);
    m.setInt(16, 4);
    m.setInt(20, 4);
    GpuInstanceInfoT gi = read(GpuInstanceInfoT.class, m);
    assertThat(gi.id).isEqualTo(2);
    assertThat(gi.profileId).isEqualTo(9);
    assertThat(gi.placement.start).isEqualTo(4);
    assertThat(gi.placement.size).isEqualTo(4);

    m.clear();
    m.setInt(16, 1);
    m.setInt(20, 2);
    m.setInt(24, 3);
    m.setInt(28, 3);
    ComputeInstanceInfoT ci = read(ComputeInstanceInfoT.class, m);
    assertThat(ci.id).isEqualTo(1);
    assertThat(ci.profileId).isEqualTo(2);
    assertThat(ci.placement.start).isEqualTo(3);
    assertThat(ci.placement.size).isEqualTo(3);

    m.clear();
    m.setString(36, "00000000:3B:00.0", "US-ASCII");
    m.setInt(28, 0x20B010DE);
    PciInfoT pci = read(PciInfoT.class, m);
    assertThat(pci.pciDeviceId).isEqualTo(0x20B010DE);
    assertThat(new String(pci.busId, StandardCharsets.US_ASCII)).startsWith("00000000:3B:00.0\0");

    m.clear();
    m.setInt(0, 4242);
    m.setLong(8, 1L << 30);
    m.setInt(16, 9);
    m.setInt(20, 0);
    ProcessInfoT process = read(ProcessInfoT.class, m);
    assertThat(process.pid).isEqualTo(4242);
    assertThat(process.usedGpuMemory).isEqualTo(1L << 30);
    assertThat(process.gpuInstanceId).isEqualTo(9);
  }

  private static <T extends Structure> T read(Class<T> type, Pointer memory) {
    T struct = Structure.newInstance(type, memory);
    struct.read();
    return struct;
  }

  @Test
  void aMissingLibraryIsAClearNvmlExceptionNotALinkError() {
    JnaNvml nvml = JnaNvml.open(MISSING_LIBRARY);
    assertThatThrownBy(nvml::init)
        .isInstanceOfSatisfying(NvmlException.class, e -> {
          assertThat(e.code()).isEqualTo(NvmlReturn.LIBRARY_NOT_FOUND);
          assertThat(e.function()).isEqualTo(NvmlFunction.INIT);
        })
        .hasMessageStartingWith("nvmlInit_v2 on system: LIBRARY_NOT_FOUND (12): cannot load " + MISSING_LIBRARY);
    // a failed init leaves nothing initialised: calls are refused without touching native code
    assertThatThrownBy(nvml::deviceCount)
        .isInstanceOfSatisfying(NvmlException.class,
            e -> assertThat(e.code()).isEqualTo(NvmlReturn.UNINITIALIZED));
    assertThatThrownBy(nvml::shutdown)
        .isInstanceOfSatisfying(NvmlException.class,
            e -> assertThat(e.code()).isEqualTo(NvmlReturn.UNINITIALIZED));
    // retrying reports the same error again instead of a poisoned class
    assertThatThrownBy(nvml::init).isInstanceOf(NvmlException.class);
  }

  @Test
  void oneBindingPerLibrary() {
    assertThat(JnaNvml.open(MISSING_LIBRARY)).isSameAs(JnaNvml.open(MISSING_LIBRARY));
    assertThat(JnaNvml.system().library()).isEqualTo(JnaNvml.DEFAULT_LIBRARY);
  }

  @Test
  void readsNumaNodeFromSysfs(@TempDir Path sysfs) throws Exception {
    Path dev = Files.createDirectories(sysfs.resolve("bus/pci/devices/0000:3b:00.0"));
    Files.writeString(dev.resolve("numa_node"), "1\n");
    assertThat(JnaNvml.readNumaNode(sysfs, "0000:3b:00.0")).isEqualTo(1);
    Files.writeString(dev.resolve("numa_node"), "-1\n");
    assertThat(JnaNvml.readNumaNode(sysfs, "0000:3b:00.0")).isEqualTo(-1);
    Files.writeString(dev.resolve("numa_node"), "garbage");
    assertThat(JnaNvml.readNumaNode(sysfs, "0000:3b:00.0")).isEqualTo(-1);
    assertThat(JnaNvml.readNumaNode(sysfs, "0000:af:00.0")).isEqualTo(-1);
  }
}
