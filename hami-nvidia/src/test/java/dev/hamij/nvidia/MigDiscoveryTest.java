package dev.hamij.nvidia;

import static dev.hamij.nvidia.GpuDiscoveryTest.config;
import static dev.hamij.nvidia.GpuDiscoveryTest.started;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.MigProfile;
import dev.hamij.api.Placement;
import dev.hamij.api.RegisterCodec;
import dev.hamij.nvml.SimulatedGpu;
import dev.hamij.nvml.SimulatedNvml;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigDiscoveryTest {
  private static final HamiConfig MIG_NODE = config("""
      nvidia:
        deviceMemoryScaling: 2
        deviceCoreScaling: 3
      nodeconfig:
        - name: node-a
          operatingmode: mig
      """);

  private static GpuDevice only(String model, boolean migEnabled, HamiConfig config) {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of(model).withMig(migEnabled).withUuid("GPU-m")).build());
    NodeInventory inventory = GpuDiscovery.forNode(nvml, config, "node-a").discover();
    assertThat(inventory.registeredDevices()).hasSize(1);
    return inventory.registeredDevices().get(0);
  }

  private static List<Placement> placements(int size, int... starts) {
    return java.util.Arrays.stream(starts).mapToObj(s -> new Placement(s, size)).toList();
  }

  @Test
  void a100AdvertisesTheAllowlistedProfilesWithHamiCoreShares() {
    GpuDevice gpu = only("A100-40GB", true, MIG_NODE);
    assertThat(gpu.mode()).isEqualTo("mig");
    assertThat(gpu.devmem()).as("memory is not scaled in mig mode").isEqualTo(40960);
    assertThat(gpu.devcore()).isEqualTo(100);
    assertThat(gpu.count()).isEqualTo(7);
    assertThat(gpu.migProfiles()).containsExactly(
        new MigProfile("1g.5gb", 4864, 15, 1, placements(1, 0, 1, 2, 3, 4, 5, 6)),
        new MigProfile("2g.10gb", 9856, 29, 2, placements(2, 0, 2, 4)),
        new MigProfile("3g.20gb", 19968, 43, 3, placements(4, 0, 4)),
        new MigProfile("7g.40gb", 40192, 100, 7, placements(8, 0)));
  }

  @Test
  void chartModelStringsMatchTheNamesRealDriversReport() {
    // the chart's H100 entry says "H100-SXM5-80GB", the driver says "NVIDIA H100 80GB HBM3"
    GpuDevice h100 = only("H100-80GB", true, MIG_NODE);
    assertThat(h100.type()).isEqualTo("NVIDIA H100 80GB HBM3");
    assertThat(h100.migProfiles()).extracting(MigProfile::name, MigProfile::core).containsExactly(
        org.assertj.core.groups.Tuple.tuple("1g.10gb", 13), org.assertj.core.groups.Tuple.tuple("2g.20gb", 25),
        org.assertj.core.groups.Tuple.tuple("3g.40gb", 46), org.assertj.core.groups.Tuple.tuple("7g.80gb", 100));
    // "H200-SXM5" / "H200 NVL" against "NVIDIA H200"
    GpuDevice h200 = only("NVIDIA H200", true, MIG_NODE);
    assertThat(h200.migProfiles()).extracting(MigProfile::name)
        .containsExactly("1g.18gb", "2g.35gb", "3g.71gb", "7g.141gb");
    assertThat(h200.migProfiles().get(3).memoryMB()).isEqualTo(144384);
    assertThat(h200.count()).isEqualTo(7);
  }

  @Test
  void profileNamesMapThroughTheTableNotTheSlicePrefix() {
    HamiConfig config = config("""
        nvidia:
          migProfileAllowlist:
            - models: ["A100-SXM4-80GB", "A100 80GB PCIe"]
              profiles: ["1g.20gb", "1g.10gb+me", "7g.79gb", "5g.1gb"]
        nodeconfig:
          - name: node-a
            operatingmode: mig
        """);
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("NVIDIA A100 80GB PCIe").withMig(true).withUuid("GPU-m")).build());
    NodeInventory inventory = GpuDiscovery.forNode(nvml, config, "node-a").discover();
    GpuDevice gpu = inventory.registeredDevices().get(0);
    assertThat(gpu.migProfiles()).containsExactly(
        new MigProfile("1g.20gb", 19968, 15, 1, placements(2, 0, 2, 4, 6)),
        new MigProfile("1g.10gb+me", 9728, 15, 1, placements(1, 0, 1, 2, 3, 4, 5, 6)),
        new MigProfile("7g.80gb", 80896, 100, 7, placements(8, 0)));
    assertThat(gpu.count()).isEqualTo(4);
    assertThat(inventory.warnings()).containsExactly(
        "GPU 0 (GPU-m): allowlisted profile 7g.79gb is advertised as 7g.80gb",
        "GPU 0 (GPU-m): 5g.1gb is not a MIG profile of A100-80GB (profiles: [1g.10gb, 1g.10gb+me, 1g.20gb, "
            + "2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb])");
  }

  @Test
  void aProfileOfAnotherSizeIsNeverSubstituted() {
    HamiConfig config = config("""
        nvidia:
          migProfileAllowlist:
            - models: ["H20"]
              profiles: ["1g.12gb", "2g.24gb", "1g.18gb"]
        nodeconfig:
          - name: node-a
            operatingmode: mig
        """);
    // HAMi's substring rule applies the H20 entry to "NVIDIA H200"; its H20 sizes must not become H200 profiles
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("NVIDIA H200").withMig(true).withUuid("GPU-h")).build());
    NodeInventory inventory = GpuDiscovery.forNode(nvml, config, "node-a").discover();
    assertThat(inventory.registeredDevices().get(0).migProfiles()).extracting(MigProfile::name)
        .containsExactly("1g.18gb");
    assertThat(inventory.warnings()).hasSize(2).allMatch(w -> w.contains("is not a MIG profile of H200-141GB"));
  }

  @Test
  void gpusWithMigStillDisabledAdvertiseFromTheTable() {
    GpuDevice fromNvml = only("A30-24GB", true, MIG_NODE);
    GpuDevice fromTable = only("A30-24GB", false, MIG_NODE);
    assertThat(fromTable.migProfiles()).isEqualTo(fromNvml.migProfiles());
    assertThat(fromTable.migProfiles()).extracting(MigProfile::name, MigProfile::core).containsExactly(
        org.assertj.core.groups.Tuple.tuple("1g.6gb", 25), org.assertj.core.groups.Tuple.tuple("2g.12gb", 50),
        org.assertj.core.groups.Tuple.tuple("4g.24gb", 100));
    assertThat(fromTable.count()).isEqualTo(4);
  }

  @Test
  void aGpuWithoutAllowlistEntryIsOfferedToKubeletButNotRegistered() {
    HamiConfig config = config("""
        nvidia:
          migProfileAllowlist:
            - models: ["A30"]
              profiles: ["1g.6gb"]
        nodeconfig:
          - name: node-a
            operatingmode: mig
        """);
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("A100-40GB").withMig(true).withUuid("GPU-x"))
        .gpu(SimulatedGpu.of("A30-24GB").withMig(true).withUuid("GPU-y")).build());
    NodeInventory inventory = GpuDiscovery.forNode(nvml, config, "node-a").discover();
    assertThat(inventory.registeredDevices()).extracting(GpuDevice::id).containsExactly("GPU-y");
    assertThat(inventory.advertisedDevices()).extracting(AdvertisedDevice::id).contains("GPU-x-0", "GPU-y-0");
    assertThat(inventory.warnings()).containsExactly(
        "GPU 0 (GPU-x): no migProfileAllowlist entry matches 'NVIDIA A100-SXM4-40GB'",
        "GPU 0 (GPU-x): no MIG profile to advertise; not registered");
  }

  @Test
  void theRegisterAnnotationCarriesTheProfiles() {
    GpuDevice gpu = only("A100-40GB", true, MIG_NODE);
    String json = RegisterCodec.encodeJson(List.of(gpu));
    assertThat(json).startsWith("[{\"id\":\"GPU-m\",\"count\":7,\"devmem\":40960,\"devcore\":100,"
        + "\"type\":\"NVIDIA A100-SXM4-40GB\",\"mode\":\"mig\",\"migProfiles\":[{\"name\":\"1g.5gb\","
        + "\"memoryMB\":4864,\"core\":15,\"sliceCount\":1,\"placements\":[{\"start\":0,\"size\":1},");
    assertThat(RegisterCodec.decode(json, "node-a")).containsExactly(gpu);
  }
}
