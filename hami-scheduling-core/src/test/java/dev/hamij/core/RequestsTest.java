package dev.hamij.core;

import static dev.hamij.core.Fx.c;
import static dev.hamij.core.Fx.kv;
import static dev.hamij.core.Fx.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.ContainerDeviceRequest;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** scheduler.md §1.2–1.5: request derivation per container. */
class RequestsTest {

  private static final SchedulerConfig DEFAULTS = SchedulerConfig.defaults();

  private static ContainerDeviceRequest r(int nums, int memreq, int mempct, int cores) {
    return new ContainerDeviceRequest(nums, "NVIDIA", memreq, mempct, cores);
  }

  private static ContainerDeviceRequest req(SchedulerConfig config, String... limits) throws PodRequest.Invalid {
    PodSpec p = pod("p", Map.of(), c("main", limits));
    return PodRequest.of(p, config).containers[0];
  }

  @Test
  void keyConsequencesTable() throws Exception {
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "1")).isEqualTo(r(1, 0, 100, 0));
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "2", "nvidia.com/gpumem", "4096"))
        .isEqualTo(r(2, 4096, 101, 0));
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "50"))
        .isEqualTo(r(1, 0, 50, 0));
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "0"))
        .isEqualTo(r(1, 0, 100, 0));
  }

  @Test
  void percentageIsClampedAndNonPositiveMeansUnset() throws Exception {
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "150").mempercentage()).isEqualTo(100);
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "-3").mempercentage()).isEqualTo(100);
    SchedulerConfig withDefault = DEFAULTS.toBuilder().defaultMemory(3000).build();
    assertThat(req(withDefault, "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "0"))
        .isEqualTo(r(1, 3000, 101, 0));
  }

  @Test
  void memoryFactorScalesGpumemButNotDefaultMemory() throws Exception {
    SchedulerConfig f = DEFAULTS.toBuilder().memoryFactor(4).defaultMemory(1000).build();
    assertThat(req(f, "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1024").memreq()).isEqualTo(4096);
    assertThat(req(f, "nvidia.com/gpu", "1").memreq()).isEqualTo(1000);
  }

  @Test
  void defaultCoresApplyUnlessGiven() throws Exception {
    SchedulerConfig f = DEFAULTS.toBuilder().defaultCores(20).build();
    assertThat(req(f, "nvidia.com/gpu", "1").coresreq()).isEqualTo(20);
    assertThat(req(f, "nvidia.com/gpu", "1", "nvidia.com/gpucores", "150").coresreq()).isEqualTo(150);
  }

  @Test
  void limitsWinOverRequestsAndRequestsAreTheFallback() throws Exception {
    PodSpec p = PodSpec.of("ns", "p", "u", Map.of(), new PodSpec.ContainerSpec("main",
        kv("nvidia.com/gpu", "1"), kv("nvidia.com/gpu", "3", "nvidia.com/gpumem", "2000")));
    assertThat(PodRequest.of(p, DEFAULTS).containers[0]).isEqualTo(r(1, 2000, 101, 0));
  }

  @Test
  void withoutCountOrWithZeroCountTheContainerAsksForNothing() throws Exception {
    assertThat(req(DEFAULTS, "nvidia.com/gpumem", "1000")).isNull();
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "0", "nvidia.com/gpumem", "1000")).isNull();
    assertThat(req(DEFAULTS, "cpu", "2")).isNull();
  }

  @Test
  void quantitiesWithSuffixesThatAreWholeNumbersAreAccepted() throws Exception {
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem", "8k").memreq()).isEqualTo(8000);
    assertThat(req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1e3").memreq()).isEqualTo(1000);
  }

  @Test
  void binaryQuantitiesForMemoryAreRejectedNamingContainerAndResource() {
    assertThatThrownBy(() -> req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem", "16Gi"))
        .isInstanceOf(PodRequest.Invalid.class)
        .hasMessageContaining("pod default/p container \"main\"")
        .hasMessageContaining("nvidia.com/gpumem \"16Gi\" is not a whole number of MiB")
        .hasMessageContaining("write 16384");
  }

  @Test
  void malformedOrFractionalQuantitiesAreRejected() {
    assertThatThrownBy(() -> req(DEFAULTS, "nvidia.com/gpu", "1.5")).hasMessageContaining("nvidia.com/gpu \"1.5\"");
    assertThatThrownBy(() -> req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpucores", "abc"))
        .hasMessageContaining("nvidia.com/gpucores \"abc\"");
    assertThatThrownBy(() -> req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem", "-5"))
        .hasMessageContaining("nvidia.com/gpumem \"-5\"");
    assertThatThrownBy(() -> req(DEFAULTS, "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "50m"))
        .hasMessageContaining("nvidia.com/gpumem-percentage \"50m\"");
    SchedulerConfig f = DEFAULTS.toBuilder().memoryFactor(2).build();
    assertThatThrownBy(() -> req(f, "nvidia.com/gpu", "1", "nvidia.com/gpumem", "2000000000"))
        .hasMessageContaining("at most 1073741823");
  }

  @Test
  void invalidRequestBecomesAnInvalidDecisionNotAPassThrough() {
    GpuScheduler s = GpuScheduler.create(DEFAULTS);
    s.upsertNode("n1", List.of(Fx.gpu("GPU-0", 0, 16000)), Map.of());
    Decision d = s.schedule(pod("p", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "16Gi")));
    assertThat(d.outcome()).isEqualTo(Decision.Outcome.INVALID_REQUEST);
    assertThat(d.error()).contains("container \"main\"", "nvidia.com/gpumem");
    assertThat(s.usage().pods()).isEmpty();
  }

  @Test
  void podWithoutGpuRequestIsPassedThrough() {
    GpuScheduler s = GpuScheduler.create(DEFAULTS);
    Decision d = s.schedule(pod("p", Map.of(), c("main", "cpu", "1")), List.of("n1", "n2"));
    assertThat(d.outcome()).isEqualTo(Decision.Outcome.NOT_GPU_POD);
    assertThat(d.nodeResults()).isEmpty();
    assertThat(d.annotations(java.time.Instant.EPOCH)).isEmpty();
  }

  @Test
  void customResourceNamesAreHonoured() throws Exception {
    SchedulerConfig f = DEFAULTS.toBuilder().resourceNames(new dev.hamij.api.ResourceNames(
        "example.com/vgpu", "example.com/vmem", "example.com/vmem-pct", "example.com/vcores", "example.com/prio"))
        .build();
    assertThat(req(f, "example.com/vgpu", "2", "example.com/vmem", "100", "example.com/vcores", "30"))
        .isEqualTo(r(2, 100, 101, 30));
    assertThat(req(f, "nvidia.com/gpu", "1")).isNull();
  }

  @Test
  void quantityGrammar() {
    assertThat(Quantities.exactLong("2")).isEqualTo(2L);
    assertThat(Quantities.exactLong("+2")).isEqualTo(2L);
    assertThat(Quantities.exactLong("2.0")).isEqualTo(2L);
    assertThat(Quantities.exactLong("1Ki")).isEqualTo(1024L);
    assertThat(Quantities.exactLong("1500m")).isNull();
    assertThat(Quantities.exactLong("2000m")).isEqualTo(2L);
    assertThat(Quantities.exactLong("1E2")).isEqualTo(100L);
    assertThat(Quantities.exactLong(".5k")).isEqualTo(500L);
    assertThat(Quantities.exactLong("1X")).isNull();
    assertThat(Quantities.exactLong("")).isNull();
    assertThat(Quantities.exactLong("k")).isNull();
  }
}
