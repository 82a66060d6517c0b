package dev.hamij.mig;

/**
 * A MIG reservation that could not be realised. The message names the pod, the container, and where relevant the
 * GPU, profile and placement, and says why; by the time it is thrown everything the failing call created has been
 * destroyed (or, if NVML refused even that, handed to the reconciler). The caller marks the pod
 * {@code hami.io/bind-phase=failed}.
 */
public final class MigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  MigException(String message) {
    super(message);
  }

  MigException(String message, Throwable cause) {
    super(message, cause);
  }
}
