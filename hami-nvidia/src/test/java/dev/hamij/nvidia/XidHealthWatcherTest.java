package dev.hamij.nvidia;

import static dev.hamij.nvidia.GpuDiscoveryTest.started;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.nvml.NvmlFunction;
import dev.hamij.nvml.NvmlReturn;
import dev.hamij.nvml.SimulatedGpu;
import dev.hamij.nvml.SimulatedNvml;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class XidHealthWatcherTest {
  private static final Duration QUIET = Duration.ofMinutes(5);

  private final SimulatedNvml nvml = started(SimulatedNvml.builder()
      .gpu(SimulatedGpu.of("A100-40GB").withUuid("GPU-a"))
      .gpu(SimulatedGpu.of("A100-40GB").withUuid("GPU-b"))
      .build());
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final List<HealthChange> changes = new CopyOnWriteArrayList<>();
  private final GpuHealthTracker tracker = new GpuHealthTracker(QUIET, clock, changes::add);
  private final XidHealthWatcher watcher =
      new XidHealthWatcher(nvml, List.of("GPU-a", "GPU-b"), XidPolicy.defaults(), tracker);

  @Test
  void aCriticalXidMarksOnlyItsGpuUntilItIsQuiet() {
    assertThat(watcher.pollOnce(0)).isTrue();
    nvml.injectXid(0, 48);
    nvml.injectXid(1, 13);
    watcher.pollOnce(0);
    watcher.pollOnce(0);
    assertThat(tracker.unhealthy()).containsExactly("GPU-a");
    clock.advance(QUIET);
    watcher.pollOnce(0);
    assertThat(tracker.unhealthy()).isEmpty();
    assertThat(changes).extracting(HealthChange::uuid, HealthChange::healthy, HealthChange::reason)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("GPU-a", false, "XID 48"),
            org.assertj.core.groups.Tuple.tuple("GPU-a", true, "no critical XID for PT5M"));
  }

  @Test
  void aLostGpuStaysUnhealthyUntilItAnswersAgain() {
    watcher.pollOnce(0);
    nvml.loseGpu(1);
    watcher.pollOnce(0);
    assertThat(tracker.unhealthy()).containsExactly("GPU-b");
    clock.advance(QUIET);
    watcher.pollOnce(0);
    assertThat(tracker.unhealthy()).containsExactly("GPU-b");
    nvml.resetGpu(1);
    clock.advance(QUIET);
    watcher.pollOnce(0);
    assertThat(tracker.unhealthy()).isEmpty();
  }

  @Test
  void aFailedWaitProbesEachGpuInsteadOfMarkingAll() {
    watcher.pollOnce(0);
    nvml.failNext(NvmlFunction.EVENT_SET_WAIT, 1, NvmlReturn.UNKNOWN);
    assertThat(watcher.pollOnce(0)).isFalse();
    assertThat(tracker.unhealthy()).isEmpty();
    nvml.failNext(NvmlFunction.EVENT_SET_WAIT, 1, NvmlReturn.UNKNOWN);
    nvml.failNextOnGpu(0, NvmlFunction.UUID, 1, NvmlReturn.GPU_IS_LOST);
    assertThat(watcher.pollOnce(0)).isFalse();
    assertThat(tracker.unhealthy()).containsExactly("GPU-a");
  }

  @Test
  void registrationFailuresAreRetriedAndOldGpusStayHealthy() {
    nvml.failNextOnGpu(0, NvmlFunction.REGISTER_EVENTS, 1, NvmlReturn.UNKNOWN);
    nvml.failNextOnGpu(1, NvmlFunction.REGISTER_EVENTS, 1, NvmlReturn.NOT_SUPPORTED);
    watcher.pollOnce(0);
    assertThat(tracker.unhealthy()).containsExactly("GPU-a");
    clock.advance(QUIET);
    watcher.pollOnce(0);
    assertThat(tracker.unhealthy()).isEmpty();
    nvml.injectXid(0, 94);
    watcher.pollOnce(0);
    assertThat(tracker.unhealthy()).containsExactly("GPU-a");
  }

  @Test
  void runsOnItsOwnThreadUntilClosed() throws Exception {
    CountDownLatch unhealthy = new CountDownLatch(1);
    GpuHealthTracker live = new GpuHealthTracker(QUIET, clock, change -> {
      if (!change.healthy()) {
        unhealthy.countDown();
      }
    });
    try (XidHealthWatcher threaded = new XidHealthWatcher(nvml, List.of("GPU-a", "GPU-b"), XidPolicy.defaults(),
        live)) {
      threaded.start();
      // the loop registers, then waits; an XID injected before registration is simply not delivered, so repeat
      while (!unhealthy.await(50, TimeUnit.MILLISECONDS)) {
        nvml.injectXid(1, 79);
      }
      assertThat(live.unhealthy()).containsExactly("GPU-b");
    }
  }

  @Test
  void withAShortWaitTheThreadNoticesRecoveryWithoutAnyEvent() throws Exception {
    CountDownLatch healthyAgain = new CountDownLatch(1);
    GpuHealthTracker live = new GpuHealthTracker(QUIET, clock, change -> {
      if (change.healthy()) {
        healthyAgain.countDown();
      }
    });
    live.markUnhealthy("GPU-a", "test");
    clock.advance(QUIET);
    try (XidHealthWatcher threaded = new XidHealthWatcher(nvml, List.of("GPU-a", "GPU-b"), XidPolicy.defaults(),
        live, Duration.ofMillis(10))) {
      threaded.start();
      assertThat(healthyAgain.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(live.unhealthy()).isEmpty();
    }
  }

  @Test
  void aWaitOutsideNvmlsRangeIsRefused() {
    assertThatThrownBy(() -> new XidHealthWatcher(nvml, List.of("GPU-a"), XidPolicy.defaults(), tracker,
        Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("XID event wait must be between 1 ms and 2147483647 ms, got PT0S");
  }

  @Test
  void disabledChecksStartNoThread() {
    try (XidHealthWatcher off = new XidHealthWatcher(nvml, List.of("GPU-a"), XidPolicy.of("all", null), tracker)) {
      off.start();
      nvml.injectXid(0, 79);
    }
    assertThat(tracker.unhealthy()).isEmpty();
  }
}
