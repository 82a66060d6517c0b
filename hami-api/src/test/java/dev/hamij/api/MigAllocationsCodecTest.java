package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MigAllocationsCodecTest {
  @Test
  void schedulerSpecExample() {
    String spec = "[{\"containerIndex\":0,\"deviceIndex\":0,\"gpuUUID\":\"GPU-a\",\"profile\":\"1g.5gb\","
        + "\"placement\":{\"start\":6,\"size\":1}}]";
    MigAllocation a = MigAllocation.reserve(0, 0, "GPU-a", "1g.5gb", new Placement(6, 1));
    assertThat(MigAllocationsCodec.decode(spec, "default/p")).containsExactly(a);
    assertThat(MigAllocationsCodec.encode(List.of(a))).isEqualTo(spec);
  }

  @Test
  void nodeSpecExampleWithRuntimeIdentity() {
    String spec = "[{\"containerIndex\":0,\"deviceIndex\":0,\"gpuUUID\":\"GPU-1c7d\",\"profile\":\"2g.10gb\","
        + "\"placement\":{\"start\":2,\"size\":2},\"migUUID\":\"MIG-5c4\",\"gpuInstanceID\":4,\"computeInstanceID\":0}]";
    List<MigAllocation> decoded = MigAllocationsCodec.decode(spec, "default/p");
    assertThat(decoded).containsExactly(
        MigAllocation.reserve(0, 0, "GPU-1c7d", "2g.10gb", new Placement(2, 2)).withRuntime("MIG-5c4", 4, 0));
    assertThat(decoded.get(0).runtimeReady()).isTrue();
    assertThat(MigAllocationsCodec.encode(decoded)).isEqualTo(spec);
  }

  @Test
  void emptyValuesMeanNoReservations() {
    assertThat(MigAllocationsCodec.decode("", "p")).isEmpty();
    assertThat(MigAllocationsCodec.decode(null, "p")).isEmpty();
    assertThat(MigAllocationsCodec.decode("null", "p")).isEmpty();
    assertThat(MigAllocationsCodec.decode("[]", "p")).isEmpty();
    assertThat(MigAllocationsCodec.encode(List.of())).isEqualTo("[]");
  }

  @Test
  void rejectionRules() {
    String base = "\"gpuUUID\":\"GPU-a\",\"profile\":\"1g.5gb\",\"placement\":{\"start\":0,\"size\":1}";
    assertRejected("[{\"containerIndex\":-1,\"deviceIndex\":0," + base + "}]", "containerIndex");
    assertRejected("[{\"containerIndex\":0,\"deviceIndex\":-2," + base + "}]", "deviceIndex");
    assertRejected("[{\"containerIndex\":0,\"deviceIndex\":0,\"gpuUUID\":\"\",\"profile\":\"1g.5gb\","
        + "\"placement\":{\"start\":0,\"size\":1}}]", "gpuUUID and profile must not be empty");
    assertRejected("[{\"containerIndex\":0,\"deviceIndex\":0,\"gpuUUID\":\"GPU-a\",\"placement\":{\"start\":0,\"size\":1}}]",
        "gpuUUID and profile must not be empty");
    assertRejected("[{\"containerIndex\":0,\"deviceIndex\":0,\"gpuUUID\":\"GPU-a\",\"profile\":\"1g.5gb\","
        + "\"placement\":{\"start\":0,\"size\":0}}]", "placement size must be positive");
    assertRejected("[{\"containerIndex\":0,\"deviceIndex\":0,\"gpuUUID\":\"GPU-a\",\"profile\":\"1g.5gb\"}]",
        "placement is missing");
    assertRejected("[{\"containerIndex\":0,\"deviceIndex\":0," + base + ",\"migUUID\":\"MIG-x\",\"gpuInstanceID\":1}]",
        "runtime identity must be complete");
    assertRejected("[{\"containerIndex\":0,\"deviceIndex\":0," + base
        + ",\"migUUID\":\"\",\"gpuInstanceID\":1,\"computeInstanceID\":0}]", "runtime identity must be complete");
    assertRejected("[{\"containerIndex\":1,\"deviceIndex\":0," + base + "},{\"containerIndex\":1,\"deviceIndex\":0,"
        + base + "}]", "allocation 1: duplicate reservation for container 1 device 0");
    assertRejected("{}", "expected a JSON array");
  }

  @Test
  void encoderRefusesDuplicates() {
    MigAllocation a = MigAllocation.reserve(0, 0, "GPU-a", "1g.5gb", new Placement(0, 1));
    assertThatThrownBy(() -> MigAllocationsCodec.encode(List.of(a, a))).isInstanceOf(HamiFormatException.class);
  }

  private static void assertRejected(String value, String expected) {
    assertThatThrownBy(() -> MigAllocationsCodec.decode(value, "default/p"))
        .isInstanceOf(HamiFormatException.class)
        .hasMessageStartingWith("default/p: hami.io/vgpu-mig-allocations: ")
        .hasMessageContaining(expected);
  }
}
