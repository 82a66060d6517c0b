package dev.hamij.plugin;

import dev.hamij.plugin.v1beta1.Device;
import dev.hamij.plugin.v1beta1.NUMANode;
import dev.hamij.plugin.v1beta1.TopologyInfo;
import java.util.OptionalInt;

/**
 * One device as kubelet sees it: an advertised slot ID, its health and optionally its NUMA node
 * (node.md §2.4).
 */
record AdvertisedDevice(String id, boolean healthy, OptionalInt numaNode) {

  static final String HEALTHY = "Healthy";
  static final String UNHEALTHY = "Unhealthy";

  AdvertisedDevice {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("advertised device: field id must not be blank");
    }
    if (numaNode == null) {
      throw new IllegalArgumentException("advertised device " + id + ": field numaNode must not be null");
    }
  }

  static AdvertisedDevice of(String id, boolean healthy) {
    return new AdvertisedDevice(id, healthy, OptionalInt.empty());
  }

  Device toProto() {
    Device.Builder device = Device.newBuilder().setID(id).setHealth(healthy ? HEALTHY : UNHEALTHY);
    numaNode.ifPresent(numa -> device.setTopology(
        TopologyInfo.newBuilder().addNodes(NUMANode.newBuilder().setID(numa))));
    return device.build();
  }
}
