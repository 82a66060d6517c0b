package dev.hamij.mig;

import java.util.List;

/**
 * What one container gets in MIG mode: its MIG devices in {@code deviceIndex} order. The container answer is
 * {@code NVIDIA_VISIBLE_DEVICES=MIG-…[,MIG-…]} without HAMi-core variables; hami-nvidia's
 * {@code ContainerAllocations.mig(settings, migUuids())} builds it.
 */
public record ContainerMig(PodRef pod, int containerIndex, List<MigDevice> devices) {
  public ContainerMig {
    devices = List.copyOf(devices);
  }

  /** The MIG device UUIDs, in {@code deviceIndex} order. */
  public List<String> migUuids() {
    return devices.stream().map(MigDevice::migUuid).toList();
  }
}
