package dev.hamij.nvidia;

/** A device node passed into the container ({@code PASS_DEVICE_SPECS}), e.g. {@code /dev/nvidia0} with {@code rw}. */
public record DeviceSpec(String containerPath, String hostPath, String permissions) {}
