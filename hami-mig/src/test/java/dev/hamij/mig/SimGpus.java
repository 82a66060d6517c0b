package dev.hamij.mig;

import dev.hamij.api.Placement;
import dev.hamij.nvml.ComputeInstanceHandle;
import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.GpuInstanceHandle;
import dev.hamij.nvml.GpuInstanceInfo;
import dev.hamij.nvml.GpuInstanceProfileInfo;
import dev.hamij.nvml.Nvml;
import dev.hamij.nvml.NvmlException;
import dev.hamij.nvml.NvmlReturn;
import dev.hamij.nvml.SimulatedGpu;
import dev.hamij.nvml.SimulatedNvml;
import dev.hamij.nvml.SliceProfiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/** Test helpers that look at a simulated node directly through NVML, independent of the manager. */
final class SimGpus {
  private SimGpus() {}

  static final String A100_UUID = "GPU-a100-0000-0000-0000-000000000000";

  /** One A100-40GB in MIG mode. */
  static SimulatedNvml oneA100() {
    return SimulatedNvml.builder().gpu(SimulatedGpu.of("A100-40GB").withMig(true).withUuid(A100_UUID)).build();
  }

  /** Two A100-40GBs in MIG mode, UUIDs {@code GPU-a100-0…} and {@code GPU-a100-1…}. */
  static SimulatedNvml twoA100() {
    return SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("A100-40GB").withMig(true).withUuid(uuid(0)))
        .gpu(SimulatedGpu.of("A100-40GB").withMig(true).withUuid(uuid(1)))
        .build();
  }

  static String uuid(int index) {
    return "GPU-a100-000" + index + "-0000-0000-000000000000";
  }

  /** A live GPU instance as {@code name@start:size#gi} plus its MIG UUIDs. */
  record Live(String profile, int start, int size, int gi, List<String> migUuids) {
    @Override
    public String toString() {
      return profile + "@" + start + ":" + size + "#" + gi;
    }
  }

  /**
   * Every GPU instance on the GPU. Injected NVML failures still pending are consumed by retrying, so the view is
   * always the real state.
   */
  static List<Live> live(Nvml nvml, int gpuIndex) {
    for (int attempt = 0; ; attempt++) {
      try {
        return liveOnce(nvml, gpuIndex);
      } catch (NvmlException e) {
        if (attempt > 200) {
          throw e;
        }
      }
    }
  }

  private static List<Live> liveOnce(Nvml nvml, int gpuIndex) {
    nvml.init();
    try {
      DeviceHandle dev = nvml.deviceByIndex(gpuIndex);
      if (!nvml.migMode(dev).currentEnabled()) {
        return List.of();
      }
      List<Live> out = new ArrayList<>();
      TreeSet<Integer> seen = new TreeSet<>();
      for (int e = 0; e < Nvml.GPU_INSTANCE_PROFILE_COUNT; e++) {
        GpuInstanceProfileInfo info;
        try {
          info = nvml.gpuInstanceProfileInfo(dev, e);
        } catch (NvmlException ex) {
          if (ex.code() == NvmlReturn.NOT_SUPPORTED || ex.code() == NvmlReturn.INVALID_ARGUMENT) {
            continue;
          }
          throw ex;
        }
        if (!seen.add(info.id())) {
          continue;
        }
        for (GpuInstanceHandle gi : nvml.gpuInstances(dev, info.id())) {
          GpuInstanceInfo g = nvml.gpuInstanceInfo(gi);
          List<String> migs = new ArrayList<>();
          for (int i = 0; i < nvml.maxMigDeviceCount(dev); i++) {
            Optional<DeviceHandle> mig = nvml.migDeviceByIndex(dev, i);
            if (mig.isPresent() && nvml.migGpuInstanceId(mig.get()) == g.id()) {
              migs.add(nvml.uuid(mig.get()));
            }
          }
          out.add(new Live(info.profileName(), g.placement().start(), g.placement().size(), g.id(), migs));
        }
      }
      out.sort((a, b) -> Integer.compare(a.start(), b.start()));
      return out;
    } finally {
      nvml.shutdown();
    }
  }

  /** Creates an instance behind the manager's back (a leftover from an earlier run), returning its MIG UUID. */
  static String createDirectly(Nvml nvml, int gpuIndex, int profileEnum, int start, int size) {
    nvml.init();
    try {
      DeviceHandle dev = nvml.deviceByIndex(gpuIndex);
      GpuInstanceProfileInfo info = nvml.gpuInstanceProfileInfo(dev, profileEnum);
      GpuInstanceHandle gi = nvml.createGpuInstanceWithPlacement(dev, info.id(), new Placement(start, size));
      int ciEnum = SliceProfiles.enumFor(info.sliceCount());
      ComputeInstanceHandle ci = nvml.createComputeInstance(gi, nvml.computeInstanceProfileInfo(gi, ciEnum, 0).id());
      int giId = nvml.gpuInstanceInfo(gi).id();
      int ciId = nvml.computeInstanceInfo(ci).id();
      for (int i = 0; i < nvml.maxMigDeviceCount(dev); i++) {
        Optional<DeviceHandle> mig = nvml.migDeviceByIndex(dev, i);
        if (mig.isPresent() && nvml.migGpuInstanceId(mig.get()) == giId
            && nvml.migComputeInstanceId(mig.get()) == ciId) {
          return nvml.uuid(mig.get());
        }
      }
      throw new AssertionError("created instance has no MIG device");
    } finally {
      nvml.shutdown();
    }
  }
}
