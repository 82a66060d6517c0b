package dev.hamij.api;

/**
 * One container's NVIDIA request as derived from its resources (scheduler.md §1.2): how many
 * distinct GPUs, memory per GPU (MiB, or a percentage of each GPU's registered memory), and cores
 * per GPU.
 *
 * @param nums number of distinct physical GPUs; 0 means "no NVIDIA request"
 * @param type vendor word of the request ({@code NVIDIA})
 * @param memreq memory per GPU in MiB (already multiplied by {@code memoryFactor}); 0 when a percentage is used
 * @param mempercentage memory per GPU as a percentage 1..100, or {@link #MEMPERCENTAGE_UNSET}
 * @param coresreq cores per GPU in percent (100 = the whole GPU)
 */
public record ContainerDeviceRequest(int nums, String type, int memreq, int mempercentage, int coresreq) {

  /** Sentinel of {@link #mempercentage()} meaning "no percentage given". */
  public static final int MEMPERCENTAGE_UNSET = 101;

  /** The empty request of a container that asks for no NVIDIA GPU. */
  public static final ContainerDeviceRequest NONE =
      new ContainerDeviceRequest(0, Annotations.VENDOR_NVIDIA, 0, MEMPERCENTAGE_UNSET, 0);

  public ContainerDeviceRequest {
    if (nums < 0 || memreq < 0 || coresreq < 0) {
      throw new IllegalArgumentException("request counts must not be negative: nums=" + nums + " memreq=" + memreq
          + " coresreq=" + coresreq);
    }
    if (mempercentage < 0 || mempercentage > MEMPERCENTAGE_UNSET) {
      throw new IllegalArgumentException("mempercentage must be 0..100 or 101 (unset), got " + mempercentage);
    }
    type = type == null ? "" : type;
  }

  /** An NVIDIA request with memory in MiB. */
  public static ContainerDeviceRequest memory(int nums, int memreq, int coresreq) {
    return new ContainerDeviceRequest(nums, Annotations.VENDOR_NVIDIA, memreq, MEMPERCENTAGE_UNSET, coresreq);
  }

  /** An NVIDIA request with memory as a percentage of each GPU. */
  public static ContainerDeviceRequest percentage(int nums, int mempercentage, int coresreq) {
    return new ContainerDeviceRequest(nums, Annotations.VENDOR_NVIDIA, 0, mempercentage, coresreq);
  }

  /** True when the container asks for no GPU. */
  public boolean isEmpty() {
    return nums == 0;
  }

  /** True when memory is a percentage (neither 0 nor the unset sentinel). */
  public boolean usesPercentage() {
    return mempercentage != 0 && mempercentage != MEMPERCENTAGE_UNSET;
  }

  /** MiB this request books on a GPU registering {@code totalmem} MiB (percentage resolved, truncated). */
  public int memoryOn(int totalmem) {
    return usesPercentage() ? (int) ((long) totalmem * mempercentage / 100) : memreq;
  }
}
