package dev.hamij.nvidia;

/**
 * A host directory the device plugin must prepare before answering Allocate: created with mode {@code 0777}, and
 * emptied first when {@code recreate} is set (the per-container HAMi-core directory).
 */
public record HostDirectory(String path, boolean recreate) {}
