package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.PodDevices;
import dev.hamij.api.PodDevicesCodec;
import dev.hamij.plugin.PodBinding.BindingPod;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which containers of a pod one Allocate call serves, and the checks that must all pass before the
 * plugin answers for that pod (node.md §2.7.3, §9 #1). Per container request, in kubelet's order, the
 * first entry of {@code hami.io/vgpu-devices-to-allocate} not served yet is claimed (init containers
 * come first); then:
 *
 * <ul>
 *   <li>the entry is exactly the pod's {@code hami.io/vgpu-devices-allocated} entry at the same
 *       position, the scheduler's permanent record, so an edited to-allocate value cannot reach
 *       another slice;
 *   <li>the position names a container of the pod, and that container asks for as many devices of
 *       the plugin's resource as kubelet passed, and the entry has as many devices;
 *   <li>every ID kubelet passed is one this node advertises, and every GPU of the entry is a GPU of
 *       this node.
 * </ul>
 *
 * Pure: no I/O. Any failed check is an {@link AllocationException} naming the pod, the container and
 * the field.
 */
final class ContainerClaims {

  /** One container served by this call: its position, spec, devices and the IDs kubelet passed. */
  record Claim(int containerIndex, PodBinding.Container container, List<ContainerDevice> devices,
      List<String> deviceIds) {
    Claim {
      devices = List.copyOf(devices);
      deviceIds = List.copyOf(deviceIds);
    }
  }

  /**
   * What this node offers.
   *
   * @param resourceName the plugin's resource, e.g. {@code nvidia.com/gpu}
   * @param advertisedIds the device IDs currently offered to kubelet
   * @param gpuUuids the UUIDs of this node's GPUs
   */
  record NodeFacts(String nodeName, String resourceName, Set<String> advertisedIds, Set<String> gpuUuids) {
    NodeFacts {
      advertisedIds = Set.copyOf(advertisedIds);
      gpuUuids = Set.copyOf(gpuUuids);
    }
  }

  private ContainerClaims() {}

  /**
   * Claims one container per entry of {@code requests} (the device IDs kubelet passed for it).
   *
   * @throws AllocationException when any check fails
   */
  static List<Claim> claim(BindingPod pod, List<List<String>> requests, NodeFacts node)
      throws AllocationException {
    String where = "pod " + pod.ref();
    PodDevices toAllocate = decode(pod, Annotations.DEVICES_TO_ALLOCATE);
    PodDevices allocated = decode(pod, Annotations.DEVICES_ALLOCATED);
    List<List<ContainerDevice>> entries = toAllocate.containers();
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).isEmpty()) {
        continue;
      }
      if (i >= allocated.containers().size() || !entries.get(i).equals(allocated.containers().get(i))) {
        throw new AllocationException(where + ": entry " + i + " of " + Annotations.DEVICES_TO_ALLOCATE
            + " does not match " + Annotations.DEVICES_ALLOCATED + " (edited or stale); refusing to hand out "
            + describe(entries.get(i)));
      }
      if (i >= pod.containerCount()) {
        throw new AllocationException(where + ": entry " + i + " of " + Annotations.DEVICES_TO_ALLOCATE
            + " names no container: the pod has " + pod.containerCount() + " (init and regular)");
      }
    }
    List<Claim> claims = new ArrayList<>();
    int next = 0;
    for (List<String> ids : requests) {
      while (next < entries.size() && entries.get(next).isEmpty()) {
        next++;
      }
      if (next >= entries.size()) {
        throw new AllocationException(where + ": no container left to allocate in "
            + Annotations.DEVICES_TO_ALLOCATE + " (kubelet asked for " + ids.size() + " devices: " + ids + ")");
      }
      int index = next++;
      PodBinding.Container container = pod.container(index);
      String at = where + " container " + container.name();
      List<ContainerDevice> devices = entries.get(index);
      if (devices.size() != ids.size()) {
        throw new AllocationException(at + ": device number not matched: kubelet passed " + ids.size()
            + " devices " + ids + ", " + Annotations.DEVICES_TO_ALLOCATE + " has " + devices.size());
      }
      if (container.requestedDevices() != ids.size()) {
        throw new AllocationException(at + ": asks for " + container.requestedDevices() + " "
            + node.resourceName() + " but kubelet passed " + ids.size() + " devices " + ids
            + ": kubelet is admitting another pod");
      }
      for (String id : ids) {
        if (!node.advertisedIds().contains(id)) {
          throw new AllocationException(at + ": device ID " + id + " is not advertised by node "
              + node.nodeName());
        }
      }
      for (ContainerDevice device : devices) {
        if (!node.gpuUuids().contains(device.uuid())) {
          throw new AllocationException(at + ": GPU " + device.uuid() + " of "
              + Annotations.DEVICES_TO_ALLOCATE + " is not a GPU of node " + node.nodeName());
        }
      }
      claims.add(new Claim(index, container, devices, ids));
    }
    return claims;
  }

  /**
   * True unless every entry of {@code hami.io/vgpu-devices-to-allocate} was served; an annotation
   * that cannot be read counts as work left (claiming it then says what is wrong).
   */
  static boolean hasWorkLeft(BindingPod pod) {
    try {
      return decode(pod, Annotations.DEVICES_TO_ALLOCATE).containers().stream().anyMatch(e -> !e.isEmpty());
    } catch (AllocationException e) {
      return true;
    }
  }

  /**
   * The device counts of the next {@code count} entries still to allocate, for telling pods apart;
   * empty when the annotation cannot be read or has fewer entries left.
   */
  static List<Integer> nextEntrySizes(BindingPod pod, int count) {
    List<Integer> sizes = new ArrayList<>();
    try {
      for (List<ContainerDevice> entry : decode(pod, Annotations.DEVICES_TO_ALLOCATE).containers()) {
        if (!entry.isEmpty() && sizes.size() < count) {
          sizes.add(entry.size());
        }
      }
    } catch (AllocationException e) {
      return List.of();
    }
    return sizes.size() == count ? sizes : List.of();
  }

  private static PodDevices decode(BindingPod pod, String key) throws AllocationException {
    String value = pod.annotations().get(key);
    if (value == null || value.isEmpty()) {
      throw new AllocationException("pod " + pod.ref() + ": annotation " + key + " is missing");
    }
    try {
      return PodDevicesCodec.decode(value, pod.ref(), key);
    } catch (HamiFormatException e) {
      throw new AllocationException(e.getMessage(), e);
    }
  }

  private static String describe(List<ContainerDevice> devices) {
    return devices.stream().map(d -> d.uuid() + " (" + d.usedmem() + " MiB, " + d.usedcores() + " %)").toList()
        .toString();
  }
}
