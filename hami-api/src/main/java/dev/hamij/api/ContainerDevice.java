package dev.hamij.api;

/**
 * One GPU slice given to one container (scheduler.md §3.2): GPU UUID, vendor word ({@code NVIDIA}),
 * booked memory in MiB and booked cores in percent.
 */
public record ContainerDevice(String uuid, String type, int usedmem, int usedcores) {
  public ContainerDevice {
    if (uuid == null || uuid.isEmpty()) {
      throw new IllegalArgumentException("device uuid must not be empty");
    }
    type = type == null ? "" : type;
  }

  /** An NVIDIA slice. */
  public static ContainerDevice nvidia(String uuid, int usedmem, int usedcores) {
    return new ContainerDevice(uuid, Annotations.VENDOR_NVIDIA, usedmem, usedcores);
  }
}
