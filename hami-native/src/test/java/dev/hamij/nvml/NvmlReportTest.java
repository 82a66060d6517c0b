package dev.hamij.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NvmlReportTest {
  @Test
  void reportsEveryGpuAndTheProfilesOfMigGpus() {
    SimulatedNvml nvml = SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("A30-24GB").withMig(true).withUuid("GPU-a").withNuma(1))
        .gpu(SimulatedGpu.of("T4").withUuid("GPU-b").withUnifiedMemory())
        .gpu(SimulatedGpu.of("T4").withUuid("GPU-c"))
        .build();
    nvml.init();
    nvml.loseGpu(2);
    assertThat(NvmlReport.of(nvml).split("\n")).containsExactly(
        "driver 550.54.15",
        "gpu 0 uuid=GPU-a name=\"NVIDIA A30\" memoryMiB=24576 bus=00000000:10:00.0 numa=1 minor=0 mig=enabled/enabled",
        "  profile enum=0 id=14 name=1g.6gb slices=1 instances=4 sms=14 memoryMiB=5952 placements=0:1,1:1,2:1,3:1",
        "  profile enum=1 id=5 name=2g.12gb slices=2 instances=2 sms=28 memoryMiB=11968 placements=0:2,2:2",
        "  profile enum=3 id=0 name=4g.24gb slices=4 instances=1 sms=56 memoryMiB=24000 placements=0:4",
        "  profile enum=7 id=21 name=1g.6gb+me slices=1 instances=1 sms=14 memoryMiB=5952 placements=0:1,1:1,2:1,3:1",
        "  profile enum=8 id=6 name=2g.12gb+me slices=2 instances=1 sms=28 memoryMiB=11968 placements=0:2,2:2",
        "gpu 1 uuid=GPU-b name=\"Tesla T4\" memoryMiB=<NOT_SUPPORTED> bus=00000000:11:00.0 numa=0 minor=1 "
            + "mig=NOT_SUPPORTED",
        "gpu 2 error=GPU_IS_LOST");
  }
}
