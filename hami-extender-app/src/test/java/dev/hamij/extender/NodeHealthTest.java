package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The handshake rules of scheduler.md §2.6 (HEAD), plus "dead stays dead until a sign of life". */
class NodeHealthTest {
  private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");
  private final NodeHealth health = new NodeHealth(Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC);

  @Test
  void reportedHandshakeGetsRequestingBackAndStaysHealthy() {
    NodeHealth.Verdict v = health.check("n", "Reported 2026-11-29 09:59:50 +0000 UTC", 0, "reg");
    assertThat(v).isEqualTo(new NodeHealth.Verdict(true, "Requesting_2026-11-29 10:00:00"));
    assertThat(health.check("n", null, 0, "reg").handshake()).isEqualTo("Requesting_2026-11-29 10:00:00");
  }

  @Test
  void freshRequestingIsHealthyAndNeedsNoWrite() {
    assertThat(health.check("n", "Requesting_2026-11-29 09:59:30", 0, "reg")).isEqualTo(new NodeHealth.Verdict(true, null));
  }

  @Test
  void staleRequestingIsHealthyOnlyWithAllocatableGpus() {
    assertThat(health.check("a", "Requesting_2026-11-29 09:58:00", 4, "reg")).isEqualTo(new NodeHealth.Verdict(true, null));
    assertThat(health.check("b", "Requesting_2026-11-29 09:58:00", 0, "reg")).isEqualTo(new NodeHealth.Verdict(false, null));
  }

  @Test
  void unparsableRequestingTimeCountsAsHealthy() {
    assertThat(health.check("n", "Requesting_yesterday", 0, "reg").healthy()).isTrue();
  }

  @Test
  void losingAllocatableGpusKillsTheNodeUntilItShowsLifeAgain() {
    assertThat(health.check("n", "Requesting_2026-11-29 09:59:59", 8, "reg").healthy()).isTrue();
    assertThat(health.check("n", "Requesting_2026-11-29 09:59:59", 0, "reg").healthy()).isFalse();
    // HEAD would call it healthy again here (fresh handshake, nothing remembered); it stays dead
    assertThat(health.check("n", null, 0, "reg")).isEqualTo(new NodeHealth.Verdict(false, null));
    // a v2.5 agent reporting again, new GPUs at kubelet, or a new registration bring it back
    assertThat(health.check("n", "Reported 2026-11-29 10:00:00 +0000 UTC", 0, "reg").healthy()).isTrue();
    assertThat(health.check("m", "Requesting_2026-11-29 09:58:00", 0, "reg").healthy()).isFalse();
    assertThat(health.check("m", "Requesting_2026-11-29 09:58:00", 0, "reg-2").healthy()).isFalse();
    assertThat(health.check("m", "Requesting_2026-11-29 09:59:50", 0, "reg-3").healthy()).isTrue();
    assertThat(health.check("k", "Requesting_2026-11-29 09:58:00", 0, "reg").healthy()).isFalse();
    assertThat(health.check("k", "Requesting_2026-11-29 09:58:00", 2, "reg").healthy()).isTrue();
  }
}
