package dev.hamij.api;

import java.time.Instant;
import java.util.Optional;

/**
 * Value of the node lock annotation {@code hami.io/mutex.lock} (scheduler.md §3.6): when it was
 * taken and, except for legacy values, by which pod.
 */
public record NodeLock(Instant time, String namespace, String name) {
  public NodeLock {
    if (time == null) {
      throw new IllegalArgumentException("lock time must not be null");
    }
    namespace = namespace == null ? "" : namespace;
    name = name == null ? "" : name;
  }

  /** True when the lock names an owner pod. */
  public boolean hasOwner() {
    return !namespace.isEmpty() && !name.isEmpty();
  }

  /** True when the lock is held by the pod {@code ns/podName}. */
  public boolean ownedBy(String ns, String podName) {
    return namespace.equals(ns) && name.equals(podName);
  }

  /** The owner as {@code namespace/name}, if any. */
  public Optional<String> owner() {
    return hasOwner() ? Optional.of(namespace + "/" + name) : Optional.empty();
  }
}
