package dev.hamij.extender.sim;

/** Input that cannot be used; the message names the file (and line or key) and what is wrong. */
public final class InputError extends Exception {
  private static final long serialVersionUID = 1L;

  InputError(String message) {
    super(message);
  }

  InputError(String message, Throwable cause) {
    super(message, cause);
  }
}
