package dev.hamij.api;

import java.util.List;

/**
 * Extended resource names a container uses to ask for GPU slices (scheduler.md §1.1).
 * Configurable in the device config; {@link #DEFAULT} holds HAMi's names.
 */
public record ResourceNames(String count, String memory, String memoryPercentage, String cores, String priority) {

  /** HAMi's default names: {@code nvidia.com/gpu}, {@code gpumem}, {@code gpumem-percentage}, {@code gpucores}, {@code priority}. */
  public static final ResourceNames DEFAULT = new ResourceNames(
      "nvidia.com/gpu", "nvidia.com/gpumem", "nvidia.com/gpumem-percentage", "nvidia.com/gpucores", "nvidia.com/priority");

  /** Every name, for kube-scheduler's {@code managedResources}. */
  public List<String> all() {
    return List.of(count, memory, memoryPercentage, cores, priority);
  }
}
