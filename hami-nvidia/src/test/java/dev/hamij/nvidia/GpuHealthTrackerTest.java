package dev.hamij.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuHealthTrackerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration QUIET = Duration.ofMinutes(10);

  private final MutableClock clock = new MutableClock(T0);
  private final List<HealthChange> changes = new ArrayList<>();
  private final GpuHealthTracker tracker = new GpuHealthTracker(QUIET, clock, changes::add);

  @Test
  void becomesHealthyAgainAfterAQuietPeriod() {
    tracker.markUnhealthy("GPU-a", "XID 48");
    assertThat(tracker.isHealthy("GPU-a")).isFalse();
    assertThat(tracker.isHealthy("GPU-b")).isTrue();
    clock.advance(Duration.ofMinutes(6));
    tracker.markUnhealthy("GPU-a", "XID 48");
    clock.advance(Duration.ofMinutes(6));
    assertThat(tracker.tick(uuid -> true)).isEmpty();
    clock.advance(Duration.ofMinutes(4));
    assertThat(tracker.tick(uuid -> true)).hasSize(1);
    assertThat(tracker.isHealthy("GPU-a")).isTrue();
    assertThat(changes).containsExactly(
        new HealthChange("GPU-a", false, "XID 48", T0),
        new HealthChange("GPU-a", true, "no critical XID for PT10M", T0.plus(Duration.ofMinutes(16))));
  }

  @Test
  void aFailingProbeKeepsTheGpuUnhealthyAndRestartsTheQuietPeriod() {
    tracker.markUnhealthy("GPU-a", "XID 79");
    clock.advance(QUIET);
    assertThat(tracker.tick(uuid -> false)).isEmpty();
    clock.advance(QUIET.minusSeconds(1));
    assertThat(tracker.tick(uuid -> true)).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    assertThat(tracker.tick(uuid -> true)).extracting(HealthChange::healthy).containsExactly(true);
  }

  @Test
  void gpusAreIndependentAndListenersCannotBreakTracking() {
    GpuHealthTracker fragile = new GpuHealthTracker(QUIET, clock, change -> {
      throw new IllegalStateException("listener bug");
    });
    fragile.markUnhealthy("GPU-a", "XID 48");
    clock.advance(Duration.ofMinutes(5));
    fragile.markUnhealthy("GPU-b", "XID 48");
    clock.advance(Duration.ofMinutes(5));
    assertThat(fragile.tick(uuid -> true)).extracting(HealthChange::uuid).containsExactly("GPU-a");
    assertThat(fragile.unhealthy()).containsExactly("GPU-b");
    assertThatThrownBy(() -> new GpuHealthTracker(Duration.ofSeconds(-1), clock, c -> { }))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
