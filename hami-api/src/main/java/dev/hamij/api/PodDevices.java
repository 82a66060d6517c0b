package dev.hamij.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The GPU slices of one pod, one entry per container in init-first order (scheduler.md §3.2).
 * A container without GPUs has an empty entry, so indexes always match container positions.
 */
public record PodDevices(List<List<ContainerDevice>> containers) {
  public PodDevices {
    List<List<ContainerDevice>> copy = new ArrayList<>(containers.size());
    for (List<ContainerDevice> c : containers) {
      copy.add(List.copyOf(c));
    }
    containers = List.copyOf(copy);
  }

  /** A pod with no containers. */
  public static PodDevices empty() {
    return new PodDevices(List.of());
  }

  /** True when no container holds any device. */
  public boolean isEmpty() {
    return containers.stream().allMatch(List::isEmpty);
  }

  /** All devices of all containers, in container order. */
  public List<ContainerDevice> all() {
    return containers.stream().flatMap(List::stream).toList();
  }
}
