package dev.hamij.nvml;

import static dev.hamij.nvml.SimulatedNvmlTest.assertNvmlError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.MigProfileTable;
import dev.hamij.api.Placement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SimulatedMigTest {
  private static final NvmlFunction CREATE = NvmlFunction.CREATE_GPU_INSTANCE_WITH_PLACEMENT;

  private final SimulatedNvml nvml = SimulatedNvml.builder()
      .gpu(SimulatedGpu.of("A100-40GB").withMig(true))
      .gpu(SimulatedGpu.of("A30-24GB").withMig(true))
      .gpu(SimulatedGpu.of("H200-141GB").withMig(false))
      .build();

  SimulatedMigTest() {
    nvml.init();
  }

  private DeviceHandle a100() {
    return nvml.deviceByIndex(0);
  }

  private int profileId(DeviceHandle gpu, String name) {
    return nvml.gpuInstanceProfileInfo(gpu, spec(gpu, name).giProfileEnum()).id();
  }

  private GpuInstanceHandle create(DeviceHandle gpu, String profile, int start) {
    return nvml.createGpuInstanceWithPlacement(gpu, profileId(gpu, profile),
        new Placement(start, spec(gpu, profile).memorySlices()));
  }

  private MigProfileTable.Profile spec(DeviceHandle gpu, String profile) {
    return MigProfileTable.bundled().forName(nvml.name(gpu)).orElseThrow().profile(profile).orElseThrow();
  }

  @Test
  void profileInfoAndPlacementsComeFromTheTable() {
    DeviceHandle gpu = a100();
    GpuInstanceProfileInfo oneG = nvml.gpuInstanceProfileInfo(gpu, 0);
    assertThat(oneG.id()).isEqualTo(19);
    assertThat(oneG.profileName()).isEqualTo("1g.5gb");
    assertThat(oneG.memorySizeMB()).isEqualTo(4864);
    assertThat(oneG.instanceCount()).isEqualTo(7);
    assertThat(oneG.multiprocessorCount()).isEqualTo(14);
    assertThat(nvml.gpuInstancePossiblePlacements(gpu, 19)).extracting(Placement::start)
        .containsExactly(0, 1, 2, 3, 4, 5, 6);
    assertThat(nvml.gpuInstanceProfileInfo(gpu, 9).profileName()).isEqualTo("1g.10gb");
    assertThat(nvml.gpuInstancePossiblePlacements(gpu, 15)).containsExactly(new Placement(0, 2),
        new Placement(2, 2), new Placement(4, 2), new Placement(6, 2));
    assertNvmlError(() -> nvml.gpuInstanceProfileInfo(gpu, 6), NvmlReturn.NOT_SUPPORTED,
        NvmlFunction.GPU_INSTANCE_PROFILE_INFO);
    assertNvmlError(() -> nvml.gpuInstanceProfileInfo(gpu, Nvml.GPU_INSTANCE_PROFILE_COUNT),
        NvmlReturn.INVALID_ARGUMENT, NvmlFunction.GPU_INSTANCE_PROFILE_INFO);
    assertNvmlError(() -> nvml.gpuInstancePossiblePlacements(gpu, 99), NvmlReturn.INVALID_ARGUMENT,
        NvmlFunction.GPU_INSTANCE_POSSIBLE_PLACEMENTS);
  }

  @Test
  void densestLayoutWithA3gFitsAndGetsHeapNumberedIds() {
    DeviceHandle gpu = a100();
    List<GpuInstanceHandle> created = List.of(create(gpu, "3g.20gb", 4), create(gpu, "2g.10gb", 0),
        create(gpu, "1g.5gb", 2), create(gpu, "1g.5gb", 3));
    assertThat(created).extracting(gi -> nvml.gpuInstanceInfo(gi).id()).containsExactly(2, 3, 9, 10);
    assertThat(nvml.gpuInstanceInfo(created.get(0)).placement()).isEqualTo(new Placement(4, 4));
    assertThat(nvml.gpuInstanceInfo(created.get(0)).profileId()).isEqualTo(9);
    for (String profile : List.of("1g.5gb", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb")) {
      assertThat(nvml.gpuInstanceRemainingCapacity(gpu, profileId(gpu, profile))).as(profile).isZero();
    }
    assertNvmlError(() -> create(gpu, "1g.5gb", 1), NvmlReturn.INSUFFICIENT_RESOURCES, CREATE);
  }

  @Test
  void theWeakerLayoutLeavesOnlyNonPlaceableRoom() {
    DeviceHandle gpu = a100();
    create(gpu, "3g.20gb", 0);
    create(gpu, "2g.10gb", 4);
    create(gpu, "1g.5gb", 6);
    // slice 7 is free, but no 1g placement starts there
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 19)).isZero();
    assertNvmlError(() -> nvml.createGpuInstanceWithPlacement(gpu, 19, new Placement(7, 1)),
        NvmlReturn.INVALID_ARGUMENT, CREATE);
  }

  @Test
  void overlappingPlacementsAreInsufficientResources() {
    DeviceHandle gpu = a100();
    create(gpu, "3g.20gb", 0);
    assertThatThrownBy(() -> create(gpu, "2g.10gb", 2))
        .isInstanceOfSatisfying(NvmlException.class,
            e -> assertThat(e.code()).isEqualTo(NvmlReturn.INSUFFICIENT_RESOURCES))
        .hasMessageContaining("nvmlDeviceCreateGpuInstanceWithPlacement on GPU 0")
        .hasMessageContaining("placement 2:2 overlaps GPU instance 1 (3g.20gb at 0:4)");
    create(gpu, "3g.20gb", 4);
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 19)).isZero();
    assertNvmlError(() -> create(gpu, "1g.5gb", 0), NvmlReturn.INSUFFICIENT_RESOURCES, CREATE);
    assertThat(nvml.gpuInstances(gpu, 9)).hasSize(2);
  }

  @Test
  void fourGPlusThreeGIsFull() {
    DeviceHandle gpu = a100();
    create(gpu, "4g.20gb", 0);
    create(gpu, "3g.20gb", 4);
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 19)).isZero();
  }

  @Test
  void onlyOneMediaExtensionInstancePerGpu() {
    DeviceHandle gpu = a100();
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 20)).isEqualTo(1);
    create(gpu, "1g.5gb+me", 0);
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 20)).isZero();
    assertThatThrownBy(() -> create(gpu, "1g.5gb+me", 1))
        .isInstanceOfSatisfying(NvmlException.class,
            e -> assertThat(e.code()).isEqualTo(NvmlReturn.INSUFFICIENT_RESOURCES))
        .hasMessageContaining("1g.5gb+me already has its maximum of 1");
    DeviceHandle a30 = nvml.deviceByIndex(1);
    create(a30, "1g.6gb+me", 0);
    assertThatThrownBy(() -> create(a30, "2g.12gb+me", 2)).hasMessageContaining("only one +me GPU instance");
    create(a30, "2g.12gb", 2);
  }

  @Test
  void sevenOneGInstancesGetIdsSevenToThirteenAndNoEighthFits() {
    DeviceHandle gpu = a100();
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 19)).isEqualTo(7);
    List<Integer> ids = new ArrayList<>();
    for (int start = 6; start >= 0; start--) {
      ids.add(nvml.gpuInstanceInfo(create(gpu, "1g.5gb", start)).id());
    }
    assertThat(ids).containsExactly(13, 12, 11, 10, 9, 8, 7);
    assertThat(nvml.gpuInstances(gpu, 19)).extracting(gi -> nvml.gpuInstanceInfo(gi).id())
        .containsExactly(7, 8, 9, 10, 11, 12, 13);
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 14)).isZero();
  }

  @Test
  void theMaxCountOfAProfileIsEnforced() {
    DeviceHandle gpu = a100();
    create(gpu, "2g.10gb", 0);
    create(gpu, "2g.10gb", 2);
    create(gpu, "2g.10gb", 4);
    // slices 6-7 are free and 1g.10gb could go there, but a fourth 2g.10gb is not allowed (and has no placement)
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 14)).isZero();
    assertThat(nvml.gpuInstanceRemainingCapacity(gpu, 15)).isEqualTo(1);
    assertNvmlError(() -> nvml.createGpuInstanceWithPlacement(gpu, 14, new Placement(6, 2)),
        NvmlReturn.INVALID_ARGUMENT, CREATE);
  }

  @Test
  void a30UsesTheFourSliceNumbering() {
    DeviceHandle a30 = nvml.deviceByIndex(1);
    assertThat(nvml.gpuInstanceInfo(create(a30, "2g.12gb", 2)).id()).isEqualTo(2);
    assertThat(nvml.gpuInstanceInfo(create(a30, "1g.6gb", 1)).id()).isEqualTo(4);
    assertThat(nvml.maxMigDeviceCount(a30)).isEqualTo(4);
  }

  @Test
  void computeInstancesBecomeMigDevicesAndDestroyRespectsDependencies() {
    DeviceHandle gpu = a100();
    GpuInstanceHandle first = create(gpu, "1g.5gb", 0);
    GpuInstanceHandle gi = create(gpu, "3g.20gb", 4);
    ComputeInstanceProfileInfo ciProfile = nvml.computeInstanceProfileInfo(gi, 2,
        Nvml.COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED);
    assertThat(ciProfile.sliceCount()).isEqualTo(3);
    assertThat(ciProfile.multiprocessorCount()).isEqualTo(42);
    nvml.createComputeInstance(first, 0);
    ComputeInstanceHandle ci = nvml.createComputeInstance(gi, ciProfile.id());
    assertThat(nvml.computeInstanceInfo(ci).id()).isZero();
    assertNvmlError(() -> nvml.createComputeInstance(gi, 0), NvmlReturn.INSUFFICIENT_RESOURCES,
        NvmlFunction.CREATE_COMPUTE_INSTANCE);
    assertNvmlError(() -> nvml.computeInstanceProfileInfo(gi, 4, 0), NvmlReturn.NOT_SUPPORTED,
        NvmlFunction.COMPUTE_INSTANCE_PROFILE_INFO);

    DeviceHandle mig = SimulatedNvmlTest.migDevice(nvml, gpu, ci);
    String migUuid = nvml.uuid(mig);
    assertThat(migUuid).startsWith("MIG-").hasSize(40);
    assertThat(nvml.isMigDevice(mig)).isTrue();
    assertThat(nvml.isMigDevice(gpu)).isFalse();
    assertThat(nvml.name(mig)).isEqualTo("NVIDIA A100-SXM4-40GB MIG 3g.20gb");
    assertThat(nvml.memoryInfo(mig).totalMiB()).isEqualTo(19968);
    assertThat(nvml.parentOfMigDevice(mig)).isEqualTo(gpu);
    assertThat(nvml.deviceByUuid(migUuid)).contains(mig);

    nvml.attachProcess(migUuid, 4711, 100);
    assertNvmlError(() -> nvml.destroyGpuInstance(gi), NvmlReturn.IN_USE, NvmlFunction.DESTROY_GPU_INSTANCE);
    assertNvmlError(() -> nvml.destroyComputeInstance(ci), NvmlReturn.IN_USE,
        NvmlFunction.DESTROY_COMPUTE_INSTANCE);
    assertThat(nvml.setMigMode(gpu, false)).isEqualTo(NvmlReturn.IN_USE);
    assertThat(nvml.migMode(gpu)).isEqualTo(new MigMode(true, false));
    assertThat(nvml.setMigMode(gpu, true)).isEqualTo(NvmlReturn.SUCCESS);
    nvml.detachProcess(4711);
    nvml.destroyComputeInstance(ci);
    assertThat(nvml.computeInstanceById(gi, 0)).isEmpty();
    assertThat(nvml.deviceByUuid(migUuid)).isEmpty();
    assertNvmlError(() -> nvml.uuid(mig), NvmlReturn.INVALID_ARGUMENT, NvmlFunction.UUID);
    nvml.destroyGpuInstance(gi);
    assertThat(nvml.gpuInstanceById(gpu, 2)).isEmpty();
    assertNvmlError(() -> nvml.gpuInstanceInfo(gi), NvmlReturn.INVALID_ARGUMENT, NvmlFunction.GPU_INSTANCE_INFO);

    GpuInstanceHandle again = create(gpu, "3g.20gb", 4);
    String newUuid = nvml.uuid(SimulatedNvmlTest.migDevice(nvml, gpu, nvml.createComputeInstance(again, 2)));
    assertThat(newUuid).isNotEqualTo(migUuid);
  }

  @Test
  void migModeChangesStayPendingUntilReset() {
    DeviceHandle h200 = nvml.deviceByIndex(2);
    assertNvmlError(() -> create(h200, "1g.18gb", 0), NvmlReturn.NOT_SUPPORTED,
        NvmlFunction.GPU_INSTANCE_PROFILE_INFO);
    assertNvmlError(() -> nvml.createGpuInstanceWithPlacement(h200, 19, new Placement(0, 1)),
        NvmlReturn.NOT_SUPPORTED, CREATE);
    assertThat(nvml.setMigMode(h200, true)).isEqualTo(NvmlReturn.SUCCESS);
    assertThat(nvml.migMode(h200)).isEqualTo(new MigMode(true, true));
    GpuInstanceProfileInfo sevenG = nvml.gpuInstanceProfileInfo(h200, 4);
    assertThat(sevenG.profileName()).isEqualTo("7g.141gb");
    assertThat(sevenG.memorySizeMB()).isEqualTo(144384);

    SimulatedNvml resetNeeded = SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("H100-80GB").withMigChangeRequiringReset()).build();
    resetNeeded.init();
    DeviceHandle h100 = resetNeeded.deviceByIndex(0);
    assertThat(resetNeeded.setMigMode(h100, true)).isEqualTo(NvmlReturn.RESET_REQUIRED);
    assertThat(resetNeeded.migMode(h100)).isEqualTo(new MigMode(false, true));
    resetNeeded.resetGpu(0);
    assertThat(resetNeeded.migMode(resetNeeded.deviceByIndex(0))).isEqualTo(new MigMode(true, true));
  }

  @Test
  void failuresCanBeInjectedIntoInstanceCreation() {
    DeviceHandle gpu = a100();
    nvml.failNextOnGpu(0, CREATE, 2, NvmlReturn.INSUFFICIENT_RESOURCES);
    assertNvmlError(() -> create(gpu, "7g.40gb", 0), NvmlReturn.INSUFFICIENT_RESOURCES, CREATE);
    assertNvmlError(() -> create(gpu, "7g.40gb", 0), NvmlReturn.INSUFFICIENT_RESOURCES, CREATE);
    assertThat(nvml.gpuInstances(gpu, 0)).isEmpty();
    create(gpu, "7g.40gb", 0);
    assertThat(nvml.gpuInstances(gpu, 0)).hasSize(1);
  }

  @Test
  void resetDestroysInstances() {
    DeviceHandle gpu = a100();
    GpuInstanceHandle gi = create(gpu, "7g.40gb", 0);
    nvml.createComputeInstance(gi, 4);
    nvml.resetGpu(0);
    DeviceHandle fresh = a100();
    assertThat(nvml.gpuInstances(fresh, 0)).isEmpty();
    assertThat(nvml.migDeviceByIndex(fresh, 0)).isEmpty();
    assertNvmlError(() -> nvml.gpuInstanceInfo(gi), NvmlReturn.INVALID_ARGUMENT, NvmlFunction.GPU_INSTANCE_INFO);
  }

  @Test
  void concurrentCreationNeverOverlaps() throws Exception {
    DeviceHandle gpu = a100();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    AtomicInteger successes = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < 4; t++) {
        futures.add(pool.submit(() -> {
          for (int start = 0; start < 7; start++) {
            for (String profile : List.of("1g.5gb", "2g.10gb")) {
              try {
                create(gpu, profile, profile.startsWith("2g") ? (start / 2) * 2 % 6 : start);
                successes.incrementAndGet();
              } catch (NvmlException e) {
                assertThat(e.code()).isEqualTo(NvmlReturn.INSUFFICIENT_RESOURCES);
              }
            }
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<Placement> placements = new ArrayList<>();
    for (int profileId : List.of(19, 14)) {
      for (GpuInstanceHandle gi : nvml.gpuInstances(gpu, profileId)) {
        placements.add(nvml.gpuInstanceInfo(gi).placement());
      }
    }
    assertThat(placements).hasSize(successes.get());
    for (int i = 0; i < placements.size(); i++) {
      for (int j = i + 1; j < placements.size(); j++) {
        assertThat(placements.get(i).overlaps(placements.get(j))).isFalse();
      }
    }
    // every slice 0..6 ends up used: a 1g attempt at a free slice can only fail once that slice is taken
    assertThat(placements.stream().mapToInt(Placement::size).sum()).isEqualTo(7);
  }
}
