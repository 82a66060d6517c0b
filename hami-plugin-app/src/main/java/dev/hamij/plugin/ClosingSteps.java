package dev.hamij.plugin;

import java.lang.System.Logger.Level;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the steps of a {@code close()} in order. Every step runs even when an earlier one failed or
 * was interrupted; failures are logged, and an interrupt cuts only the wait it hit short and is
 * restored by {@link #finish}.
 */
final class ClosingSteps {

  private static final System.Logger LOG = System.getLogger(ClosingSteps.class.getName());

  /** One step that may block. */
  @FunctionalInterface
  interface Step {
    void run() throws Exception;
  }

  private boolean interrupted;

  ClosingSteps run(String what, Step step) {
    try {
      step.run();
    } catch (InterruptedException e) {
      interrupted = true;
    } catch (Exception e) {
      LOG.log(Level.WARNING, what + " failed", e);
    }
    return this;
  }

  /** Closes {@code resource}; null is nothing to close (a part that was never started). */
  ClosingSteps close(String what, AutoCloseable resource) {
    return run(what, () -> {
      if (resource != null) {
        resource.close();
      }
    });
  }

  /**
   * Stops an executor: lets a task in progress finish (up to 5 s), then interrupts it; null is
   * nothing to stop.
   */
  ClosingSteps stop(String what, ExecutorService executor) {
    return run(what, () -> {
      if (executor == null) {
        return;
      }
      executor.shutdown();
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
      }
    });
  }

  void finish() {
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
