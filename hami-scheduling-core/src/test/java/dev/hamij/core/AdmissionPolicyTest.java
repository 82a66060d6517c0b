package dev.hamij.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.ResourceNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The webhook rules of scheduler.md §8, one case each. */
class AdmissionPolicyTest {
  private static final AdmissionPolicy.Settings HAMI = new AdmissionPolicy.Settings(ResourceNames.DEFAULT, 1,
      "default", "", false, "hami-scheduler", true);

  private static Map<String, String> kv(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  private static AdmissionPolicy.Container c(String name, String... limits) {
    return new AdmissionPolicy.Container(name, kv(limits), Map.of(), Set.of(), false);
  }

  private static AdmissionPolicy.Pod pod(AdmissionPolicy.Container... containers) {
    return new AdmissionPolicy.Pod("", "", "", List.of(), List.of(containers));
  }

  @Test
  void podWithoutContainersIsDenied() {
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(pod(), HAMI);
    assertThat(r.verdict()).isEqualTo(AdmissionPolicy.Verdict.DENY);
    assertThat(r.message()).isEqualTo("pod has no containers");
  }

  @Test
  void gpuAloneBecomesExclusiveAndGetsTheSchedulerName() {
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(pod(c("main", "nvidia.com/gpu", "1")), HAMI);
    assertThat(r.verdict()).isEqualTo(AdmissionPolicy.Verdict.ALLOW);
    assertThat(r.changes()).containsExactly(new AdmissionPolicy.ContainerChange(false, 0,
        Map.of("nvidia.com/gpucores", "100"), Map.of()));
    assertThat(r.schedulerName()).isEqualTo("hami-scheduler");
    assertThat(r.requestsGpus()).isTrue();
  }

  @Test
  void memoryRequestKeepsTheGpuShareable() {
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(pod(c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "3000")), HAMI);
    assertThat(r.changes()).isEmpty();
    assertThat(r.schedulerName()).isEqualTo("hami-scheduler");
  }

  @Test
  void percentageOfOneHundredIsExclusiveButFiftyIsNot() {
    assertThat(AdmissionPolicy.mutate(pod(c("a", "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "100")), HAMI)
        .changes()).extracting(AdmissionPolicy.ContainerChange::limits).containsExactly(Map.of("nvidia.com/gpucores", "100"));
    assertThat(AdmissionPolicy.mutate(pod(c("a", "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "50")), HAMI)
        .changes()).isEmpty();
  }

  @Test
  void memoryWithoutCountGetsTheDefaultGpuNumber() {
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(pod(c("a", "nvidia.com/gpumem", "2000")), HAMI);
    assertThat(r.changes()).extracting(AdmissionPolicy.ContainerChange::limits)
        .containsExactly(Map.of("nvidia.com/gpu", "1"));
    AdmissionPolicy.Settings noDefault = new AdmissionPolicy.Settings(ResourceNames.DEFAULT, 0, "default", "", false,
        "hami-scheduler", true);
    assertThat(AdmissionPolicy.mutate(pod(c("a", "nvidia.com/gpumem", "2000")), noDefault).requestsGpus()).isFalse();
  }

  @Test
  void countOnlyInRequestsStillGetsExclusiveCores() {
    AdmissionPolicy.Container c = new AdmissionPolicy.Container("a", Map.of(), kv("nvidia.com/gpu", "1"), Set.of(), false);
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(pod(c), HAMI);
    assertThat(r.changes()).extracting(AdmissionPolicy.ContainerChange::limits)
        .containsExactly(Map.of("nvidia.com/gpucores", "100"));
    assertThat(r.requestsGpus()).isTrue();
  }

  @Test
  void invalidPercentageIsAnError() {
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(pod(c("a", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem-percentage", "150")), HAMI);
    assertThat(r.verdict()).isEqualTo(AdmissionPolicy.Verdict.ERROR);
    assertThat(r.message()).contains("nvidia.com/gpumem-percentage").contains("150").contains("container a");
  }

  @Test
  void priorityBecomesAnEnvVar() {
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(pod(c("a", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100",
        "nvidia.com/priority", "1")), HAMI);
    assertThat(r.changes()).containsExactly(new AdmissionPolicy.ContainerChange(false, 0, Map.of(),
        Map.of("CUDA_TASK_PRIORITY", "1")));
  }

  @Test
  void existingEnvVarOfTheSameNameWins() {
    AdmissionPolicy.Container c = new AdmissionPolicy.Container("a",
        kv("nvidia.com/gpu", "1", "nvidia.com/gpumem", "100", "nvidia.com/priority", "1"), Map.of(),
        Set.of("CUDA_TASK_PRIORITY"), false);
    assertThat(AdmissionPolicy.mutate(pod(c), HAMI).changes()).isEmpty();
  }

  @Test
  void corePolicyRuntimeClassAndOverwriteEnv() {
    AdmissionPolicy.Settings s = new AdmissionPolicy.Settings(ResourceNames.DEFAULT, 1, "force", "nvidia", true,
        "hami-scheduler", true);
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(pod(c("gpu", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "10"),
        c("cpu")), s);
    assertThat(r.changes()).containsExactly(
        new AdmissionPolicy.ContainerChange(false, 0, Map.of(), Map.of("GPU_CORE_UTILIZATION_POLICY", "force")),
        new AdmissionPolicy.ContainerChange(false, 1, Map.of(),
            kv("GPU_CORE_UTILIZATION_POLICY", "force", "NVIDIA_VISIBLE_DEVICES", "none")));
    assertThat(r.runtimeClassName()).isEqualTo("nvidia");
  }

  @Test
  void privilegedGpuPodIsDeniedButPrivilegedCpuPodIsNot() {
    AdmissionPolicy.Container priv = new AdmissionPolicy.Container("side", Map.of(), Map.of(), Set.of(), true);
    assertThat(AdmissionPolicy.mutate(pod(c("main", "nvidia.com/gpu", "1"), priv), HAMI).message())
        .isEqualTo("container side is privileged");
    assertThat(AdmissionPolicy.mutate(pod(priv), HAMI).verdict()).isEqualTo(AdmissionPolicy.Verdict.ALLOW);
  }

  @Test
  void gpuPodWithNodeNameIsDenied() {
    AdmissionPolicy.Pod p = new AdmissionPolicy.Pod("", "node-1", "", List.of(), List.of(c("a", "nvidia.com/gpu", "1")));
    assertThat(AdmissionPolicy.mutate(p, HAMI).message()).isEqualTo("pod has node assigned");
  }

  @Test
  void otherSchedulersAreLeftAlone() {
    AdmissionPolicy.Pod other = new AdmissionPolicy.Pod("volcano", "", "", List.of(), List.of(c("a", "nvidia.com/gpu", "1")));
    AdmissionPolicy.Result r = AdmissionPolicy.mutate(other, HAMI);
    assertThat(r.verdict()).isEqualTo(AdmissionPolicy.Verdict.ALLOW);
    assertThat(r.changes()).isEmpty();
    assertThat(r.message()).isEqualTo("pod already has different scheduler assigned");
    AdmissionPolicy.Pod dflt = new AdmissionPolicy.Pod("default-scheduler", "", "", List.of(), List.of(c("a", "nvidia.com/gpu", "1")));
    assertThat(AdmissionPolicy.mutate(dflt, HAMI).schedulerName()).isEqualTo("hami-scheduler");
    AdmissionPolicy.Settings noForce = new AdmissionPolicy.Settings(ResourceNames.DEFAULT, 1, "default", "", false,
        "hami-scheduler", false);
    assertThat(AdmissionPolicy.mutate(dflt, noForce).changes()).isEmpty();
  }

  @Test
  void initContainersAreMutatedWithTheirOwnIndex() {
    AdmissionPolicy.Pod p = new AdmissionPolicy.Pod("", "", "", List.of(c("init", "nvidia.com/gpu", "1")),
        List.of(c("main")));
    assertThat(AdmissionPolicy.mutate(p, HAMI).changes()).containsExactly(
        new AdmissionPolicy.ContainerChange(true, 0, Map.of("nvidia.com/gpucores", "100"), Map.of()));
  }

  @Test
  void forgedAllocationAnnotationsAreFoundButUserKnobsAreNot() {
    assertThat(AdmissionPolicy.forgedOnCreate(kv("hami.io/vgpu-devices-to-allocate", "GPU-x,NVIDIA,1,1:;",
        "hami.io/gpu-scheduler-policy", "binpack", "hami.io/bind-phase", "success")))
        .containsExactly("hami.io/bind-phase", "hami.io/vgpu-devices-to-allocate");
    assertThat(AdmissionPolicy.forgedLabelsOnCreate(kv("hami.io/vgpu-node", "n1", "app", "x")))
        .containsExactly("hami.io/vgpu-node");
  }

  @Test
  void onlyTrustedUsersMayChangeAllocationAnnotations() {
    Set<String> trusted = Set.of("system:serviceaccount:hami:hami-scheduler");
    Map<String, String> before = kv("hami.io/vgpu-devices-to-allocate", "GPU-a,NVIDIA,1000,10:;");
    Map<String, String> forged = kv("hami.io/vgpu-devices-to-allocate", "GPU-b,NVIDIA,1000,10:;");
    assertThat(AdmissionPolicy.updateViolation(before, forged, Map.of(), Map.of(), "alice", List.of(), trusted))
        .contains("hami.io/vgpu-devices-to-allocate").contains("alice");
    assertThat(AdmissionPolicy.updateViolation(before, Map.of(), Map.of(), Map.of(), "alice", List.of(), trusted))
        .isNotNull();
    assertThat(AdmissionPolicy.updateViolation(before, forged, Map.of(), Map.of(),
        "system:serviceaccount:hami:hami-scheduler", List.of(), trusted)).isNull();
    assertThat(AdmissionPolicy.updateViolation(before, forged, Map.of(), Map.of(), "admin", List.of("system:masters"),
        trusted)).isNull();
    assertThat(AdmissionPolicy.updateViolation(before, before, Map.of("app", "a"), Map.of("app", "b"), "alice",
        List.of(), trusted)).isNull();
    assertThat(AdmissionPolicy.updateViolation(before, before, Map.of(), Map.of("hami.io/vgpu-node", "n2"), "alice",
        List.of(), trusted)).contains("label hami.io/vgpu-node");
  }
}
