package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The whole system under a seeded random workload with faults ({@link ClusterHarness}): three
 * hami-core nodes (two A100-40GB each) and one MIG node (an A100-40GB in MIG mode), two extender
 * replicas, 10 000 operations in CI; a soak with {@code -Dhamij.harness.ops=200000
 * -Dhamij.harness.seed=<n>} (see the README).
 */
class ClusterHarnessTest {

  @Test
  void tenThousandOperationsWithFaultsKeepEveryInvariant() throws Exception {
    int operations = Integer.getInteger("hamij.harness.ops", 10_000);
    long seed = Long.getLong("hamij.harness.seed", 20_261_129L);
    Logger quiet = Logger.getLogger("");
    Level saved = quiet.getLevel();
    quiet.setLevel(Level.SEVERE); // restarts and injected faults log warnings by the thousand
    long start = System.nanoTime();
    ClusterHarness.Stats stats;
    try (ClusterHarness harness = ClusterHarness.start(new ClusterHarness.Spec(3, true, seed))) {
      stats = harness.run(operations, 500);
    } finally {
      quiet.setLevel(saved);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String line = String.format(java.util.Locale.ROOT, "cluster harness seed %d: %.1f s: %s", seed, seconds, stats);
    System.out.println(line);
    System.out.println("time per kind of step: " + stats.timings());
    Path target = Path.of("target");
    if (Files.isDirectory(target)) {
      try {
        Files.writeString(target.resolve("harness-report.txt"), line + System.lineSeparator(), StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        System.err.println("harness report not written: " + e);
      }
    }
    assertThat(stats.operations()).isGreaterThanOrEqualTo(operations);
    // the workload did real work, and the faults really happened
    assertThat(stats.outcomes.get("bound").get()).as("pods bound").isGreaterThan(operations / 40);
    assertThat(stats.outcomes.get("container allocated").get()).as("containers allocated").isGreaterThan(operations / 40);
    assertThat(stats.outcomes.get("MIG container allocated").get()).as("MIG containers allocated").isPositive();
    assertThat(stats.faultCount()).as("faults injected").isGreaterThan(operations / 20);
    assertThat(stats.faults).containsKeys("leader killed, failover", "plugin restart", "kubelet restart",
        "extender restart", "stale node lock", "api CONFLICT", "api SERVER_ERROR", "api SLOW", "watches refused",
        "nvml error", "xid", "GPU lost", "forged create", "forged update");
  }
}
