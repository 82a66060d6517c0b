package dev.hamij.core;

/**
 * The core's verdict for the admission webhook on an (already mutated) pod: whether its GPU request
 * is well-formed and whether its totals fit the namespace quota (scheduler.md §7).
 *
 * @param verdict allow or why not
 * @param message the reason, naming the container, resource or quota; empty when allowed
 * @param memoryMiB the pod's memory total as counted for the quota
 * @param cores the pod's core total as counted for the quota
 */
public record Admission(Verdict verdict, String message, long memoryMiB, long cores) {

  /** Admission outcome. */
  public enum Verdict {
    /** Nothing to object to (including pods without GPU requests). */
    ALLOW,
    /** A GPU quantity or annotation is malformed. */
    INVALID_REQUEST,
    /** The pod's totals exceed the namespace quota (HAMi denies with {@code exceeding resource quota}). */
    EXCEEDS_QUOTA
  }

  /** True when the pod may be admitted. */
  public boolean allowed() {
    return verdict == Verdict.ALLOW;
  }
}
