package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.HandshakeCodec.Kind;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class HandshakeCodecTest {
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final Instant T = Instant.parse("2025-01-03T09:56:10Z");

  @Test
  void requestingAndDeletedUseLocalWallTime() {
    assertThat(HandshakeCodec.requesting(T, BERLIN)).isEqualTo("Requesting_2025-01-03 10:56:10");
    assertThat(HandshakeCodec.deleted(T, ZoneOffset.UTC)).isEqualTo("Deleted_2025-01-03 09:56:10");
    assertThat(HandshakeCodec.parse("Requesting_2025-01-03 10:56:10", BERLIN))
        .isEqualTo(new HandshakeCodec.Handshake(Kind.REQUESTING, java.util.Optional.of(T)));
    assertThat(HandshakeCodec.parse("Deleted_2025-01-03 09:56:10", ZoneOffset.UTC).time()).contains(T);
  }

  @Test
  void reportedUsesGoTimeString() {
    assertThat(HandshakeCodec.reported(T.plusMillis(430), ZoneOffset.UTC))
        .isEqualTo("Reported 2025-01-03 09:56:10.43 +0000 UTC");
    assertThat(HandshakeCodec.reported(T, BERLIN)).isEqualTo("Reported 2025-01-03 10:56:10 +0100 CET");
    HandshakeCodec.Handshake h = HandshakeCodec.parse("Reported 2025-01-03 09:56:10.43 +0000 UTC m=+1104.77", BERLIN);
    assertThat(h.kind()).isEqualTo(Kind.REPORTED);
    assertThat(h.time()).contains(T.plusMillis(430));
  }

  @Test
  void unparsableTimesAreClassifiedWithoutTime() {
    assertThat(HandshakeCodec.parse("Requesting", BERLIN).kind()).isEqualTo(Kind.REQUESTING);
    assertThat(HandshakeCodec.parse("Requesting", BERLIN).time()).isEmpty();
    assertThat(HandshakeCodec.parse("Requesting_2025-13-03 10:56:10", BERLIN).time()).isEmpty();
    assertThat(HandshakeCodec.parse("Requesting_2025-01-03 10:56:10_x", BERLIN).time()).isPresent();
    assertThat(HandshakeCodec.parse(null, BERLIN).kind()).isEqualTo(Kind.OTHER);
    assertThat(HandshakeCodec.parse("", BERLIN).kind()).isEqualTo(Kind.OTHER);
    assertThat(HandshakeCodec.parse("Reported yesterday", BERLIN))
        .isEqualTo(new HandshakeCodec.Handshake(Kind.REPORTED, java.util.Optional.empty()));
  }
}
