package dev.hamij.core.sim;

import dev.hamij.core.PodSpec;
import java.util.Objects;

/**
 * One pod of a workload: its spec (GPU requests and annotations exactly as a real pod carries them),
 * the CPU and memory kube-scheduler checks, when it arrives and how long it runs once placed.
 * Immutable. Init containers are not modelled.
 *
 * @param spec the pod; its uid is the simulation's key and must be unique within a workload
 * @param cpuMilli CPU request in thousandths of a core
 * @param memoryMiB memory request in MiB
 * @param arrivalMillis arrival time in milliseconds from the start
 * @param durationMillis run time once placed; {@link #FOREVER} for a pod that never leaves
 */
public record SimPod(PodSpec spec, long cpuMilli, long memoryMiB, long arrivalMillis, long durationMillis) {

  /** Duration of a pod that never leaves. */
  public static final long FOREVER = Long.MAX_VALUE;

  public SimPod {
    Objects.requireNonNull(spec, "spec");
    if (spec.uid().isEmpty()) {
      throw new IllegalArgumentException("pod " + spec.ref() + " needs a uid");
    }
    if (!spec.initContainers().isEmpty()) {
      throw new IllegalArgumentException("pod " + spec.ref() + ": init containers are not simulated");
    }
    if (cpuMilli < 0 || memoryMiB < 0) {
      throw new IllegalArgumentException("pod " + spec.ref() + ": cpu and memory must not be negative");
    }
    if (arrivalMillis < 0) {
      throw new IllegalArgumentException("pod " + spec.ref() + ": arrival must not be negative");
    }
    if (durationMillis <= 0) {
      throw new IllegalArgumentException("pod " + spec.ref() + ": duration must be positive");
    }
  }

  /** The same pod under another name and uid, arriving at {@code arrival}. */
  public SimPod copy(String name, String uid, long arrival) {
    PodSpec s = new PodSpec(spec.namespace(), name, uid, spec.annotations(), spec.initContainers(), spec.containers());
    return new SimPod(s, cpuMilli, memoryMiB, arrival, durationMillis);
  }
}
