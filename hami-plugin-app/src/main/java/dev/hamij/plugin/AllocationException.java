package dev.hamij.plugin;

/** An {@code Allocate} that cannot be served; the message is what kubelet reports for the pod. */
final class AllocationException extends Exception {

  AllocationException(String message) {
    super(message);
  }

  AllocationException(String message, Throwable cause) {
    super(message, cause);
  }
}
