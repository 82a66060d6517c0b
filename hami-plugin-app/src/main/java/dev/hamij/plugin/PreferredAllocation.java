package dev.hamij.plugin;

import dev.hamij.nvidia.SlotIds;
import dev.hamij.plugin.v1beta1.ContainerPreferredAllocationRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Answers one container of {@code GetPreferredAllocation}: every must-include ID, then slots of GPUs
 * not yet chosen (a container asking for n devices in HAMi gets n distinct GPUs), then any other
 * available slot, each time in kubelet's order of available IDs.
 */
final class PreferredAllocation {

  private PreferredAllocation() {}

  /** @throws IllegalArgumentException naming the field when the request cannot be satisfied */
  static List<String> choose(ContainerPreferredAllocationRequest request) {
    int size = request.getAllocationSize();
    Set<String> available = new LinkedHashSet<>(request.getAvailableDeviceIDsList());
    Set<String> chosen = new LinkedHashSet<>(request.getMustIncludeDeviceIDsList());
    if (size < 0 || size > available.size()) {
      throw new IllegalArgumentException("allocation_size " + size + " is outside 0.."
          + available.size() + " (the number of available_deviceIDs)");
    }
    if (chosen.size() > size) {
      throw new IllegalArgumentException("must_include_deviceIDs has " + chosen.size()
          + " IDs, more than allocation_size " + size);
    }
    for (String id : chosen) {
      if (!available.contains(id)) {
        throw new IllegalArgumentException("must_include_deviceIDs entry " + id
            + " is not among available_deviceIDs");
      }
    }
    Set<String> gpus = new HashSet<>();
    chosen.forEach(id -> gpus.add(SlotIds.physicalDeviceId(id)));
    List<String> rest = new ArrayList<>();
    for (String id : available) {
      if (chosen.size() == size) {
        break;
      }
      if (!chosen.contains(id)) {
        if (gpus.add(SlotIds.physicalDeviceId(id))) {
          chosen.add(id);
        } else {
          rest.add(id);
        }
      }
    }
    for (String id : rest) {
      if (chosen.size() == size) {
        break;
      }
      chosen.add(id);
    }
    return List.copyOf(chosen);
  }
}
