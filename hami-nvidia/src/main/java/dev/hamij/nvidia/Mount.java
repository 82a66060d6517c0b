package dev.hamij.nvidia;

/** A bind mount of a container allocation: host path onto container path. */
public record Mount(String containerPath, String hostPath, boolean readOnly) {}
