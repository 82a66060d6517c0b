package dev.hamij.nvidia;

import java.util.Locale;

/**
 * How a container learns its GPUs ({@code DEVICE_LIST_STRATEGY}, node.md §2.7.5). The CDI strategies are not
 * supported: the NVIDIA container runtime's environment variable or volume-mount handshake is used instead.
 */
public enum DeviceListStrategy {
  /** {@code NVIDIA_VISIBLE_DEVICES=<id,id,...>} (default). */
  ENVVAR("envvar"),
  /** {@code NVIDIA_VISIBLE_DEVICES=/var/run/nvidia-container-devices} plus one {@code /dev/null} mount per ID. */
  VOLUME_MOUNTS("volume-mounts");

  private final String value;

  DeviceListStrategy(String value) {
    this.value = value;
  }

  /** The {@code DEVICE_LIST_STRATEGY} value. */
  public String value() {
    return value;
  }

  /** Parses a {@code DEVICE_LIST_STRATEGY} value; null or empty means {@link #ENVVAR}. */
  public static DeviceListStrategy parse(String value) {
    if (value == null || value.isBlank()) {
      return ENVVAR;
    }
    for (DeviceListStrategy s : values()) {
      if (s.value.equals(value.trim().toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("DEVICE_LIST_STRATEGY '" + value + "' is not supported; use envvar or "
        + "volume-mounts (cdi-annotations and cdi-cri are not implemented)");
  }
}
