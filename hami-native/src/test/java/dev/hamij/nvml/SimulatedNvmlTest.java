package dev.hamij.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Placement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedNvmlTest {
  static void assertNvmlError(ThrowingCallable call, NvmlReturn code, NvmlFunction function) {
    assertThatThrownBy(call).isInstanceOfSatisfying(NvmlException.class, e -> {
      assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
      assertThat(e.function()).isEqualTo(function);
    });
  }

  private static SimulatedNvml started(SimulatedNvml nvml) {
    nvml.init();
    return nvml;
  }

  @Test
  void discoversConfiguredGpus() {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("A100-40GB").withNuma(0).withUuid("GPU-aaaa"))
        .gpu(SimulatedGpu.of("NVIDIA H100 80GB HBM3").withNuma(1))
        .gpu(SimulatedGpu.of("V100-PCIE-32GB").withNuma(-1))
        .build());
    assertThat(nvml.deviceCount()).isEqualTo(3);
    DeviceHandle a100 = nvml.deviceByIndex(0);
    assertThat(nvml.uuid(a100)).isEqualTo("GPU-aaaa");
    assertThat(nvml.name(a100)).isEqualTo("NVIDIA A100-SXM4-40GB");
    assertThat(nvml.memoryInfo(a100).totalMiB()).isEqualTo(40960);
    assertThat(nvml.index(a100)).isZero();
    assertThat(nvml.pciInfo(a100).sysfsBusId()).isEqualTo("0000:10:00.0");
    assertThat(nvml.pciInfo(a100).pciDeviceId()).isEqualTo(0x20B010DE);
    DeviceHandle h100 = nvml.deviceByIndex(1);
    assertThat(nvml.name(h100)).isEqualTo("NVIDIA H100 80GB HBM3");
    assertThat(nvml.numaNode(h100)).isEqualTo(1);
    assertThat(nvml.name(nvml.deviceByIndex(2))).isEqualTo("Tesla V100-PCIE-32GB");
    assertThat(nvml.numaNode(nvml.deviceByIndex(2))).isEqualTo(-1);
    assertThat(nvml.uuid(h100)).startsWith("GPU-").hasSize(40).isNotEqualTo(nvml.uuid(nvml.deviceByIndex(2)));
    assertThat(nvml.deviceByUuid("GPU-aaaa")).contains(a100);
    assertThat(nvml.deviceByUuid("GPU-none")).isEmpty();
    assertThat(nvml.topologyCommonAncestor(a100, a100)).isEqualTo(TopologyLevel.INTERNAL);
    assertThat(nvml.topologyCommonAncestor(a100, h100)).isEqualTo(TopologyLevel.SYSTEM);
    assertNvmlError(() -> nvml.deviceByIndex(3), NvmlReturn.INVALID_ARGUMENT, NvmlFunction.DEVICE_BY_INDEX);
    assertNvmlError(() -> nvml.migMode(nvml.deviceByIndex(2)), NvmlReturn.NOT_SUPPORTED, NvmlFunction.MIG_MODE);
  }

  @Test
  void initIsReferenceCounted() {
    SimulatedNvml nvml = SimulatedNvml.builder().gpus("T4", 1).build();
    assertNvmlError(nvml::deviceCount, NvmlReturn.UNINITIALIZED, NvmlFunction.DEVICE_COUNT);
    nvml.init();
    nvml.init();
    nvml.shutdown();
    assertThat(nvml.deviceCount()).isEqualTo(1);
    nvml.shutdown();
    assertThat(nvml.initReferences()).isZero();
    assertNvmlError(nvml::deviceCount, NvmlReturn.UNINITIALIZED, NvmlFunction.DEVICE_COUNT);
    assertNvmlError(nvml::shutdown, NvmlReturn.UNINITIALIZED, NvmlFunction.SHUTDOWN);
  }

  @Test
  void unifiedMemoryPartsDoNotAnswerTheMemoryQuery() {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("L4").withUnifiedMemory())
        .gpu(SimulatedGpu.of("L4").withMemoryMiB(1000))
        .build());
    assertNvmlError(() -> nvml.memoryInfo(nvml.deviceByIndex(0)), NvmlReturn.NOT_SUPPORTED,
        NvmlFunction.MEMORY_INFO);
    assertThat(nvml.memoryInfo(nvml.deviceByIndex(1)).totalBytes()).isEqualTo(1000L << 20);
  }

  @Test
  void readsYaml(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, """
        driverVersion: "535.104.05"
        gpus:
          - model: A100-40GB
            count: 2
            mig: true
            numa: 1
            uuids: [GPU-0001, GPU-0002]
          - model: NVIDIA A30
          - model: H200-141GB
            mig: false
            migPending: true
            migChangeRequiresReset: true
        """);
    SimulatedNvml nvml = started(SimulatedNvml.fromYaml(file));
    assertThat(nvml.driverVersion()).isEqualTo("535.104.05");
    assertThat(nvml.deviceCount()).isEqualTo(4);
    DeviceHandle second = nvml.deviceByIndex(1);
    assertThat(nvml.uuid(second)).isEqualTo("GPU-0002");
    assertThat(nvml.numaNode(second)).isEqualTo(1);
    assertThat(nvml.migMode(second)).isEqualTo(new MigMode(true, true));
    assertThat(nvml.name(nvml.deviceByIndex(2))).isEqualTo("NVIDIA A30");
    assertThat(nvml.migMode(nvml.deviceByIndex(2))).isEqualTo(new MigMode(false, false));
    assertThat(nvml.migMode(nvml.deviceByIndex(3)).changePending()).isTrue();
  }

  @Test
  void unknownModelNamesTheModelAndListsTheKnownOnes() {
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: A200-40GB\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gpus[0]")
        .hasMessageContaining("unknown GPU model 'A200-40GB'")
        .hasMessageContaining("A100-40GB (NVIDIA A100-SXM4-40GB, NVIDIA A100-PCIE-40GB)")
        .hasMessageContaining("V100-PCIE-32GB (Tesla V100-PCIE-32GB)");
    assertThatThrownBy(() -> SimulatedNvml.builder().gpu(SimulatedGpu.of("B300")))
        .hasMessageContaining("unknown GPU model 'B300'");
    assertThat(SimulatedNvml.knownModels()).contains("A30-24GB", "H200-141GB", "T4");
  }

  @Test
  void badYamlFieldsAreNamed() {
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: T4\n    mig: true\n"))
        .hasMessageContaining("gpus[0]").hasMessageContaining("'T4' has no MIG");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: T4\n    count: 2\n    uuids: [GPU-1]\n"))
        .hasMessageContaining("gpus[0].uuids lists 1 UUIDs for count 2");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: T4\n    count: 0\n"))
        .hasMessageContaining("gpus[0].count must be >= 1");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: T4\n    numa: -2\n"))
        .hasMessageContaining("gpus[0]").hasMessageContaining("numaNode must be >= -1");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: T4\n    colour: red\n"))
        .hasMessageContaining("colour");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - count: 1\n"))
        .hasMessageContaining("gpus[0].model is required");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus: []\n"))
        .hasMessageContaining("'gpus' must list at least one GPU");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: T4\n    uuids: [GPU-1]\n"
        + "  - model: T4\n    uuids: [GPU-1]\n"))
        .hasMessageContaining("UUID GPU-1 is used twice");
  }

  @Test
  void deliversInjectedXidsToRegisteredSetsOnly() {
    SimulatedNvml nvml = started(SimulatedNvml.builder().gpus("A100-40GB", 2).build());
    EventSet set = nvml.createEventSet();
    DeviceHandle gpu0 = nvml.deviceByIndex(0);
    assertThat(nvml.supportedEventTypes(gpu0) & EventData.XID_CRITICAL_ERROR).isNotZero();
    assertThat(nvml.watchesXids(0)).isFalse();
    nvml.registerEvents(gpu0, EventData.XID_CRITICAL_ERROR, set);
    assertThat(nvml.watchesXids(0)).isTrue();
    assertThat(nvml.watchesXids(1)).isFalse();
    nvml.injectXid(1, 48);
    assertThat(nvml.waitForEvent(set, 0)).isEmpty();
    nvml.injectXid(0, 48, 7, 0);
    EventData event = nvml.waitForEvent(set, 0).orElseThrow();
    assertThat(event.isXid()).isTrue();
    assertThat(event.eventData()).isEqualTo(48);
    assertThat(event.gpuInstanceId()).isEqualTo(7);
    assertThat(event.computeInstanceId()).isZero();
    assertThat(nvml.uuid(event.device())).isEqualTo(nvml.uuid(gpu0));
    nvml.freeEventSet(set);
    assertThat(nvml.watchesXids(0)).isFalse();
    assertNvmlError(() -> nvml.waitForEvent(set, 0), NvmlReturn.INVALID_ARGUMENT, NvmlFunction.EVENT_SET_WAIT);
  }

  @Test
  void aWaitingThreadWakesUpOnAnEvent() throws Exception {
    SimulatedNvml nvml = started(SimulatedNvml.builder().gpus("T4", 1).build());
    EventSet set = nvml.createEventSet();
    nvml.registerEvents(nvml.deviceByIndex(0), EventData.XID_CRITICAL_ERROR, set);
    CountDownLatch waiting = new CountDownLatch(1);
    CompletableFuture<Optional<EventData>> received = CompletableFuture.supplyAsync(() -> {
      waiting.countDown();
      return nvml.waitForEvent(set, 60_000);
    });
    assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
    nvml.injectXid(0, 79);
    assertThat(received.get(10, TimeUnit.SECONDS)).map(EventData::eventData).contains(79L);
  }

  @Test
  void injectedFailuresHitTheNextCallsOnly() {
    SimulatedNvml nvml = started(SimulatedNvml.builder().gpus("A100-40GB", 2).build());
    nvml.failNextOnGpu(0, NvmlFunction.NAME, 2, NvmlReturn.UNKNOWN);
    DeviceHandle gpu0 = nvml.deviceByIndex(0);
    DeviceHandle gpu1 = nvml.deviceByIndex(1);
    assertThat(nvml.name(gpu1)).isEqualTo("NVIDIA A100-SXM4-40GB");
    assertThatThrownBy(() -> nvml.name(gpu0))
        .isInstanceOf(NvmlException.class)
        .hasMessageContaining("nvmlDeviceGetName on GPU 0 (GPU-")
        .hasMessageContaining("UNKNOWN (999): injected failure");
    assertNvmlError(() -> nvml.name(gpu0), NvmlReturn.UNKNOWN, NvmlFunction.NAME);
    assertThat(nvml.name(gpu0)).isEqualTo("NVIDIA A100-SXM4-40GB");

    nvml.failNext(NvmlFunction.DEVICE_COUNT, 1, NvmlReturn.DRIVER_NOT_LOADED);
    assertNvmlError(nvml::deviceCount, NvmlReturn.DRIVER_NOT_LOADED, NvmlFunction.DEVICE_COUNT);
    assertThat(nvml.deviceCount()).isEqualTo(2);

    nvml.failNext(NvmlFunction.INIT, 1, NvmlReturn.NO_PERMISSION);
    assertNvmlError(nvml::init, NvmlReturn.NO_PERMISSION, NvmlFunction.INIT);
    assertThat(nvml.initReferences()).isEqualTo(1);
    assertThatThrownBy(() -> nvml.failNext(NvmlFunction.NAME, 0, NvmlReturn.UNKNOWN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLostGpuAnswersGpuIsLostAndRaisesXid79WhileOthersWork() {
    SimulatedNvml nvml = started(SimulatedNvml.builder().gpus("H100-80GB", 2).build());
    EventSet set = nvml.createEventSet();
    DeviceHandle gpu0 = nvml.deviceByIndex(0);
    nvml.registerEvents(gpu0, EventData.XID_CRITICAL_ERROR, set);
    nvml.loseGpu(0);
    assertThat(nvml.waitForEvent(set, 0)).map(EventData::eventData).contains(SimulatedNvml.XID_GPU_FALLEN_OFF_BUS);
    assertNvmlError(() -> nvml.uuid(gpu0), NvmlReturn.GPU_IS_LOST, NvmlFunction.UUID);
    assertNvmlError(() -> nvml.deviceByIndex(0), NvmlReturn.GPU_IS_LOST, NvmlFunction.DEVICE_BY_INDEX);
    assertThat(nvml.name(nvml.deviceByIndex(1))).isEqualTo("NVIDIA H100 80GB HBM3");
    nvml.resetGpu(0);
    assertThat(nvml.uuid(nvml.deviceByIndex(0))).startsWith("GPU-");
  }

  @Test
  void listsProcessesWithTheirMigInstance() {
    SimulatedNvml nvml = started(SimulatedNvml.builder().gpu(SimulatedGpu.of("A100-40GB").withMig(true))
        .gpu(SimulatedGpu.of("A100-40GB")).build());
    DeviceHandle gpu = nvml.deviceByIndex(0);
    GpuInstanceHandle gi = nvml.createGpuInstanceWithPlacement(gpu, 14, new Placement(2, 2));
    DeviceHandle mig = nvml.deviceByUuid(nvml.uuid(migDevice(nvml, gpu, nvml.createComputeInstance(gi, 1))))
        .orElseThrow();
    nvml.attachProcess(nvml.uuid(mig), 100, 512);
    nvml.attachProcess(nvml.uuid(nvml.deviceByIndex(1)), 200, 1024);
    assertThat(nvml.computeRunningProcesses(mig)).containsExactly(new ProcessInfo(100, 512L << 20, 4, 0));
    assertThat(nvml.computeRunningProcesses(gpu)).containsExactly(new ProcessInfo(100, 512L << 20, 4, 0));
    assertThat(nvml.computeRunningProcesses(nvml.deviceByIndex(1)))
        .containsExactly(new ProcessInfo(200, 1024L << 20, Nvml.NO_INSTANCE, Nvml.NO_INSTANCE));
    assertThat(nvml.memoryInfo(nvml.deviceByIndex(1)).usedBytes()).isEqualTo(1024L << 20);
    assertThatThrownBy(() -> nvml.attachProcess(nvml.uuid(mig), 100, 1)).hasMessageContaining("100");
    nvml.detachProcess(100);
    assertThat(nvml.computeRunningProcesses(mig)).isEmpty();
  }

  /** The MIG device of a compute instance, found the way production code must: by GPU-instance id. */
  static DeviceHandle migDevice(SimulatedNvml nvml, DeviceHandle gpu, ComputeInstanceHandle ci) {
    ComputeInstanceInfo info = nvml.computeInstanceInfo(ci);
    int giId = nvml.gpuInstanceInfo(info.gpuInstance()).id();
    for (int i = 0; i < nvml.maxMigDeviceCount(gpu); i++) {
      Optional<DeviceHandle> mig = nvml.migDeviceByIndex(gpu, i);
      if (mig.isPresent() && nvml.migGpuInstanceId(mig.get()) == giId
          && nvml.migComputeInstanceId(mig.get()) == info.id()) {
        return mig.get();
      }
    }
    throw new AssertionError("no MIG device for GI " + giId);
  }
}
