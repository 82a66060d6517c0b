package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Property;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BindAnnotationsTest {
  @Test
  void bindPhaseValues() {
    for (BindPhase p : BindPhase.values()) {
      assertThat(BindPhase.parse(p.annotationValue(), "ns/p")).isEqualTo(p);
    }
    assertThat(BindPhase.ALLOCATING.annotationValue()).isEqualTo("allocating");
    assertThatThrownBy(() -> BindPhase.parse("Success", "ns/p")).isInstanceOf(HamiFormatException.class)
        .hasMessage("ns/p: hami.io/bind-phase: expected allocating, success or failed, got \"Success\"");
    assertThatThrownBy(() -> BindPhase.parse(null, "ns/p")).isInstanceOf(HamiFormatException.class);
  }

  @Test
  void unixSecondsLikeGo() {
    assertThat(UnixTimeCodec.encode(Instant.parse("2026-08-21T06:20:39.900Z"))).isEqualTo("1787293239");
    assertThat(UnixTimeCodec.decode("1787293239", Annotations.BIND_TIME, "ns/p")).isEqualTo(Instant.parse("2026-08-21T06:20:39Z"));
    assertThat(UnixTimeCodec.decode("+5", Annotations.BIND_TIME, "ns/p")).isEqualTo(Instant.ofEpochSecond(5));
    for (String bad : new String[] {null, "", " 1", "1.5", "1e9", "99999999999999999999"}) {
      assertThatThrownBy(() -> UnixTimeCodec.decode(bad, Annotations.VGPU_TIME, "ns/p"))
          .isInstanceOf(HamiFormatException.class).hasMessageStartingWith("ns/p: hami.io/vgpu-time: expected Unix seconds");
    }
    Property.forAll(Gen.choose(Integer.MIN_VALUE, Integer.MAX_VALUE).map(i -> Instant.ofEpochSecond(i * 3L))).seeds(200)
        .check(t -> assertThat(UnixTimeCodec.decode(UnixTimeCodec.encode(t), Annotations.BIND_TIME, "ns/p")).isEqualTo(t));
  }
}
