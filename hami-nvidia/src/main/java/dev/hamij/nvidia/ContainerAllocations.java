package dev.hamij.nvidia;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GoBool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Builds a container's Allocate answer (node.md §2.7.5–2.7.7) as pure functions: same inputs, same
 * {@link ContainerAllocation}. In hami-core (and mps) mode the answer makes HAMi-core's {@code libvgpu.so} enforce
 * the scheduler's slice unchanged; byte-for-byte env names, values and mount paths of HAMi:
 *
 * <ul>
 *   <li>{@code NVIDIA_VISIBLE_DEVICES} (or the volume-mount list), de-duplicated in order;
 *   <li>{@code CUDA_DEVICE_MEMORY_LIMIT_<k>=<usedmem>m} per device, {@code CUDA_DEVICE_SM_LIMIT=<usedcores of the
 *       first device>}, and, only when the devices' cores differ, {@code CUDA_DEVICE_SM_LIMIT_<k>} per device
 *       (node.md §9 #9; HAMi-core reads both);
 *   <li>{@code CUDA_DEVICE_MEMORY_SHARED_CACHE=<H>/vgpu/<cacheId>.cache}; {@code CUDA_OVERSUBSCRIBE=true} when memory
 *       scaling is above 1; {@code LIBCUDA_LOG_LEVEL} when set; {@code GPU_CORE_UTILIZATION_POLICY=disable} with
 *       {@code disableCoreLimit};
 *   <li>mounts: the library, the per-container directory {@code <H>/vgpu/containers/<podUid>_<container>},
 *       {@code /tmp/vgpulock}, {@code /etc/ld.so.preload} unless the container sets {@code CUDA_DISABLE_CONTROL} to a
 *       Go-true value, and license/validator when the host has a license.
 * </ul>
 *
 * In {@code mig} mode only the base answer with the MIG device UUIDs is produced.
 */
public final class ContainerAllocations {
  private static final String VOLUME_MOUNT_ROOT = "/var/run/nvidia-container-devices";
  private static final String VGPU_LOCK = "/tmp/vgpulock";

  private ContainerAllocations() {}

  /**
   * The answer for a container in hami-core or mps mode; {@code cacheId} names its shared-region file (a random UUID
   * in production).
   *
   * @throws IllegalArgumentException naming the pod, container and field when the request cannot be served
   */
  public static ContainerAllocation hamiCore(AllocationSettings settings, ContainerRequest request, UUID cacheId) {
    String where = "pod " + request.podUid() + " container " + request.containerName();
    requirePathSafe(where, "pod UID", request.podUid());
    requirePathSafe(where, "container name", request.containerName());
    List<ContainerDevice> devices = request.devices();
    if (devices.isEmpty()) {
      throw new IllegalArgumentException(where + ": no GPU devices to allocate");
    }
    List<String> ids = devices.stream().map(ContainerDevice::uuid).toList();
    Map<String, String> envs = new LinkedHashMap<>();
    List<Mount> mounts = new ArrayList<>();
    List<DeviceSpec> deviceSpecs = new ArrayList<>();
    base(settings, ids, where, envs, mounts, deviceSpecs);

    for (int k = 0; k < devices.size(); k++) {
      envs.put("CUDA_DEVICE_MEMORY_LIMIT_" + k, devices.get(k).usedmem() + "m");
    }
    int firstCores = devices.get(0).usedcores();
    envs.put("CUDA_DEVICE_SM_LIMIT", Integer.toString(firstCores));
    if (devices.stream().anyMatch(d -> d.usedcores() != firstCores)) {
      for (int k = 0; k < devices.size(); k++) {
        envs.put("CUDA_DEVICE_SM_LIMIT_" + k, Integer.toString(devices.get(k).usedcores()));
      }
    }
    String vgpu = settings.hookPath() + "/vgpu";
    envs.put("CUDA_DEVICE_MEMORY_SHARED_CACHE", vgpu + "/" + cacheId + ".cache");
    if (settings.deviceMemoryScaling() > 1) {
      envs.put("CUDA_OVERSUBSCRIBE", "true");
    }
    if (!settings.libCudaLogLevel().isEmpty()) {
      envs.put("LIBCUDA_LOG_LEVEL", settings.libCudaLogLevel());
    }
    if (settings.disableCoreLimit()) {
      envs.put("GPU_CORE_UTILIZATION_POLICY", "disable");
    }

    String containerDir = vgpu + "/containers/" + request.podUid() + "_" + request.containerName();
    mounts.add(new Mount(vgpu + "/libvgpu.so", settings.hostLibraryPath(), true));
    mounts.add(new Mount(vgpu, containerDir, false));
    mounts.add(new Mount(VGPU_LOCK, VGPU_LOCK, false));
    if (!GoBool.parse(request.containerEnv().get("CUDA_DISABLE_CONTROL")).orElse(false)) {
      mounts.add(new Mount("/etc/ld.so.preload", vgpu + "/ld.so.preload", true));
    }
    if (settings.licensePresent()) {
      mounts.add(new Mount("/tmp/license", vgpu + "/license", true));
      mounts.add(new Mount("/usr/bin/vgpuvalidator", vgpu + "/vgpuvalidator", true));
    }
    List<HostDirectory> dirs = List.of(new HostDirectory(containerDir, true), new HostDirectory(VGPU_LOCK, false));
    return new ContainerAllocation(envs, mounts, deviceSpecs, dirs);
  }

  /**
   * The answer for a container in mig mode: the base answer with its MIG devices, no HAMi-core additions.
   *
   * @throws IllegalArgumentException when there is no MIG device or device specs are requested (not supported for
   *     MIG devices)
   */
  public static ContainerAllocation mig(AllocationSettings settings, List<String> migUuids) {
    if (migUuids.isEmpty()) {
      throw new IllegalArgumentException("mig allocation: no MIG device UUIDs");
    }
    if (settings.passDeviceSpecs()) {
      throw new IllegalArgumentException("mig allocation: PASS_DEVICE_SPECS is not supported for MIG devices");
    }
    Map<String, String> envs = new LinkedHashMap<>();
    List<Mount> mounts = new ArrayList<>();
    base(settings, migUuids, "mig allocation", envs, mounts, new ArrayList<>());
    return new ContainerAllocation(envs, mounts, List.of(), List.of());
  }

  /** node.md §2.7.5: visible devices, device nodes and feature switches. */
  private static void base(AllocationSettings settings, List<String> ids, String where, Map<String, String> envs,
      List<Mount> mounts, List<DeviceSpec> deviceSpecs) {
    Set<String> unique = new LinkedHashSet<>(ids);
    if (settings.deviceListStrategy() == DeviceListStrategy.ENVVAR) {
      envs.put("NVIDIA_VISIBLE_DEVICES", String.join(",", unique));
    } else {
      envs.put("NVIDIA_VISIBLE_DEVICES", VOLUME_MOUNT_ROOT);
      for (String id : unique) {
        mounts.add(new Mount(VOLUME_MOUNT_ROOT + "/" + id, "/dev/null", false));
      }
    }
    if (settings.passDeviceSpecs()) {
      for (String node : settings.controlDeviceNodes()) {
        deviceSpecs.add(new DeviceSpec(node, hostDevice(settings, node), "rw"));
      }
      for (String id : unique) {
        Integer minor = settings.gpuMinors().get(id);
        if (minor == null) {
          throw new IllegalArgumentException(where + ": no device node known for GPU " + id);
        }
        String node = "/dev/nvidia" + minor;
        deviceSpecs.add(new DeviceSpec(node, hostDevice(settings, node), "rw"));
      }
    }
    if (settings.gdrcopyEnabled()) {
      envs.put("NVIDIA_GDRCOPY", "enabled");
    }
    if (settings.gdsEnabled()) {
      envs.put("NVIDIA_GDS", "enabled");
    }
    if (settings.mofedEnabled()) {
      envs.put("NVIDIA_MOFED", "enabled");
    }
  }

  private static String hostDevice(AllocationSettings settings, String node) {
    return settings.devRoot().equals("/") ? node : settings.devRoot() + node;
  }

  private static void requirePathSafe(String where, String field, String value) {
    if (value.isEmpty() || value.contains("/") || value.equals(".") || value.equals("..")) {
      throw new IllegalArgumentException(where + ": " + field + " '" + value + "' cannot name a host directory");
    }
  }
}
