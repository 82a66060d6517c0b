package dev.hamij.api;

/**
 * One MIG reservation of {@code hami.io/vgpu-mig-allocations} (scheduler.md §6.2.5): which
 * container's which device gets which profile at which placement on which GPU, plus the runtime
 * identity the device plugin adds once the instance exists.
 *
 * <p>The runtime fields {@code migUUID}, {@code gpuInstanceID} and {@code computeInstanceID} are
 * either all present or all null.
 */
public record MigAllocation(int containerIndex, int deviceIndex, String gpuUUID, String profile, Placement placement,
    String migUUID, Integer gpuInstanceID, Integer computeInstanceID) {

  public MigAllocation {
    if (containerIndex < 0 || deviceIndex < 0) {
      throw new IllegalArgumentException("MIG allocation indexes must not be negative");
    }
    if (gpuUUID == null || gpuUUID.isEmpty() || profile == null || profile.isEmpty() || placement == null) {
      throw new IllegalArgumentException("MIG allocation needs gpuUUID, profile and placement");
    }
    boolean any = migUUID != null || gpuInstanceID != null || computeInstanceID != null;
    boolean all = migUUID != null && gpuInstanceID != null && computeInstanceID != null;
    if (any && !all) {
      throw new IllegalArgumentException("MIG runtime identity must be complete (migUUID, gpuInstanceID, computeInstanceID) or absent");
    }
  }

  /** A reservation without runtime identity. */
  public static MigAllocation reserve(int containerIndex, int deviceIndex, String gpuUUID, String profile, Placement placement) {
    return new MigAllocation(containerIndex, deviceIndex, gpuUUID, profile, placement, null, null, null);
  }

  /** True once the device plugin created the instance and recorded its identity. */
  public boolean runtimeReady() {
    return migUUID != null;
  }

  /** The same reservation with its runtime identity. */
  public MigAllocation withRuntime(String uuid, int gi, int ci) {
    return new MigAllocation(containerIndex, deviceIndex, gpuUUID, profile, placement, uuid, gi, ci);
  }
}
