package dev.hamij.nvml;

import dev.hamij.api.Placement;
import java.util.List;
import java.util.Optional;

/**
 * The NVML calls a GPU node needs (node.md §8): discovery, XID events and MIG instance management.
 *
 * <p>Guarantees shared by every implementation:
 *
 * <ul>
 *   <li>{@link #init()} and {@link #shutdown()} are reference counted: every successful {@code init} needs exactly
 *       one {@code shutdown}; the underlying library is initialised once per process, however many users share it.
 *   <li>Every NVML return code other than {@code SUCCESS} surfaces as an {@link NvmlException} naming the C
 *       function, the device and the code. The only exceptions are the normal outcomes {@code NOT_FOUND} of the
 *       lookups returning {@link Optional} and {@code TIMEOUT} of {@link #waitForEvent}.
 *   <li>Calls before {@code init} (or after the last {@code shutdown}) fail with {@code UNINITIALIZED}.
 *   <li>All methods are thread-safe.
 * </ul>
 *
 * <p>Profile arguments are NVML's numeric enums ({@code NVML_GPU_INSTANCE_PROFILE_*},
 * {@code NVML_COMPUTE_INSTANCE_PROFILE_*}); profile ids are the {@code id} fields the profile-info calls return.
 */
public interface Nvml {
  /** GPU/compute-instance id of an event or process that is not attributed to a MIG instance. */
  int NO_INSTANCE = 0xFFFFFFFF;
  /** Number of GPU-instance profile enums ({@code NVML_GPU_INSTANCE_PROFILE_COUNT}). */
  int GPU_INSTANCE_PROFILE_COUNT = 0x12;
  /** Number of compute-instance profile enums ({@code NVML_COMPUTE_INSTANCE_PROFILE_COUNT}). */
  int COMPUTE_INSTANCE_PROFILE_COUNT = 9;
  /** {@code NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED}. */
  int COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED = 0;

  /** {@code nvmlInit_v2}, reference counted. */
  void init();

  /** {@code nvmlShutdown}, releasing one {@link #init()}; the library shuts down with the last reference. */
  void shutdown();

  /** Driver version string, e.g. {@code 550.54.15}. */
  String driverVersion();

  /** Number of GPUs visible to NVML. */
  int deviceCount();

  /** Handle of the GPU with NVML index {@code index}. A single bad GPU may fail with {@code GPU_IS_LOST}. */
  DeviceHandle deviceByIndex(int index);

  /** Handle of the GPU or MIG device with this UUID; empty when NVML answers {@code NOT_FOUND}. */
  Optional<DeviceHandle> deviceByUuid(String uuid);

  /** UUID ({@code GPU-...} or, for a MIG device, {@code MIG-...}). */
  String uuid(DeviceHandle device);

  /** Product name as the driver reports it, e.g. {@code NVIDIA A100-SXM4-40GB}. */
  String name(DeviceHandle device);

  /** NVML index of a GPU. */
  int index(DeviceHandle device);

  /** Minor number: the GPU's device node is {@code /dev/nvidia<minor>}. */
  int minorNumber(DeviceHandle device);

  /** Frame-buffer memory; {@code NOT_SUPPORTED} on unified-memory parts. */
  MemoryInfo memoryInfo(DeviceHandle device);

  /** PCI location. */
  PciInfo pciInfo(DeviceHandle device);

  /**
   * NUMA node of the GPU, or {@code -1} when unknown. The JNA binding reads
   * {@code /sys/bus/pci/devices/<busId>/numa_node}; unreadable counts as unknown.
   */
  int numaNode(DeviceHandle device);

  /** Closest common ancestor of two GPUs in the system topology. */
  TopologyLevel topologyCommonAncestor(DeviceHandle first, DeviceHandle second);

  /** Compute processes on a GPU or MIG device. */
  List<ProcessInfo> computeRunningProcesses(DeviceHandle device);

  /** A new, empty event set. */
  EventSet createEventSet();

  /** Frees an event set. */
  void freeEventSet(EventSet set);

  /** Bit mask of the {@link EventData} event types the device can report. */
  long supportedEventTypes(DeviceHandle device);

  /** Registers the device's events of {@code eventTypes} with the set; {@code NOT_SUPPORTED} on old GPUs. */
  void registerEvents(DeviceHandle device, long eventTypes, EventSet set);

  /** Waits up to {@code timeoutMs} for the next event of the set; empty on {@code TIMEOUT}. */
  Optional<EventData> waitForEvent(EventSet set, int timeoutMs);

  /** Current and pending MIG mode; {@code NOT_SUPPORTED} on GPUs without MIG. */
  MigMode migMode(DeviceHandle device);

  /**
   * Requests MIG mode on or off and returns the activation status: {@code SUCCESS} when the mode is now current,
   * {@code IN_USE} or {@code RESET_REQUIRED} when it stays pending. Never resets the GPU.
   */
  NvmlReturn setMigMode(DeviceHandle device, boolean enabled);

  /**
   * Profile info for a GPU-instance profile enum; {@code NOT_SUPPORTED} or {@code INVALID_ARGUMENT} when the GPU
   * lacks the profile (or MIG is disabled).
   */
  GpuInstanceProfileInfo gpuInstanceProfileInfo(DeviceHandle device, int profileEnum);

  /** Every legal placement of a profile id, regardless of what is occupied now. */
  List<Placement> gpuInstancePossiblePlacements(DeviceHandle device, int profileId);

  /** How many more instances of a profile id fit next to the existing ones. */
  int gpuInstanceRemainingCapacity(DeviceHandle device, int profileId);

  /**
   * Creates a GPU instance of a profile id at exactly {@code placement}; {@code INSUFFICIENT_RESOURCES} when it
   * overlaps an existing instance or a limit is reached, {@code NOT_SUPPORTED} when MIG is disabled.
   */
  GpuInstanceHandle createGpuInstanceWithPlacement(DeviceHandle device, int profileId, Placement placement);

  /** The existing GPU instances of a profile id. */
  List<GpuInstanceHandle> gpuInstances(DeviceHandle device, int profileId);

  /** The GPU instance with this GI id; empty when NVML answers {@code NOT_FOUND}. */
  Optional<GpuInstanceHandle> gpuInstanceById(DeviceHandle device, int gpuInstanceId);

  /** Identity and placement of a GPU instance. */
  GpuInstanceInfo gpuInstanceInfo(GpuInstanceHandle gpuInstance);

  /** Destroys a GPU instance; {@code IN_USE} while it has compute instances or processes. */
  void destroyGpuInstance(GpuInstanceHandle gpuInstance);

  /** Compute-instance profile info inside a GPU instance (engine profile usually {@code SHARED}). */
  ComputeInstanceProfileInfo computeInstanceProfileInfo(
      GpuInstanceHandle gpuInstance, int profileEnum, int engineProfile);

  /** Creates a compute instance of a CI profile id in the GPU instance. */
  ComputeInstanceHandle createComputeInstance(GpuInstanceHandle gpuInstance, int profileId);

  /** The compute instances of a CI profile id in the GPU instance. */
  List<ComputeInstanceHandle> computeInstances(GpuInstanceHandle gpuInstance, int profileId);

  /** The compute instance with this CI id; empty when NVML answers {@code NOT_FOUND}. */
  Optional<ComputeInstanceHandle> computeInstanceById(GpuInstanceHandle gpuInstance, int computeInstanceId);

  /** Identity and placement of a compute instance. */
  ComputeInstanceInfo computeInstanceInfo(ComputeInstanceHandle computeInstance);

  /** Destroys a compute instance; {@code IN_USE} while processes run in it. */
  void destroyComputeInstance(ComputeInstanceHandle computeInstance);

  /** True when the handle is a MIG device rather than a physical GPU. */
  boolean isMigDevice(DeviceHandle device);

  /** GI id of a MIG device. */
  int migGpuInstanceId(DeviceHandle migDevice);

  /** CI id of a MIG device. */
  int migComputeInstanceId(DeviceHandle migDevice);

  /** Upper bound of MIG device indices on a GPU. */
  int maxMigDeviceCount(DeviceHandle device);

  /**
   * MIG device at {@code index} (0 .. {@link #maxMigDeviceCount} - 1); empty for unused indices. The order is not
   * tied to placement: find a MIG device by its GI id.
   */
  Optional<DeviceHandle> migDeviceByIndex(DeviceHandle device, int index);

  /** The physical GPU a MIG device belongs to. */
  DeviceHandle parentOfMigDevice(DeviceHandle migDevice);
}
