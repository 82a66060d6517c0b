package dev.hamij.nvml;

/**
 * The NVML entry points behind {@link Nvml}, each with the versioned C symbol it binds (node.md §8.1). Errors name
 * the symbol; the simulator's failure injection is keyed by these constants.
 */
public enum NvmlFunction {
  INIT("nvmlInit_v2"),
  SHUTDOWN("nvmlShutdown"),
  DRIVER_VERSION("nvmlSystemGetDriverVersion"),
  DEVICE_COUNT("nvmlDeviceGetCount_v2"),
  DEVICE_BY_INDEX("nvmlDeviceGetHandleByIndex_v2"),
  DEVICE_BY_UUID("nvmlDeviceGetHandleByUUID"),
  UUID("nvmlDeviceGetUUID"),
  NAME("nvmlDeviceGetName"),
  INDEX("nvmlDeviceGetIndex"),
  MINOR_NUMBER("nvmlDeviceGetMinorNumber"),
  MEMORY_INFO("nvmlDeviceGetMemoryInfo"),
  PCI_INFO("nvmlDeviceGetPciInfo_v3"),
  TOPOLOGY_COMMON_ANCESTOR("nvmlDeviceGetTopologyCommonAncestor"),
  COMPUTE_RUNNING_PROCESSES("nvmlDeviceGetComputeRunningProcesses_v3"),
  EVENT_SET_CREATE("nvmlEventSetCreate"),
  EVENT_SET_FREE("nvmlEventSetFree"),
  SUPPORTED_EVENT_TYPES("nvmlDeviceGetSupportedEventTypes"),
  REGISTER_EVENTS("nvmlDeviceRegisterEvents"),
  EVENT_SET_WAIT("nvmlEventSetWait_v2"),
  MIG_MODE("nvmlDeviceGetMigMode"),
  SET_MIG_MODE("nvmlDeviceSetMigMode"),
  GPU_INSTANCE_PROFILE_INFO("nvmlDeviceGetGpuInstanceProfileInfo"),
  GPU_INSTANCE_POSSIBLE_PLACEMENTS("nvmlDeviceGetGpuInstancePossiblePlacements_v2"),
  GPU_INSTANCE_REMAINING_CAPACITY("nvmlDeviceGetGpuInstanceRemainingCapacity"),
  CREATE_GPU_INSTANCE_WITH_PLACEMENT("nvmlDeviceCreateGpuInstanceWithPlacement"),
  GPU_INSTANCES("nvmlDeviceGetGpuInstances"),
  GPU_INSTANCE_BY_ID("nvmlDeviceGetGpuInstanceById"),
  GPU_INSTANCE_INFO("nvmlGpuInstanceGetInfo"),
  DESTROY_GPU_INSTANCE("nvmlGpuInstanceDestroy"),
  COMPUTE_INSTANCE_PROFILE_INFO("nvmlGpuInstanceGetComputeInstanceProfileInfo"),
  CREATE_COMPUTE_INSTANCE("nvmlGpuInstanceCreateComputeInstance"),
  COMPUTE_INSTANCES("nvmlGpuInstanceGetComputeInstances"),
  COMPUTE_INSTANCE_BY_ID("nvmlGpuInstanceGetComputeInstanceById"),
  COMPUTE_INSTANCE_INFO("nvmlComputeInstanceGetInfo_v2"),
  DESTROY_COMPUTE_INSTANCE("nvmlComputeInstanceDestroy"),
  IS_MIG_DEVICE("nvmlDeviceIsMigDeviceHandle"),
  MIG_GPU_INSTANCE_ID("nvmlDeviceGetGpuInstanceId"),
  MIG_COMPUTE_INSTANCE_ID("nvmlDeviceGetComputeInstanceId"),
  MAX_MIG_DEVICE_COUNT("nvmlDeviceGetMaxMigDeviceCount"),
  MIG_DEVICE_BY_INDEX("nvmlDeviceGetMigDeviceHandleByIndex"),
  PARENT_OF_MIG_DEVICE("nvmlDeviceGetDeviceHandleFromMigDeviceHandle");

  private final String symbol;

  NvmlFunction(String symbol) {
    this.symbol = symbol;
  }

  /** The C symbol, e.g. {@code nvmlDeviceCreateGpuInstanceWithPlacement}. */
  public String symbol() {
    return symbol;
  }
}
