package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class NodeLockCodecTest {
  private static final Instant T = Instant.parse("2026-08-21T06:20:39Z");

  @Test
  void specExampleRoundTrips() {
    NodeLock lock = NodeLockCodec.decode("2026-08-21T06:20:39Z,default,gpu-pod", "node-a");
    assertThat(lock).isEqualTo(new NodeLock(T, "default", "gpu-pod"));
    assertThat(lock.ownedBy("default", "gpu-pod")).isTrue();
    assertThat(NodeLockCodec.encode(lock)).isEqualTo("2026-08-21T06:20:39Z,default,gpu-pod");
  }

  @Test
  void legacyBareTimestampHasNoOwner() {
    NodeLock lock = NodeLockCodec.decode("2026-08-21T06:20:39Z", "node-a");
    assertThat(lock.hasOwner()).isFalse();
    assertThat(NodeLockCodec.encode(lock)).isEqualTo("2026-08-21T06:20:39Z");
  }

  @Test
  void acceptsOffsetsAndFractionsLikeGoAndEncodesUtcSeconds() {
    assertThat(NodeLockCodec.decode("2026-08-21T14:20:39+08:00,ns,p", "n").time()).isEqualTo(T);
    assertThat(NodeLockCodec.decode("2026-08-21T06:20:39.5Z", "n").time()).isEqualTo(T.plusMillis(500));
    assertThat(NodeLockCodec.encode(new NodeLock(T.plusMillis(999), "ns", "p"))).isEqualTo("2026-08-21T06:20:39Z,ns,p");
  }

  @Test
  void malformedValuesNameTheNode() {
    assertThatThrownBy(() -> NodeLockCodec.decode("2026-08-21T06:20:39Z,default", "node-a"))
        .isInstanceOf(HamiFormatException.class)
        .hasMessage("node-a: hami.io/mutex.lock: malformed lock annotation: expected 3 parts, got 2 from 2026-08-21T06:20:39Z,default");
    assertThatThrownBy(() -> NodeLockCodec.decode("yesterday,ns,p", "node-a"))
        .isInstanceOf(HamiFormatException.class).hasMessageContaining("invalid time \"yesterday\"");
    assertThatThrownBy(() -> NodeLockCodec.decode("2026-02-30T00:00:00Z", "node-a"))
        .isInstanceOf(HamiFormatException.class);
    assertThatThrownBy(() -> NodeLockCodec.decode(null, "node-a")).isInstanceOf(HamiFormatException.class);
  }
}
