package dev.hamij.nvml;

import java.util.Locale;
import java.util.Objects;

/**
 * PCI location of a device ({@code nvmlPciInfo_t}). {@code busId} is as NVML reports it, e.g.
 * {@code 00000000:3B:00.0}.
 */
public record PciInfo(String busId, int domain, int bus, int device, int pciDeviceId, int pciSubSystemId) {
  public PciInfo {
    Objects.requireNonNull(busId, "busId");
  }

  /**
   * The sysfs name of the device under {@code /sys/bus/pci/devices}: lower case, with NVML's 8-hex-digit domain
   * shortened to the kernel's 4 digits ({@code 00000000:3B:00.0} becomes {@code 0000:3b:00.0}).
   */
  public String sysfsBusId() {
    String id = busId.toLowerCase(Locale.ROOT);
    int colon = id.indexOf(':');
    if (colon > 4 && id.substring(0, colon - 4).chars().allMatch(c -> c == '0')) {
      id = id.substring(colon - 4);
    }
    return id;
  }
}
