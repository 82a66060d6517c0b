package dev.hamij.core;

import dev.hamij.api.Annotations;
import dev.hamij.api.ResourceNames;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The pod mutation and protection rules of HAMi's admission webhook (scheduler.md §8), as a pure
 * function: given a pod's containers and the webhook settings it says which resource limits, env
 * vars, scheduler name and runtime class to add, or why the pod is denied. The namespace quota check
 * that follows the mutation is {@link GpuScheduler#admit}.
 *
 * <p>It also guards the allocation annotations the scheduler and device plugin exchange: a pod must
 * not arrive with a forged {@code hami.io/vgpu-devices-to-allocate} (that would hand it another pod's
 * GPU), so {@link #forgedOnCreate} lists the keys to strip on CREATE, and {@link #updateViolation}
 * denies UPDATEs that change them unless they come from a trusted identity.
 */
public final class AdmissionPolicy {

  /** Annotations only the scheduler and the device plugin may write (scheduler.md §3.1). */
  public static final Set<String> ALLOCATION_ANNOTATIONS = Collections.unmodifiableSet(new TreeSet<>(List.of(
      Annotations.VGPU_NODE, Annotations.VGPU_TIME, Annotations.DEVICES_TO_ALLOCATE, Annotations.DEVICES_ALLOCATED,
      Annotations.MIG_ALLOCATIONS, Annotations.BIND_PHASE, Annotations.BIND_TIME)));
  /** Labels only the scheduler may write. */
  public static final Set<String> ALLOCATION_LABELS = Set.of(Annotations.VGPU_NODE);

  static final String ENV_PRIORITY = "CUDA_TASK_PRIORITY";
  static final String ENV_CORE_POLICY = "GPU_CORE_UTILIZATION_POLICY";
  static final String ENV_VISIBLE_DEVICES = "NVIDIA_VISIBLE_DEVICES";
  static final String DEFAULT_SCHEDULER = "default-scheduler";

  private AdmissionPolicy() {}

  /**
   * Webhook settings (device config {@code nvidia:} keys and scheduler flags).
   *
   * @param names resource names
   * @param defaultGpuNum {@code defaultGPUNum}: count added when a container gives memory or cores but no count
   * @param gpuCorePolicy {@code gpuCorePolicy}: {@code default}, {@code force} or {@code disable}
   * @param runtimeClassName {@code runtimeClassName} set on GPU pods that have none; empty for none
   * @param overwriteEnv {@code overwriteEnv}: hide GPUs from containers that ask for none
   * @param schedulerName {@code --scheduler-name}: injected into GPU pods; empty to leave pods alone
   * @param forceOverwriteDefaultScheduler {@code --force-overwrite-default-scheduler}
   */
  public record Settings(ResourceNames names, int defaultGpuNum, String gpuCorePolicy, String runtimeClassName,
      boolean overwriteEnv, String schedulerName, boolean forceOverwriteDefaultScheduler) {
    public Settings {
      Objects.requireNonNull(names, "names");
      gpuCorePolicy = gpuCorePolicy == null ? "" : gpuCorePolicy;
      runtimeClassName = runtimeClassName == null ? "" : runtimeClassName;
      schedulerName = schedulerName == null ? "" : schedulerName;
    }
  }

  /**
   * One container as the webhook sees it.
   *
   * @param name container name
   * @param limits resource limits (quantity strings)
   * @param requests resource requests (quantity strings)
   * @param envNames names of env vars already set
   * @param privileged {@code securityContext.privileged == true}
   */
  public record Container(String name, Map<String, String> limits, Map<String, String> requests,
      Set<String> envNames, boolean privileged) {
    public Container {
      name = name == null ? "" : name;
      limits = limits == null ? Map.of() : Map.copyOf(limits);
      requests = requests == null ? Map.of() : Map.copyOf(requests);
      envNames = envNames == null ? Set.of() : Set.copyOf(envNames);
    }

    String lookup(String resource) {
      if (resource == null || resource.isEmpty()) {
        return null;
      }
      String v = limits.get(resource);
      return v != null ? v : requests.get(resource);
    }
  }

  /**
   * The pod fields the rules read.
   *
   * @param schedulerName {@code spec.schedulerName} (empty when unset)
   * @param nodeName {@code spec.nodeName} (empty when unset)
   * @param runtimeClassName {@code spec.runtimeClassName} (empty when unset)
   */
  public record Pod(String schedulerName, String nodeName, String runtimeClassName, List<Container> initContainers,
      List<Container> containers) {
    public Pod {
      schedulerName = schedulerName == null ? "" : schedulerName;
      nodeName = nodeName == null ? "" : nodeName;
      runtimeClassName = runtimeClassName == null ? "" : runtimeClassName;
      initContainers = initContainers == null ? List.of() : List.copyOf(initContainers);
      containers = containers == null ? List.of() : List.copyOf(containers);
    }
  }

  /**
   * Additions to one container.
   *
   * @param init true for {@code spec.initContainers}, false for {@code spec.containers}
   * @param index position in that list
   * @param limits resource limits to set (name → quantity)
   * @param env env vars to append (name → value), in order
   */
  public record ContainerChange(boolean init, int index, Map<String, String> limits, Map<String, String> env) {
    public ContainerChange {
      limits = Collections.unmodifiableMap(new LinkedHashMap<>(limits));
      env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }
  }

  /** Kind of answer. */
  public enum Verdict {
    /** Admit, applying {@link Result#changes()} and the pod-level fields (possibly nothing). */
    ALLOW,
    /** Refuse with {@link Result#message()} (HTTP 403 in the AdmissionReview). */
    DENY,
    /** The pod's GPU fields are invalid (HTTP 500 in HAMi's AdmissionReview). */
    ERROR
  }

  /**
   * The webhook's answer before the quota check.
   *
   * @param verdict allow, deny or error
   * @param message reason for deny/error; for an untouched allow, why nothing was changed (may be empty)
   * @param changes container additions (only with ALLOW)
   * @param schedulerName scheduler name to set, or empty to keep
   * @param runtimeClassName runtime class to set, or empty to keep
   * @param requestsGpus true when some container asks for HAMi resources after mutation
   */
  public record Result(Verdict verdict, String message, List<ContainerChange> changes, String schedulerName,
      String runtimeClassName, boolean requestsGpus) {
    public Result {
      message = message == null ? "" : message;
      changes = List.copyOf(changes);
      schedulerName = schedulerName == null ? "" : schedulerName;
      runtimeClassName = runtimeClassName == null ? "" : runtimeClassName;
    }

    static Result deny(String message) {
      return new Result(Verdict.DENY, message, List.of(), "", "", false);
    }

    static Result error(String message) {
      return new Result(Verdict.ERROR, message, List.of(), "", "", false);
    }
  }

  /** Applies the rules of scheduler.md §8 to a pod being created. */
  public static Result mutate(Pod pod, Settings s) {
    if (pod.containers().isEmpty()) {
      return Result.deny("pod has no containers");
    }
    String current = pod.schedulerName();
    if (!current.isEmpty()
        && (!current.equals(DEFAULT_SCHEDULER) || !s.forceOverwriteDefaultScheduler())
        && (s.schedulerName().isEmpty() || !current.equals(s.schedulerName()))) {
      return new Result(Verdict.ALLOW, "pod already has different scheduler assigned", List.of(), "", "", false);
    }
    List<ContainerChange> changes = new ArrayList<>();
    boolean hasRes = false;
    boolean[] runtime = {false};
    List<Container> all = new ArrayList<>(pod.initContainers());
    all.addAll(pod.containers());
    for (int i = 0; i < all.size(); i++) {
      boolean init = i < pod.initContainers().size();
      int index = init ? i : i - pod.initContainers().size();
      Map<String, String> limits = new LinkedHashMap<>();
      Map<String, String> env = new LinkedHashMap<>();
      ContainerOutcome outcome = mutateContainer(all.get(i), pod, s, limits, env, runtime);
      if (outcome.error() != null) {
        return Result.error(outcome.error());
      }
      hasRes |= outcome.requestsGpus();
      if (!limits.isEmpty() || !env.isEmpty()) {
        changes.add(new ContainerChange(init, index, limits, env));
      }
    }
    if (hasRes) {
      for (Container c : all) {
        if (c.privileged()) {
          return Result.deny("container " + c.name() + " is privileged");
        }
      }
    }
    String scheduler = "";
    if (hasRes && !s.schedulerName().isEmpty()) {
      scheduler = s.schedulerName().equals(current) ? "" : s.schedulerName();
      if (!pod.nodeName().isEmpty()) {
        return Result.deny("pod has node assigned");
      }
    }
    String runtimeClass = hasRes && runtime[0] ? s.runtimeClassName() : "";
    return new Result(Verdict.ALLOW, "", changes, scheduler, runtimeClass, hasRes);
  }

  private record ContainerOutcome(String error, boolean requestsGpus) {}

  /** Fills {@code limits}/{@code env} with the container's additions. */
  private static ContainerOutcome mutateContainer(Container c, Pod pod, Settings s, Map<String, String> limits,
      Map<String, String> env, boolean[] runtime) {
    ResourceNames n = s.names();
    String pctText = c.lookup(n.memoryPercentage());
    Long pct = null;
    if (pctText != null) {
      pct = integer(pctText);
      if (pct == null || pct < 0 || pct > 100) {
        return new ContainerOutcome("invalid " + n.memoryPercentage() + " value " + pctText + " in container "
            + c.name() + ": expected an integer from 0 to 100", false);
      }
    }
    String priority = c.limits().get(n.priority());
    if (priority != null && !priority.isEmpty() && !n.priority().isEmpty()) {
      Long p = integer(priority);
      if (p == null) {
        return new ContainerOutcome("invalid " + n.priority() + " value " + priority + " in container " + c.name()
            + ": expected an integer", false);
      }
      addEnv(c, env, ENV_PRIORITY, Long.toString(p));
    }
    if (!s.gpuCorePolicy().isEmpty() && !s.gpuCorePolicy().equals("default")) {
      addEnv(c, env, ENV_CORE_POLICY, s.gpuCorePolicy());
    }
    boolean has = c.limits().containsKey(n.count());
    if (!has && s.defaultGpuNum() > 0
        && (has(c.limits(), n.cores()) || has(c.limits(), n.memory()) || has(c.limits(), n.memoryPercentage()))) {
      limits.put(n.count(), Integer.toString(s.defaultGpuNum()));
      has = true;
    }
    boolean countPresent = c.lookup(n.count()) != null || limits.containsKey(n.count());
    boolean coresAbsent = c.lookup(n.cores()) == null;
    boolean wholeMemory = pct != null ? pct == 100 : (n.memory().isEmpty() || c.lookup(n.memory()) == null);
    if (countPresent && coresAbsent && wholeMemory) {
      limits.put(n.cores(), "100");
      has = true;
    }
    if (has && pod.runtimeClassName().isEmpty() && !s.runtimeClassName().isEmpty()) {
      runtime[0] = true;
    }
    if (!has && s.overwriteEnv()) {
      addEnv(c, env, ENV_VISIBLE_DEVICES, "none");
    }
    return new ContainerOutcome(null, has);
  }

  private static boolean has(Map<String, String> m, String key) {
    return key != null && !key.isEmpty() && m.containsKey(key);
  }

  /** Adds an env var unless the container already sets one of that name (the user's value wins). */
  private static void addEnv(Container c, Map<String, String> env, String name, String value) {
    if (!c.envNames().contains(name)) {
      env.put(name, value);
    }
  }

  /** A Kubernetes quantity that is a whole number ({@code 3}, {@code 3.0}, {@code 1k}); null otherwise. */
  static Long integer(String quantity) {
    return Quantities.exactLong(quantity);
  }

  /** Allocation annotation keys present on a pod being created; the webhook removes them. */
  public static List<String> forgedOnCreate(Map<String, String> annotations) {
    List<String> keys = new ArrayList<>();
    if (annotations != null) {
      for (String k : annotations.keySet()) {
        if (ALLOCATION_ANNOTATIONS.contains(k)) {
          keys.add(k);
        }
      }
    }
    Collections.sort(keys);
    return keys;
  }

  /** Allocation label keys present on a pod being created; the webhook removes them. */
  public static List<String> forgedLabelsOnCreate(Map<String, String> labels) {
    List<String> keys = new ArrayList<>();
    if (labels != null) {
      for (String k : labels.keySet()) {
        if (ALLOCATION_LABELS.contains(k)) {
          keys.add(k);
        }
      }
    }
    Collections.sort(keys);
    return keys;
  }

  /**
   * Why an UPDATE must be denied, or null when it may pass: it adds, changes or removes an allocation
   * annotation or label and {@code username} is not trusted (listed in {@code trustedUsers}, or in
   * the {@code system:masters} group).
   */
  public static String updateViolation(Map<String, String> oldAnnotations, Map<String, String> newAnnotations,
      Map<String, String> oldLabels, Map<String, String> newLabels, String username, List<String> groups,
      Set<String> trustedUsers) {
    if (trustedUsers.contains(username) || (groups != null && groups.contains("system:masters"))) {
      return null;
    }
    for (String key : ALLOCATION_ANNOTATIONS) {
      if (!Objects.equals(get(oldAnnotations, key), get(newAnnotations, key))) {
        return "annotation " + key + " may only be changed by the HAMi scheduler or device plugin, not by " + username;
      }
    }
    for (String key : ALLOCATION_LABELS) {
      if (!Objects.equals(get(oldLabels, key), get(newLabels, key))) {
        return "label " + key + " may only be changed by the HAMi scheduler, not by " + username;
      }
    }
    return null;
  }

  private static String get(Map<String, String> m, String key) {
    return m == null ? null : m.get(key);
  }
}
