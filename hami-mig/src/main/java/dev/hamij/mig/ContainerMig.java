package dev.hamij.mig;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one container gets in MIG mode: its MIG devices in {@code deviceIndex} order, and the environment that
 * exposes exactly those devices ({@code NVIDIA_VISIBLE_DEVICES=MIG-…[,MIG-…]}, no HAMi-core variables).
 */
public record ContainerMig(PodRef pod, int containerIndex, List<MigDevice> devices) {
  /** The variable the NVIDIA container runtime reads. */
  public static final String VISIBLE_DEVICES = "NVIDIA_VISIBLE_DEVICES";

  public ContainerMig {
    devices = List.copyOf(devices);
  }

  /** The MIG UUIDs joined with commas. */
  public String visibleDevices() {
    return devices.stream().map(MigDevice::migUuid).collect(Collectors.joining(","));
  }

  /** The container's environment additions. */
  public Map<String, String> environment() {
    return Map.of(VISIBLE_DEVICES, visibleDevices());
  }
}
