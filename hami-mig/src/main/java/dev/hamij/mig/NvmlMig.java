package dev.hamij.mig;

import dev.hamij.api.MigProfileTable;
import dev.hamij.api.Placement;
import dev.hamij.nvml.ComputeInstanceHandle;
import dev.hamij.nvml.ComputeInstanceProfileInfo;
import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.GpuInstanceHandle;
import dev.hamij.nvml.GpuInstanceInfo;
import dev.hamij.nvml.GpuInstanceProfileInfo;
import dev.hamij.nvml.Nvml;
import dev.hamij.nvml.NvmlException;
import dev.hamij.nvml.NvmlReturn;
import dev.hamij.nvml.SliceProfiles;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The NVML steps of MIG management, without policy: profile lookup by name, creation, finding a MIG device by its
 * GPU-instance id, listing what lives on a GPU, and destroying one instance. Callers hold the GPU's lock.
 */
final class NvmlMig {

  /** A GPU-instance profile of one GPU as NVML knows it. */
  record Profile(String name, int gpuInstanceEnum, int profileId, int computeInstanceEnum, List<Placement> placements) {}

  /** A compute instance inside a GPU instance, with the MIG device behind it (null UUID when NVML lists none). */
  record LiveCompute(int id, String migUuid, boolean busy) {}

  /** A GPU instance that exists on the GPU now. */
  record LiveInstance(int id, int profileId, String profile, Placement placement, List<LiveCompute> computeInstances) {
    boolean busy() {
      return computeInstances.stream().anyMatch(LiveCompute::busy);
    }
  }

  /** What became of a destroy request. */
  enum Outcome { DESTROYED, GONE, IN_USE, NOT_OURS }

  private final Nvml nvml;
  private final MigProfileTable table;

  NvmlMig(Nvml nvml, MigProfileTable table) {
    this.nvml = nvml;
    this.table = table;
  }

  /**
   * The profile called {@code name} on the GPU. The profile table maps the name to its NVML enum (so {@code +me} and
   * {@code 1g.10gb}-style profiles resolve correctly); when the table lacks the GPU or the name, or the driver's own
   * v2 name disagrees, NVML's profile names decide.
   */
  Profile resolve(NodeGpus.Gpu gpu, DeviceHandle dev, String name) {
    Profile cached = gpu.profiles.get(name);
    if (cached != null) {
      return cached;
    }
    Optional<MigProfileTable.Model> model = table.forName(gpu.name);
    int giEnum = model.flatMap(m -> m.profile(name)).map(MigProfileTable.Profile::giProfileEnum).orElse(-1);
    GpuInstanceProfileInfo info = giEnum < 0 ? null : profileInfo(dev, giEnum);
    if (info != null && !info.profileName().isEmpty() && !info.profileName().equals(name)) {
      info = null;
    }
    for (int e = 0; info == null && e < Nvml.GPU_INSTANCE_PROFILE_COUNT; e++) {
      GpuInstanceProfileInfo candidate = profileInfo(dev, e);
      if (candidate != null && candidate.profileName().equals(name)) {
        info = candidate;
        giEnum = e;
      }
    }
    if (info == null) {
      String known = model.map(m -> m.profiles().stream().map(MigProfileTable.Profile::name).toList().toString())
          .orElse("unknown to the profile table");
      throw new MigException(gpu.label() + " (" + gpu.name + ") has no MIG profile " + name + "; its profiles: "
          + known);
    }
    List<Placement> placements = nvml.gpuInstancePossiblePlacements(dev, info.id());
    Profile profile = new Profile(name, giEnum, info.id(), computeEnumForSlices(info.sliceCount()), placements);
    gpu.profiles.put(name, profile);
    return profile;
  }

  /** Creates the GPU instance at exactly this placement. */
  GpuInstanceHandle createGpuInstance(DeviceHandle dev, Profile profile, Placement placement) {
    return nvml.createGpuInstanceWithPlacement(dev, profile.profileId(), placement);
  }

  int gpuInstanceId(GpuInstanceHandle gi) {
    return nvml.gpuInstanceInfo(gi).id();
  }

  /** Creates the one compute instance that spans the whole GPU instance. */
  ComputeInstanceHandle createComputeInstance(GpuInstanceHandle gi, Profile profile) {
    ComputeInstanceProfileInfo info = nvml.computeInstanceProfileInfo(gi, profile.computeInstanceEnum(),
        Nvml.COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED);
    return nvml.createComputeInstance(gi, info.id());
  }

  int computeInstanceId(ComputeInstanceHandle ci) {
    return nvml.computeInstanceInfo(ci).id();
  }

  /** The UUID of the MIG device of this GPU/compute instance, found by ids (never by MIG-device index). */
  Optional<String> migUuid(DeviceHandle dev, int gpuInstanceId, int computeInstanceId) {
    int max = nvml.maxMigDeviceCount(dev);
    for (int i = 0; i < max; i++) {
      Optional<DeviceHandle> mig = nvml.migDeviceByIndex(dev, i);
      if (mig.isPresent() && nvml.migGpuInstanceId(mig.get()) == gpuInstanceId
          && nvml.migComputeInstanceId(mig.get()) == computeInstanceId) {
        return Optional.of(nvml.uuid(mig.get()));
      }
    }
    return Optional.empty();
  }

  /** Every GPU instance on the GPU, of every profile enum, with its compute instances and whether they run work. */
  List<LiveInstance> live(NodeGpus.Gpu gpu, DeviceHandle dev) {
    List<MigDeviceState> migDevices = migDevices(dev);
    Optional<MigProfileTable.Model> model = table.forName(gpu.name);
    List<LiveInstance> out = new ArrayList<>();
    Set<Integer> seenProfiles = new HashSet<>();
    for (int e = 0; e < Nvml.GPU_INSTANCE_PROFILE_COUNT; e++) {
      GpuInstanceProfileInfo info = profileInfo(dev, e);
      if (info == null || !seenProfiles.add(info.id())) {
        continue;
      }
      String name = profileName(info, e, model);
      for (GpuInstanceHandle gi : nvml.gpuInstances(dev, info.id())) {
        GpuInstanceInfo gInfo = nvml.gpuInstanceInfo(gi);
        List<LiveCompute> cis = new ArrayList<>();
        for (ComputeInstanceHandle ci : computeInstances(gi)) {
          int ciId = computeInstanceId(ci);
          Optional<MigDeviceState> d = migDevices.stream()
              .filter(m -> m.gpuInstanceId() == gInfo.id() && m.computeInstanceId() == ciId).findFirst();
          cis.add(new LiveCompute(ciId, d.map(MigDeviceState::uuid).orElse(null),
              d.map(MigDeviceState::busy).orElse(false)));
        }
        out.add(new LiveInstance(gInfo.id(), info.id(), name, gInfo.placement(), List.copyOf(cis)));
      }
    }
    return out;
  }

  /**
   * Destroys the instance of {@code profileId} at {@code placement}: its compute instances, then the GPU instance.
   * When ids or a MIG UUID are known ({@code -1}/null otherwise) and the live instance has others, it is not ours and
   * is left alone. {@code IN_USE} is an outcome; every other NVML error propagates.
   */
  Outcome destroy(DeviceHandle dev, int profileId, Placement placement, int gpuInstanceId, int computeInstanceId,
      String migUuid) {
    GpuInstanceHandle gi = null;
    GpuInstanceInfo info = null;
    for (GpuInstanceHandle candidate : nvml.gpuInstances(dev, profileId)) {
      GpuInstanceInfo candidateInfo = nvml.gpuInstanceInfo(candidate);
      if (candidateInfo.placement().equals(placement)) {
        gi = candidate;
        info = candidateInfo;
      }
    }
    if (gi == null) {
      return Outcome.GONE;
    }
    if (gpuInstanceId >= 0 && info.id() != gpuInstanceId) {
      return Outcome.NOT_OURS;
    }
    if (computeInstanceId >= 0 && migUuid != null) {
      Optional<String> live = migUuid(dev, info.id(), computeInstanceId);
      if (live.isPresent() && !live.get().equals(migUuid)) {
        return Outcome.NOT_OURS;
      }
    }
    try {
      for (ComputeInstanceHandle ci : computeInstances(gi)) {
        nvml.destroyComputeInstance(ci);
      }
      nvml.destroyGpuInstance(gi);
    } catch (NvmlException e) {
      if (e.code() == NvmlReturn.IN_USE) {
        return Outcome.IN_USE;
      }
      throw e;
    }
    return Outcome.DESTROYED;
  }

  /** Destroys what a failed creation left, by handle: the compute instance (if any), then the GPU instance. */
  void destroyCreated(GpuInstanceHandle gi, ComputeInstanceHandle ci) {
    if (ci != null) {
      nvml.destroyComputeInstance(ci);
    }
    nvml.destroyGpuInstance(gi);
  }

  private List<ComputeInstanceHandle> computeInstances(GpuInstanceHandle gi) {
    List<ComputeInstanceHandle> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (int e = 0; e < Nvml.COMPUTE_INSTANCE_PROFILE_COUNT; e++) {
      ComputeInstanceProfileInfo info;
      try {
        info = nvml.computeInstanceProfileInfo(gi, e, Nvml.COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED);
      } catch (NvmlException ex) {
        if (notOffered(ex)) {
          continue;
        }
        throw ex;
      }
      if (seen.add(info.id())) {
        out.addAll(nvml.computeInstances(gi, info.id()));
      }
    }
    return out;
  }

  private record MigDeviceState(int gpuInstanceId, int computeInstanceId, String uuid, boolean busy) {}

  /** Every MIG device of the GPU; one whose processes cannot be read counts as busy. */
  private List<MigDeviceState> migDevices(DeviceHandle dev) {
    List<MigDeviceState> out = new ArrayList<>();
    int max = nvml.maxMigDeviceCount(dev);
    for (int i = 0; i < max; i++) {
      Optional<DeviceHandle> mig = nvml.migDeviceByIndex(dev, i);
      if (mig.isEmpty()) {
        continue;
      }
      boolean busy;
      try {
        busy = !nvml.computeRunningProcesses(mig.get()).isEmpty();
      } catch (NvmlException e) {
        busy = true;
      }
      out.add(new MigDeviceState(nvml.migGpuInstanceId(mig.get()), nvml.migComputeInstanceId(mig.get()),
          nvml.uuid(mig.get()), busy));
    }
    return out;
  }

  private String profileName(GpuInstanceProfileInfo info, int giEnum, Optional<MigProfileTable.Model> model) {
    if (!info.profileName().isEmpty()) {
      return info.profileName();
    }
    return model.flatMap(m -> m.profiles().stream().filter(p -> p.giProfileEnum() == giEnum).findFirst())
        .map(MigProfileTable.Profile::name).orElse("profile id " + info.id());
  }

  /** Profile info, or null when the GPU does not offer that enum. */
  private GpuInstanceProfileInfo profileInfo(DeviceHandle dev, int giEnum) {
    try {
      return nvml.gpuInstanceProfileInfo(dev, giEnum);
    } catch (NvmlException e) {
      if (notOffered(e)) {
        return null;
      }
      throw e;
    }
  }

  private static boolean notOffered(NvmlException e) {
    return e.code() == NvmlReturn.NOT_SUPPORTED || e.code() == NvmlReturn.INVALID_ARGUMENT;
  }

  /** {@code NVML_COMPUTE_INSTANCE_PROFILE_<n>_SLICE}: the compute instance spanning a GPU instance of n slices. */
  private static int computeEnumForSlices(int slices) {
    int e = SliceProfiles.enumFor(slices);
    if (e < 0) {
      throw new MigException("no compute-instance profile spans " + slices + " compute slices");
    }
    return e;
  }
}
