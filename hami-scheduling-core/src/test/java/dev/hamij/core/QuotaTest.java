package dev.hamij.core;

import static dev.hamij.core.Fx.c;
import static dev.hamij.core.Fx.gpu;
import static dev.hamij.core.Fx.gpuPod;
import static dev.hamij.core.Fx.kv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.HamiFormatException;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** scheduler.md §7: namespace quotas in the fit and at admission. */
class QuotaTest {

  private final GpuScheduler s = GpuScheduler.create(SchedulerConfig.defaults());

  private void fourGpus() {
    s.upsertNode("n1", List.of(gpu("g0", 0, 16000), gpu("g1", 1, 16000), gpu("g2", 2, 16000), gpu("g3", 3, 16000)),
        Map.of());
  }

  private ClusterUsage.QuotaUsage memory(String ns) {
    return s.usage().quotas().stream()
        .filter(q -> q.namespace().equals(ns) && q.resource().equals("nvidia.com/gpumem")).findFirst().orElseThrow();
  }

  @Test
  void multiGpuPodsCountPerPhysicalGpu() {
    fourGpus();
    s.setQuota("default", "gpu-quota", kv("limits.nvidia.com/gpumem", "10000"));
    assertThat(s.schedule(gpuPod("p1", 2, 3000)).scheduled()).isTrue();
    assertThat(memory("default").used()).isEqualTo(6000);
    Decision second = s.schedule(gpuPod("p2", 2, 3000));
    assertThat(second.scheduled()).isFalse();
    assertThat(second.failedNodes())
        .containsEntry("n1", "1/4 AllocatedCardsInsufficientRequest, 3/4 ResourceQuotaNotFit");
    assertThat(s.schedule(gpuPod("p3", 1, 4000)).scheduled()).isTrue();
    assertThat(memory("default").used()).isEqualTo(10000);
    assertThat(memory("default").limit()).isEqualTo(OptionalLong.of(10000));
    assertThat(memory("default").quotaNames()).containsExactly("gpu-quota");
  }

  @Test
  void coresQuotaAndZeroLimit() {
    fourGpus();
    s.setQuota("default", "q", kv("limits.nvidia.com/gpucores", "50", "requests.nvidia.com/gpumem", "1"));
    PodSpec thirty = Fx.pod("a", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100",
        "nvidia.com/gpucores", "30"));
    assertThat(s.schedule(thirty).scheduled()).isTrue();
    PodSpec again = Fx.pod("b", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100",
        "nvidia.com/gpucores", "30"));
    assertThat(s.schedule(again).failedNodes()).containsEntry("n1", "4/4 ResourceQuotaNotFit");
    s.setQuota("other", "zero", kv("limits.nvidia.com/gpumem", "0"));
    PodSpec blocked = PodSpec.of("other", "z", "uid-z", Map.of(), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem", "1"));
    assertThat(s.schedule(blocked).scheduled()).isFalse();
    // quota objects of other namespaces never apply
    assertThat(s.schedule(Fx.pod("free", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100")))
        .scheduled()).isTrue();
  }

  @Test
  void percentageRequestsAreEnforcedAtFilterTime() {
    fourGpus();
    s.setQuota("default", "q", kv("limits.nvidia.com/gpumem", "10000"));
    PodSpec half = Fx.pod("h", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "50"));
    assertThat(s.admit(half).allowed()).isTrue();
    assertThat(s.admit(half).memoryMiB()).isZero();
    assertThat(s.schedule(half).scheduled()).isTrue();
    assertThat(memory("default").used()).isEqualTo(8000);
    assertThat(s.schedule(Fx.pod("h2", Map.of(), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem-percentage", "50"))).scheduled()).isFalse();
  }

  @Test
  void memoryFactorScalesTheLimit() {
    GpuScheduler f = GpuScheduler.create(SchedulerConfig.builder().memoryFactor(2).build());
    f.upsertNode("n1", List.of(gpu("g0", 0, 16000)), Map.of());
    f.setQuota("default", "q", kv("limits.nvidia.com/gpumem", "3000"));
    // 2500 units x 2 = 5000 MiB <= 3000 x 2 = 6000
    assertThat(f.schedule(gpuPod("a", 1, 2500)).devices().all().get(0).usedmem()).isEqualTo(5000);
    assertThat(f.schedule(gpuPod("b", 1, 1000)).scheduled()).isFalse();
  }

  @Test
  void initContainersCountAtTheirPeakInQuota() {
    s.upsertNode("n1", List.of(gpu("g0", 0, 16000)), Map.of());
    s.setQuota("default", "q", kv("limits.nvidia.com/gpumem", "9000"));
    PodSpec p = new PodSpec("default", "p", "uid-p", Map.of(),
        List.of(c("init", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "8000")),
        List.of(c("a", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "3000"),
            c("b", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "3000")));
    // peak = max(init 8000, app 3000 + 3000) = 8000 on the one GPU
    assertThat(s.admit(p).memoryMiB()).isEqualTo(8000);
    assertThat(s.schedule(p).scheduled()).isTrue();
    assertThat(memory("default").used()).isEqualTo(8000);
    PodSpec tooMuch = new PodSpec("default", "q", "uid-q", Map.of(),
        List.of(c("init", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "2000")), List.of());
    assertThat(s.admit(tooMuch).verdict()).isEqualTo(Admission.Verdict.EXCEEDS_QUOTA);
    assertThat(s.admit(tooMuch).message()).contains("nvidia.com/gpumem used 8000 + requested 2000 > limit 9000");
  }

  @Test
  void admissionTotalsAndVerdicts() {
    s.setQuota("default", "q", kv("limits.nvidia.com/gpumem", "10000", "limits.nvidia.com/gpucores", "100"));
    PodSpec two = gpuPod("two", 2, 3000);
    Admission a = s.admit(two);
    assertThat(a.verdict()).isEqualTo(Admission.Verdict.ALLOW);
    assertThat(a.memoryMiB()).isEqualTo(6000);
    PodSpec cores = Fx.pod("c", Map.of(), c("main", "nvidia.com/gpu", "2", "nvidia.com/gpucores", "60"));
    assertThat(s.admit(cores).verdict()).isEqualTo(Admission.Verdict.EXCEEDS_QUOTA);
    assertThat(s.admit(Fx.pod("none", Map.of(), c("main", "cpu", "1"))).allowed()).isTrue();
    Admission bad = s.admit(Fx.pod("bad", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "16Gi")));
    assertThat(bad.verdict()).isEqualTo(Admission.Verdict.INVALID_REQUEST);
    assertThat(bad.message()).contains("16Gi");
  }

  @Test
  void severalQuotasCombineToTheSmallestLimitWhateverTheOrder() {
    s.setQuota("default", "a", kv("limits.nvidia.com/gpumem", "5000"));
    s.setQuota("default", "b", kv("limits.nvidia.com/gpumem", "8000"));
    assertThat(memory("default").limit()).isEqualTo(OptionalLong.of(5000));
    s.setQuota("default", "a", kv("limits.nvidia.com/gpumem", "9000"));
    assertThat(memory("default").limit()).isEqualTo(OptionalLong.of(8000));
    s.removeQuota("default", "b");
    assertThat(memory("default").limit()).isEqualTo(OptionalLong.of(9000));
    s.removeQuota("default", "a");
    assertThat(s.usage().quotas()).isEmpty();
  }

  @Test
  void malformedQuotaValuesAreRejectedNamingTheQuotaAndKey() {
    assertThatThrownBy(() -> s.setQuota("ns", "q", kv("limits.nvidia.com/gpumem", "2.5")))
        .isInstanceOf(HamiFormatException.class)
        .hasMessageContaining("resourcequota ns/q")
        .hasMessageContaining("limits.nvidia.com/gpumem");
    assertThat(s.usage().quotas()).isEmpty();
  }

  @Test
  void quotaUsageFollowsPodsNotQuotaObjects() {
    fourGpus();
    assertThat(s.schedule(gpuPod("p", 1, 1000)).scheduled()).isTrue();
    assertThat(memory("default").used()).isEqualTo(1000);
    assertThat(memory("default").limit()).isEmpty();
    s.release("uid-p");
    assertThat(s.usage().quotas()).isEmpty();
  }
}
