package dev.hamij.api;

/** Annotation and label keys of the HAMi protocol (scheduler.md §1.5, §2.1, §3.1; node.md §2.7.1). */
public final class Annotations {
  private Annotations() {}

  // Node annotations
  /** Device list registered by the device plugin (JSON or legacy colon/comma string). */
  public static final String NODE_NVIDIA_REGISTER = "hami.io/node-nvidia-register";
  /** Optional GPU pair scores used by the topology-aware policy. */
  public static final String NODE_NVIDIA_SCORE = "hami.io/node-nvidia-score";
  /** Handshake / health state between scheduler and device plugin. */
  public static final String NODE_HANDSHAKE = "hami.io/node-handshake";
  /** Node lock taken by the scheduler's bind and released by the device plugin. */
  public static final String NODE_LOCK = "hami.io/mutex.lock";
  /** Comma list of GPU UUIDs that accept no new allocations. */
  public static final String DEVICE_CORDON = "hami.io/device-cordon";

  // Pod annotations written by the scheduler / device plugin
  /** Node chosen by the scheduler (annotation and label). */
  public static final String VGPU_NODE = "hami.io/vgpu-node";
  /** Unix seconds of the filter decision. */
  public static final String VGPU_TIME = "hami.io/vgpu-time";
  /** Devices still to be handed out by the device plugin; entries are emptied as consumed. */
  public static final String DEVICES_TO_ALLOCATE = "hami.io/vgpu-devices-to-allocate";
  /** Permanent record of the pod's devices, used to rebuild usage. */
  public static final String DEVICES_ALLOCATED = "hami.io/vgpu-devices-allocated";
  /** MIG profile and placement reservations (JSON). */
  public static final String MIG_ALLOCATIONS = "hami.io/vgpu-mig-allocations";
  /** Bind phase: allocating, success or failed. */
  public static final String BIND_PHASE = "hami.io/bind-phase";
  /** Unix seconds when bind started. */
  public static final String BIND_TIME = "hami.io/bind-time";

  // Pod annotations read by the scheduler
  public static final String USE_GPU_TYPE = "nvidia.com/use-gputype";
  public static final String NOUSE_GPU_TYPE = "nvidia.com/nouse-gputype";
  public static final String USE_GPU_UUID = "nvidia.com/use-gpuuuid";
  public static final String NOUSE_GPU_UUID = "nvidia.com/nouse-gpuuuid";
  public static final String VGPU_MODE = "nvidia.com/vgpu-mode";
  public static final String NUMA_BIND = "nvidia.com/numa-bind";
  public static final String NODE_SCHEDULER_POLICY = "hami.io/node-scheduler-policy";
  public static final String GPU_SCHEDULER_POLICY = "hami.io/gpu-scheduler-policy";
  public static final String DEVICE_SCORING_WEIGHTS = "hami.io/device-scoring-weights";

  /** Bind phase values. */
  public static final String PHASE_ALLOCATING = "allocating";
  public static final String PHASE_SUCCESS = "success";
  public static final String PHASE_FAILED = "failed";

  /** The vendor key ("common word") of the NVIDIA backend used in pod device entries. */
  public static final String VENDOR_NVIDIA = "NVIDIA";
}
