package dev.hamij.plugin;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.assertj.core.api.Assertions;

/** Polls a condition until it holds or a deadline passes; tests use it instead of fixed sleeps. */
final class Poll {

  private Poll() {}

  static void until(BooleanSupplier condition, Duration timeout, Supplier<String> whatFailed)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        Assertions.fail("timed out after " + timeout + ": " + whatFailed.get());
      }
      Thread.sleep(10);
    }
  }
}
