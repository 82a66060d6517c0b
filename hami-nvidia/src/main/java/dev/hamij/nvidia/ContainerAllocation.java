package dev.hamij.nvidia;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one container gets from Allocate, free of gRPC types: environment (in emission order), mounts, device nodes,
 * and the host directories to prepare before answering. Immutable.
 */
public record ContainerAllocation(
    Map<String, String> envs, List<Mount> mounts, List<DeviceSpec> devices, List<HostDirectory> hostDirectories) {
  public ContainerAllocation {
    envs = Collections.unmodifiableMap(new LinkedHashMap<>(envs));
    mounts = List.copyOf(mounts);
    devices = List.copyOf(devices);
    hostDirectories = List.copyOf(hostDirectories);
  }
}
