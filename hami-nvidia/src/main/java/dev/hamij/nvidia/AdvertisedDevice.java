package dev.hamij.nvidia;

/**
 * One device ID offered to kubelet in ListAndWatch (node.md §2.4): {@code <GPU UUID>-<slot>}.
 *
 * @param id the slot ID
 * @param healthy whether the slot's GPU is healthy
 * @param numaNode NUMA node to publish as topology, or {@code -1} for none
 */
public record AdvertisedDevice(String id, boolean healthy, int numaNode) {}
