package dev.hamij.nvml;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.hamij.nvml.NvmlStructs.ComputeInstanceInfoT;
import dev.hamij.nvml.NvmlStructs.ComputeInstanceProfileInfoT;
import dev.hamij.nvml.NvmlStructs.EventDataT;
import dev.hamij.nvml.NvmlStructs.GpuInstanceInfoT;
import dev.hamij.nvml.NvmlStructs.GpuInstanceProfileInfoT;
import dev.hamij.nvml.NvmlStructs.MemoryT;
import dev.hamij.nvml.NvmlStructs.PciInfoT;
import dev.hamij.nvml.NvmlStructs.PlacementT;

/**
 * JNA direct mapping of the NVML symbols every supported driver (R470+) exports. Registered once per process by
 * {@link JnaNvml}; the newer, optional symbols are looked up one by one there instead.
 */
final class NvmlNative {
  private NvmlNative() {}

  static native int nvmlInit_v2();

  static native int nvmlShutdown();

  static native String nvmlErrorString(int result);

  static native int nvmlSystemGetDriverVersion(byte[] version, int length);

  static native int nvmlDeviceGetCount_v2(IntByReference count);

  static native int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

  static native int nvmlDeviceGetHandleByUUID(String uuid, PointerByReference device);

  static native int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length);

  static native int nvmlDeviceGetName(Pointer device, byte[] name, int length);

  static native int nvmlDeviceGetIndex(Pointer device, IntByReference index);

  static native int nvmlDeviceGetMinorNumber(Pointer device, IntByReference minor);

  static native int nvmlDeviceGetMemoryInfo(Pointer device, MemoryT memory);

  static native int nvmlDeviceGetPciInfo_v3(Pointer device, PciInfoT pci);

  static native int nvmlDeviceGetTopologyCommonAncestor(Pointer first, Pointer second, IntByReference level);

  static native int nvmlEventSetCreate(PointerByReference set);

  static native int nvmlEventSetFree(Pointer set);

  static native int nvmlDeviceGetSupportedEventTypes(Pointer device, LongByReference eventTypes);

  static native int nvmlDeviceRegisterEvents(Pointer device, long eventTypes, Pointer set);

  static native int nvmlEventSetWait_v2(Pointer set, EventDataT data, int timeoutMs);

  static native int nvmlDeviceGetMigMode(Pointer device, IntByReference current, IntByReference pending);

  static native int nvmlDeviceSetMigMode(Pointer device, int mode, IntByReference activationStatus);

  static native int nvmlDeviceGetGpuInstanceProfileInfo(Pointer device, int profile, GpuInstanceProfileInfoT info);

  static native int nvmlDeviceGetGpuInstancePossiblePlacements_v2(
      Pointer device, int profileId, int[] placements, IntByReference count);

  static native int nvmlDeviceGetGpuInstanceRemainingCapacity(Pointer device, int profileId, IntByReference count);

  static native int nvmlDeviceCreateGpuInstanceWithPlacement(
      Pointer device, int profileId, PlacementT placement, PointerByReference gpuInstance);

  static native int nvmlDeviceGetGpuInstances(Pointer device, int profileId, Pointer gpuInstances,
      IntByReference count);

  static native int nvmlDeviceGetGpuInstanceById(Pointer device, int id, PointerByReference gpuInstance);

  static native int nvmlGpuInstanceGetInfo(Pointer gpuInstance, GpuInstanceInfoT info);

  static native int nvmlGpuInstanceDestroy(Pointer gpuInstance);

  static native int nvmlGpuInstanceGetComputeInstanceProfileInfo(
      Pointer gpuInstance, int profile, int engineProfile, ComputeInstanceProfileInfoT info);

  static native int nvmlGpuInstanceCreateComputeInstance(
      Pointer gpuInstance, int profileId, PointerByReference computeInstance);

  static native int nvmlGpuInstanceGetComputeInstances(
      Pointer gpuInstance, int profileId, Pointer computeInstances, IntByReference count);

  static native int nvmlGpuInstanceGetComputeInstanceById(
      Pointer gpuInstance, int id, PointerByReference computeInstance);

  static native int nvmlComputeInstanceGetInfo_v2(Pointer computeInstance, ComputeInstanceInfoT info);

  static native int nvmlComputeInstanceDestroy(Pointer computeInstance);

  static native int nvmlDeviceIsMigDeviceHandle(Pointer device, IntByReference isMig);

  static native int nvmlDeviceGetGpuInstanceId(Pointer device, IntByReference id);

  static native int nvmlDeviceGetComputeInstanceId(Pointer device, IntByReference id);

  static native int nvmlDeviceGetMaxMigDeviceCount(Pointer device, IntByReference count);

  static native int nvmlDeviceGetMigDeviceHandleByIndex(Pointer device, int index, PointerByReference migDevice);

  static native int nvmlDeviceGetDeviceHandleFromMigDeviceHandle(Pointer migDevice, PointerByReference device);
}
