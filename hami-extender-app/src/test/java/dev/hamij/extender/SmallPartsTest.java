package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Annotations;
import dev.hamij.api.HamiConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The small translators: JSON Patch diff, Go durations, addresses, the QPS limiter, the ledger's stale-event guard. */
class SmallPartsTest {

  @Test
  void jsonPatchDiffIsMinimalAndEscapesPointers() {
    var from = ExtenderWire.JSON.readTree("{\"a\":{\"x/y\":1,\"gone\":2},\"list\":[1,2],\"keep\":true}");
    var to = ExtenderWire.JSON.readTree("{\"a\":{\"x/y\":3,\"new~\":4},\"list\":[1,5,6],\"keep\":true}");
    assertThat(JsonPatchDiff.diff(from, to).toString()).isEqualTo("["
        + "{\"op\":\"remove\",\"path\":\"/a/gone\"},"
        + "{\"op\":\"replace\",\"path\":\"/a/x~1y\",\"value\":3},"
        + "{\"op\":\"add\",\"path\":\"/a/new~0\",\"value\":4},"
        + "{\"op\":\"replace\",\"path\":\"/list/1\",\"value\":5},"
        + "{\"op\":\"add\",\"path\":\"/list/2\",\"value\":6}]");
    assertThat(JsonPatchDiff.diff(to, to)).isEmpty();
    assertThat(JsonPatchDiff.diff(ExtenderWire.JSON.readTree("[1,2]"), ExtenderWire.JSON.readTree("[1]")).toString())
        .isEqualTo("[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]");
  }

  @Test
  void goDurationsAndAddresses() {
    assertThat(GoDuration.parse("f", "5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(GoDuration.parse("f", "5m0s")).isEqualTo(Duration.ofMinutes(5));
    assertThat(GoDuration.parse("f", "1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("f", "1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(GoDuration.parse("f", "250ms")).isEqualTo(Duration.ofMillis(250));
    assertThatThrownBy(() -> GoDuration.parse("--node-lock-timeout", "5 minutes"))
        .hasMessageStartingWith("--node-lock-timeout: invalid duration \"5 minutes\"");
    assertThat(NodeLocks.human(Duration.ofMinutes(5))).isEqualTo("5m0s");
    assertThat(ExtenderRuntime.address("--http_bind", ":9395").getPort()).isEqualTo(9395);
    assertThat(ExtenderRuntime.address("--http_bind", "127.0.0.1:8080").getHostString()).isEqualTo("127.0.0.1");
    assertThat(ExtenderRuntime.address("--http_bind", "[::1]:443").getPort()).isEqualTo(443);
    assertThatThrownBy(() -> ExtenderRuntime.address("--http_bind", "8080")).hasMessageContaining("--http_bind");
    assertThat(KubeCluster.parseSelector("gpu=on, zone = a")).containsExactly(java.util.Map.entry("gpu", "on"),
        java.util.Map.entry("zone", "a"));
    assertThatThrownBy(() -> KubeCluster.parseSelector("gpu")).hasMessageContaining("--node-label-selector");
  }

  @Test
  void followedLeaseMustNameThisPodAndBeValid() {
    java.time.Instant now = java.time.Instant.parse("2026-11-29T10:00:00Z");
    java.util.function.BiFunction<String, Integer, io.fabric8.kubernetes.api.model.coordination.v1.Lease> lease =
        (holder, ageSeconds) -> new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewSpec()
            .withHolderIdentity(holder).withLeaseDurationSeconds(15)
            .withRenewTime(now.minusSeconds(ageSeconds).atZone(java.time.ZoneOffset.UTC)).endSpec().build();
    assertThat(Leadership.holds(lease.apply("sched-0_1b2c", 5), "sched-0", now)).isTrue();
    assertThat(Leadership.holds(lease.apply("sched-0", 5), "sched-0", now)).isTrue();
    assertThat(Leadership.holds(lease.apply("sched-01_1b2c", 5), "sched-0", now)).isFalse();
    assertThat(Leadership.holds(lease.apply("sched-0_1b2c", 16), "sched-0", now)).isFalse();
    assertThat(Leadership.holds(null, "sched-0", now)).isFalse();
  }

  @Test
  void qpsLimiterSpacesRequestsAfterTheBurst() {
    long[] now = {1_000_000_000L};
    QpsLimiter limiter = new QpsLimiter(10, 2, () -> now[0]);
    assertThat(limiter.reserve()).isZero();
    assertThat(limiter.reserve()).isZero();
    // the third request in the same instant waits 1/10 s, the fourth 2/10 s
    assertThat(limiter.reserve()).isEqualTo(Duration.ofMillis(100).toNanos());
    assertThat(limiter.reserve()).isEqualTo(Duration.ofMillis(200).toNanos());
    // half a second later two of the owed tokens are earned back and a new one is owed again
    now[0] += Duration.ofMillis(500).toNanos();
    assertThat(limiter.reserve()).isZero();
  }

  @Test
  void staleEventsOfAPodJustDecidedAreIgnored() {
    MemoryCluster cluster = new MemoryCluster(new Snapshot(List.of(Fixtures.gpuNode("g", 1, 10000)), List.of(), List.of()));
    ClusterLedger ledger = new ClusterLedger(cluster, new NodeHealth(java.time.Clock.systemUTC(), java.time.ZoneOffset.UTC),
        Settings.of(HamiConfig.defaults(), new Settings.Policies("binpack", "spread", "", true)));
    ledger.rebuild(ledger.settings());
    Pod old = new PodBuilder(Fixtures.pod("default", "p", "uid-p", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"))
        .editMetadata().addToAnnotations(Annotations.VGPU_NODE, "g")
        .addToAnnotations(Annotations.DEVICES_ALLOCATED, "GPU-g-0,NVIDIA,1000,0:;").endMetadata().build();
    Pod fresh = new PodBuilder(old).editMetadata()
        .addToAnnotations(Annotations.DEVICES_ALLOCATED, "GPU-g-0,NVIDIA,3000,0:;").endMetadata().build();
    ledger.expect("uid-p", "GPU-g-0,NVIDIA,3000,0:;");
    ledger.podChanged(old);
    assertThat(usedMemory(ledger)).isZero();
    ledger.podChanged(fresh);
    assertThat(usedMemory(ledger)).isEqualTo(3000);
    // once confirmed, later events apply normally
    ledger.podChanged(old);
    assertThat(usedMemory(ledger)).isEqualTo(1000);
    ledger.podChanged(new PodBuilder(old).editStatus().withPhase("Succeeded").endStatus().build());
    assertThat(usedMemory(ledger)).isZero();
    ledger.close();
    cluster.close();
  }

  /** Found by the cluster harness: a node whose only GPU was lost registers "[]", and it kept its old GPU. */
  @Test
  void aNodeThatRegistersNoGpuAnyMoreHasNothingToSchedule() {
    MemoryCluster cluster = new MemoryCluster(new Snapshot(List.of(Fixtures.gpuNode("g", 1, 10000)), List.of(), List.of()));
    ClusterLedger ledger = new ClusterLedger(cluster, new NodeHealth(java.time.Clock.systemUTC(), java.time.ZoneOffset.UTC),
        Settings.of(HamiConfig.defaults(), new Settings.Policies("binpack", "spread", "", true)));
    ledger.rebuild(ledger.settings());
    assertThat(ledger.scheduler().usage().node("g")).isPresent();
    ledger.nodeChanged(new io.fabric8.kubernetes.api.model.NodeBuilder(Fixtures.gpuNode("g", 1, 10000)).editMetadata()
        .addToAnnotations(Annotations.NODE_NVIDIA_REGISTER, "[]").endMetadata().build());
    assertThat(ledger.scheduler().usage().node("g")).isEmpty();
    // a damaged value still keeps the previous registration
    ledger.nodeChanged(Fixtures.gpuNode("g", 1, 10000));
    ledger.nodeChanged(new io.fabric8.kubernetes.api.model.NodeBuilder(Fixtures.gpuNode("g", 1, 10000)).editMetadata()
        .addToAnnotations(Annotations.NODE_NVIDIA_REGISTER, "[{").endMetadata().build());
    assertThat(ledger.scheduler().usage().node("g")).isPresent();
    ledger.close();
    cluster.close();
  }

  private static int usedMemory(ClusterLedger ledger) {
    return ledger.scheduler().usage().node("g").orElseThrow().gpus().get(0).usedMemory();
  }
}
