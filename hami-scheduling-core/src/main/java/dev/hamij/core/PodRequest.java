package dev.hamij.core;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDeviceRequest;
import dev.hamij.api.GoBool;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.ScoringWeights;
import dev.hamij.api.ResourceNames;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Everything the fit needs to know about one pod, derived once per decision from its spec and
 * annotations (scheduler.md §1.2–1.5, §5.3, §5.7 weights, §5.8 policies). Immutable.
 */
final class PodRequest {

  /** A pod whose request or annotations cannot be honoured; the message names container/annotation and field. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  // GPU orderings of scheduler.md §5.8
  static final int ORDER_CHAIN = 0;
  static final int ORDER_MUTEX = 1;
  static final int ORDER_NUMA_BINPACK = 2;
  static final int ORDER_NUMA_SPREAD = 3;
  static final int ORDER_BINPACK = 4;
  static final int ORDER_SPREAD = 5;
  static final int KEY_BINPACK = 0;
  static final int KEY_SPREAD = 1;
  static final int KEY_NUMA = 2;

  final PodSpec pod;
  /** Per container in init-first order; null when the container asks for no NVIDIA GPU. */
  final ContainerDeviceRequest[] containers;
  final int numInit;
  final boolean any;
  final List<String> useTypes;
  final List<String> nouseTypes;
  final Set<String> useUuids;
  final Set<String> nouseUuids;
  final String vgpuMode;
  final boolean numaBind;
  final boolean nodeSpread;
  final int order;
  final int[] chain;
  final boolean mutex;
  final boolean topologyAware;
  final float weightSlot;
  final float weightCore;
  final float weightMemory;

  private PodRequest(PodSpec pod, ContainerDeviceRequest[] containers, SchedulerConfig config) {
    this.pod = pod;
    this.containers = containers;
    this.numInit = pod.initContainers().size();
    boolean a = false;
    for (ContainerDeviceRequest r : containers) {
      a |= r != null;
    }
    this.any = a;
    Map<String, String> ann = pod.annotations();
    this.useTypes = upperList(ann.get(Annotations.USE_GPU_TYPE));
    this.nouseTypes = upperList(ann.get(Annotations.NOUSE_GPU_TYPE));
    this.useUuids = set(ann.get(Annotations.USE_GPU_UUID));
    this.nouseUuids = set(ann.get(Annotations.NOUSE_GPU_UUID));
    this.vgpuMode = ann.get(Annotations.VGPU_MODE);
    this.numaBind = GoBool.parse(ann.get(Annotations.NUMA_BIND)).orElse(false);
    String nodePolicy = ann.getOrDefault(Annotations.NODE_SCHEDULER_POLICY, config.nodePolicy());
    this.nodeSpread = SchedulerConfig.SPREAD.equals(nodePolicy.trim());
    String gpuPolicy = ann.getOrDefault(Annotations.GPU_SCHEDULER_POLICY, config.gpuPolicy());
    this.mutex = gpuPolicy.contains("mutex");
    this.topologyAware = gpuPolicy.contains("topology-aware");
    if (gpuPolicy.contains(",") || gpuPolicy.equals("numa")) {
      this.order = ORDER_CHAIN;
      this.chain = chain(gpuPolicy, numaBind);
    } else {
      this.chain = null;
      if (gpuPolicy.equals("mutex")) {
        this.order = ORDER_MUTEX;
      } else if (numaBind) {
        this.order = gpuPolicy.equals("binpack") ? ORDER_NUMA_BINPACK : ORDER_NUMA_SPREAD;
      } else {
        this.order = gpuPolicy.equals("binpack") ? ORDER_BINPACK : ORDER_SPREAD;
      }
    }
    ScoringWeights weights = ScoringWeights.parse(ann.get(Annotations.DEVICE_SCORING_WEIGHTS), pod.ref());
    weightSlot = weights.slot();
    weightCore = weights.core();
    weightMemory = weights.memory();
  }

  /** Derives the pod's requests; throws {@link Invalid} naming the container and resource of a malformed quantity. */
  static PodRequest of(PodSpec pod, SchedulerConfig config) throws Invalid {
    List<PodSpec.ContainerSpec> all = new ArrayList<>(pod.initContainers());
    all.addAll(pod.containers());
    ContainerDeviceRequest[] reqs = new ContainerDeviceRequest[all.size()];
    for (int i = 0; i < reqs.length; i++) {
      reqs[i] = container(pod, all.get(i), config);
    }
    try {
      return new PodRequest(pod, reqs, config);
    } catch (HamiFormatException e) {
      throw new Invalid("pod " + e.getMessage());
    }
  }

  /** scheduler.md §1.2, rejecting what HEAD silently turns into "no request". */
  static ContainerDeviceRequest container(PodSpec pod, PodSpec.ContainerSpec c, SchedulerConfig config) throws Invalid {
    ResourceNames names = config.resourceNames();
    String cnt = c.lookup(names.count());
    if (cnt == null) {
      return null;
    }
    long nums = integer(pod, c, names.count(), cnt, "a whole number of GPUs", Integer.MAX_VALUE);
    if (nums <= 0) {
      return null;
    }
    int factor = Math.max(config.memoryFactor(), 1);
    int memnum = 0;
    String m = c.lookup(names.memory());
    if (m != null) {
      long v = integer(pod, c, names.memory(), m, memoryHint(m, factor), Integer.MAX_VALUE / factor);
      memnum = (int) v * factor;
    }
    int mempct = ContainerDeviceRequest.MEMPERCENTAGE_UNSET;
    String p = c.lookup(names.memoryPercentage());
    if (p != null) {
      Long v = Quantities.exactLong(p);
      if (v == null) {
        throw new Invalid(where(pod, c) + names.memoryPercentage() + " \"" + p
            + "\" is not a whole percentage (1..100)");
      }
      long pct = Math.min(v, 100);
      mempct = pct > 0 ? (int) pct : ContainerDeviceRequest.MEMPERCENTAGE_UNSET;
    }
    if (mempct == ContainerDeviceRequest.MEMPERCENTAGE_UNSET && memnum == 0) {
      if (config.defaultMemory() != 0) {
        memnum = config.defaultMemory();
      } else {
        mempct = 100;
      }
    }
    int cores = config.defaultCores();
    String cs = c.lookup(names.cores());
    if (cs != null) {
      cores = (int) integer(pod, c, names.cores(), cs, "a whole percentage of one GPU's compute", Integer.MAX_VALUE);
    }
    return new ContainerDeviceRequest((int) nums, Annotations.VENDOR_NVIDIA, memnum, mempct, cores);
  }

  private static long integer(PodSpec pod, PodSpec.ContainerSpec c, String resource, String raw, String expected,
      long max) throws Invalid {
    Long v = Quantities.exactLong(raw);
    if (v == null || v < 0 || v > max) {
      throw new Invalid(where(pod, c) + resource + " \"" + raw + "\" is not " + expected
          + (v != null && v > max ? " (at most " + max + ")" : ""));
    }
    return v;
  }

  private static String memoryHint(String raw, int factor) {
    String unit = factor == 1 ? "MiB" : "units of " + factor + " MiB (memoryFactor)";
    String hint = "a whole number of " + unit;
    java.math.BigDecimal bytes = Quantities.parse(raw);
    if (bytes != null && raw.trim().matches(".*[KMGTPE]i?$") && bytes.signum() > 0) {
      java.math.BigDecimal mib = bytes.divide(java.math.BigDecimal.valueOf((1L << 20) * (long) factor),
          0, java.math.RoundingMode.CEILING);
      hint += "; for " + raw.trim() + " write " + mib.toPlainString();
    }
    return hint;
  }

  private static String where(PodSpec pod, PodSpec.ContainerSpec c) {
    return "pod " + pod.ref() + " container \"" + c.name() + "\": ";
  }

  private static List<String> upperList(String v) {
    if (v == null || v.isBlank()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : v.split(",")) {
      String t = s.trim();
      if (!t.isEmpty()) {
        out.add(t.toUpperCase(Locale.ROOT));
      }
    }
    return List.copyOf(out);
  }

  private static Set<String> set(String v) {
    if (v == null || v.isBlank()) {
      return Set.of();
    }
    Set<String> out = new HashSet<>();
    for (String s : v.split(",")) {
      String t = s.trim();
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return Set.copyOf(out);
  }

  private static int[] chain(String policy, boolean numaBind) {
    List<Integer> keys = new ArrayList<>();
    for (String raw : policy.split(",")) {
      int k = switch (raw.trim()) {
        case "binpack" -> KEY_BINPACK;
        case "spread" -> KEY_SPREAD;
        case "numa" -> KEY_NUMA;
        default -> -1;
      };
      if (k >= 0 && !keys.contains(k)) {
        keys.add(k);
      }
    }
    if (keys.isEmpty()) {
      keys.add(KEY_SPREAD);
    }
    if (numaBind && keys.get(0) != KEY_NUMA) {
      keys.remove(Integer.valueOf(KEY_NUMA));
      keys.add(0, KEY_NUMA);
    }
    return keys.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Whether a GPU of registered type {@code typeUpper} passes {@code use-gputype}/{@code nouse-gputype}. */
  boolean typeAllowed(String typeUpper) {
    if (!useTypes.isEmpty()) {
      boolean ok = false;
      for (String t : useTypes) {
        if (typeUpper.contains(t)) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        return false;
      }
    }
    for (String t : nouseTypes) {
      if (typeUpper.contains(t)) {
        return false;
      }
    }
    return true;
  }

  /** Whether a GPU in {@code mode} passes {@code nvidia.com/vgpu-mode} (substring rule). */
  boolean modeAllowed(String mode) {
    return vgpuMode == null || vgpuMode.contains(mode);
  }

  /** Whether a GPU with this UUID passes {@code use-gpuuuid}/{@code nouse-gpuuuid}. */
  boolean uuidAllowed(String uuid) {
    if (!useUuids.isEmpty() && !useUuids.contains(uuid)) {
      return false;
    }
    return !nouseUuids.contains(uuid);
  }

  /** True when the pod names GPU types, UUIDs or a mode, so per-GPU string checks are needed. */
  boolean hasDeviceFilters() {
    return !useTypes.isEmpty() || !nouseTypes.isEmpty() || !useUuids.isEmpty() || !nouseUuids.isEmpty()
        || vgpuMode != null;
  }

  /**
   * The pod's quota totals at admission (scheduler.md §7): max(Σ app {@code memreq×nums}, max init
   * {@code memreq×nums}); percentage-only memory counts 0. Index 0 = memory, 1 = cores.
   */
  long[] admissionTotals() {
    long appMem = 0;
    long appCores = 0;
    long initMem = 0;
    long initCores = 0;
    for (int i = 0; i < containers.length; i++) {
      ContainerDeviceRequest r = containers[i];
      if (r == null) {
        continue;
      }
      long mem = (long) r.memreq() * r.nums();
      long cores = (long) r.coresreq() * r.nums();
      if (i < numInit) {
        initMem = Math.max(initMem, mem);
        initCores = Math.max(initCores, cores);
      } else {
        appMem += mem;
        appCores += cores;
      }
    }
    return new long[] {Math.max(appMem, initMem), Math.max(appCores, initCores)};
  }
}
