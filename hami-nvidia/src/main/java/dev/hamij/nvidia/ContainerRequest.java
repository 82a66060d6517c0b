package dev.hamij.nvidia;

import dev.hamij.api.ContainerDevice;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One container being admitted in hami-core mode: its pod's UID, its name, the literal environment of its spec (only
 * {@code CUDA_DISABLE_CONTROL} is read) and the devices the scheduler gave it, in annotation order.
 */
public record ContainerRequest(
    String podUid, String containerName, Map<String, String> containerEnv, List<ContainerDevice> devices) {
  public ContainerRequest {
    Objects.requireNonNull(podUid, "podUid");
    Objects.requireNonNull(containerName, "containerName");
    containerEnv = Map.copyOf(containerEnv);
    devices = List.copyOf(devices);
  }
}
