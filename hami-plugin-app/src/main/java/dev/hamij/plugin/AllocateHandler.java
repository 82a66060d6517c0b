package dev.hamij.plugin;

import dev.hamij.plugin.v1beta1.ContainerAllocateRequest;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import java.util.List;

/**
 * Answers kubelet's {@code Allocate}: what each container that kubelet is admitting receives
 * (environment, mounts, device nodes). Called with the container requests of one call, in kubelet's
 * order; must return exactly one response per request, in the same order.
 */
interface AllocateHandler {

  /**
   * @throws AllocationException when the containers cannot be served; kubelet then fails the pod's
   *     admission with the exception's message
   */
  List<ContainerAllocateResponse> allocate(List<ContainerAllocateRequest> containers)
      throws AllocationException;
}
