package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.testing.AnnotationGens;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.HamiGens;
import dev.hamij.api.testing.Property;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Round-trip and robustness properties of every annotation codec. */
class CodecPropertiesTest {

  @Test
  void registerJsonRoundTrips() {
    Property.forAll(Gen.oneOf(HamiGens.node(), HamiGens.node(HamiGens.extremeDevice()))).seeds(300)
        .check(node -> assertThat(RegisterCodec.decode(RegisterCodec.encodeJson(node), "n")).isEqualTo(node));
  }

  @Test
  void registerLegacyRoundTripsWithoutMigProfiles() {
    Property.forAll(HamiGens.node()).seeds(300)
        .check(node -> assertThat(RegisterCodec.decode(RegisterCodec.encodeLegacy(node), "n")).isEqualTo(withoutProfiles(node)));
  }

  @Test
  void legacyAndJsonEncodingsDecodeToTheSameDevices() {
    Property.forAll(HamiGens.node()).seeds(300).check(node -> {
      List<GpuDevice> fromJson = RegisterCodec.decode(RegisterCodec.encodeJson(node), "n");
      List<GpuDevice> fromLegacy = RegisterCodec.decode(RegisterCodec.encodeLegacy(node), "n");
      assertThat(fromLegacy).isEqualTo(withoutProfiles(fromJson));
    });
  }

  private static List<GpuDevice> withoutProfiles(List<GpuDevice> devices) {
    return devices.stream().map(d -> new GpuDevice(d.id(), d.index(), d.count(), d.devmem(), d.devcore(), d.type(),
        d.numa(), d.mode(), d.health(), List.of())).toList();
  }

  @Test
  void podDevicesRoundTrip() {
    Property.forAll(HamiGens.podDevices()).seeds(300).check(pod -> {
      String encoded = PodDevicesCodec.encode(pod);
      assertThat(PodDevicesCodec.decode(encoded, "ns/p")).isEqualTo(pod);
      assertThat(encoded.chars().filter(c -> c == ';').count()).isEqualTo(pod.containers().size());
    });
  }

  @Test
  void migAllocationsRoundTrip() {
    Property.forAll(HamiGens.migAllocations()).seeds(300)
        .check(list -> assertThat(MigAllocationsCodec.decode(MigAllocationsCodec.encode(list), "ns/p")).isEqualTo(list));
  }

  @Test
  void nodeLockRoundTrips() {
    Property.forAll(HamiGens.nodeLock()).seeds(200)
        .check(lock -> assertThat(NodeLockCodec.decode(NodeLockCodec.encode(lock), "n")).isEqualTo(lock));
  }

  @Test
  void handshakeRoundTripsInFixedZones() {
    Gen<Instant> time = (r, s) -> Instant.ofEpochSecond(r.nextLong(946_684_800L, 4_102_444_800L));
    Gen<ZoneId> zone = Gen.elements(ZoneOffset.UTC, ZoneOffset.ofHours(8), ZoneOffset.ofHoursMinutes(-5, -30));
    Property.forAll(time.flatMap(t -> zone.map(z -> List.of(t, z)))).seeds(200).check(pair -> {
      Instant t = (Instant) pair.get(0);
      ZoneId z = (ZoneId) pair.get(1);
      assertThat(HandshakeCodec.parse(HandshakeCodec.requesting(t, z), z).time()).contains(t);
      assertThat(HandshakeCodec.parse(HandshakeCodec.deleted(t, z), z).kind()).isEqualTo(HandshakeCodec.Kind.DELETED);
      assertThat(HandshakeCodec.parse(HandshakeCodec.reported(t, z), ZoneOffset.UTC).time()).contains(t);
    });
  }

  @Test
  void scoringWeightsRoundTrip() {
    Property.forAll(HamiGens.scoringWeights()).seeds(200)
        .check(w -> assertThat(ScoringWeights.parse(w.toAnnotationValue(), "ns/p")).isEqualTo(w));
  }

  @Test
  void pairScoresRoundTrip() {
    Property.forAll(HamiGens.pairScores()).seeds(200)
        .check(s -> assertThat(PairScoresCodec.decode(PairScoresCodec.encode(s), "n")).isEqualTo(s));
  }

  /** Decoding damaged or random values either succeeds or throws the documented exception, naming the annotation. */
  @TestFactory
  Stream<DynamicTest> decodersThrowOnlyHamiFormatException() {
    return Stream.of(
        robust("register", AnnotationGens.register(), Annotations.NODE_NVIDIA_REGISTER, v -> RegisterCodec.decode(v, "n")),
        robust("pair scores", AnnotationGens.pairScores(), Annotations.NODE_NVIDIA_SCORE, v -> PairScoresCodec.decode(v, "n")),
        robust("pod devices", AnnotationGens.podDevices(), Annotations.DEVICES_ALLOCATED, v -> PodDevicesCodec.decode(v, "ns/p")),
        robust("MIG allocations", AnnotationGens.migAllocations(), Annotations.MIG_ALLOCATIONS,
            v -> MigAllocationsCodec.decode(v, "ns/p")),
        robust("node lock", AnnotationGens.nodeLock(), Annotations.NODE_LOCK, v -> NodeLockCodec.decode(v, "n")),
        robust("scoring weights", AnnotationGens.scoringWeights(), Annotations.DEVICE_SCORING_WEIGHTS,
            v -> ScoringWeights.parse(v, "ns/p")),
        robust("handshake", AnnotationGens.handshake(), Annotations.NODE_HANDSHAKE,
            v -> HandshakeCodec.parse(v, ZoneOffset.UTC)),
        robust("unix time", Gen.choose(0, Integer.MAX_VALUE).map(i -> UnixTimeCodec.encode(Instant.ofEpochSecond(i))),
            Annotations.VGPU_TIME, v -> UnixTimeCodec.decode(v, Annotations.VGPU_TIME, "ns/p")),
        robust("bind phase", Gen.elements(BindPhase.values()).map(BindPhase::annotationValue), Annotations.BIND_PHASE,
            v -> BindPhase.parse(v, "ns/p")));
  }

  private static DynamicTest robust(String name, Gen<String> valid, String key, Consumer<String> decode) {
    return Property.forAll(AnnotationGens.hostile(valid)).seeds(400).toDynamicTest(name, value -> {
      try {
        decode.accept(value);
      } catch (HamiFormatException e) {
        assertThat(e.subject()).isEqualTo(key);
        assertThat(e.getMessage()).contains(key).doesNotContain("\n  at ");
      }
    });
  }

  @Test
  void decodersAcceptNullAndEmptyWithoutCrashing() {
    for (String v : new String[] {null, ""}) {
      robustOnce(() -> RegisterCodec.decode(v, "n"));
      robustOnce(() -> PairScoresCodec.decode(v, "n"));
      robustOnce(() -> PodDevicesCodec.decode(v, "ns/p"));
      robustOnce(() -> MigAllocationsCodec.decode(v, "ns/p"));
      robustOnce(() -> NodeLockCodec.decode(v, "n"));
      robustOnce(() -> ScoringWeights.parse(v, "ns/p"));
      robustOnce(() -> HandshakeCodec.parse(v, ZoneOffset.UTC));
      robustOnce(() -> UnixTimeCodec.decode(v, Annotations.BIND_TIME, "ns/p"));
      robustOnce(() -> BindPhase.parse(v, "ns/p"));
    }
  }

  private static void robustOnce(Runnable decode) {
    try {
      decode.run();
    } catch (HamiFormatException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
