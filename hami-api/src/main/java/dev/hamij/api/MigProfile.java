package dev.hamij.api;

import java.util.List;

/**
 * A MIG GPU-instance profile a node advertises for one GPU (scheduler.md §6.2.2):
 * name such as {@code 1g.5gb}, memory in MiB, compute share in percent of the whole GPU,
 * compute slices, and the legal placements on that GPU.
 */
public record MigProfile(String name, int memoryMB, int core, int sliceCount, List<Placement> placements) {
  public MigProfile {
    placements = List.copyOf(placements);
  }
}
