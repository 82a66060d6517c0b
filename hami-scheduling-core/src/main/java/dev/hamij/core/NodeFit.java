package dev.hamij.core;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.ContainerDeviceRequest;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.Placement;
import dev.hamij.api.PodDevices;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fit of one pod onto one node (scheduler.md §5.5–5.10): containers in init-first order, each init
 * container against the node as it is, regular containers one after the other; GPUs scored (§5.7),
 * ordered by the GPU policy (§5.8) and walked from the best end (§5.9), with MIG profile and
 * placement choice (§6.2.3) and the namespace quota (§7). A pure function of an immutable
 * {@link NodeState}.
 */
final class NodeFit {
  private NodeFit() {}

  /** Per-GPU reasons of scheduler.md §5.9.1, in no particular order (genReason sorts the texts). */
  enum Reason {
    CardTypeMismatch, CardUuidMismatch, CardTimeSlicingExhausted, CardComputeUnitsExhausted,
    CardInsufficientMemory, CardInsufficientCore, CardNotHealth, CardCordoned, NumaNotFit,
    ExclusiveDeviceAllocateConflict, CardMigTopologyInfeasible, AllocatedCardsInsufficientRequest,
    ResourceQuotaNotFit
  }

  static final String NODE_INSUFFICIENT_DEVICE = "NodeInsufficientDevice";

  /**
   * The pod's namespace quota as seen by this decision (the pod's own previous usage excluded).
   * Memory limit already multiplied by {@code memoryFactor}.
   */
  record QuotaView(boolean memSet, long memUsed, long memLimit, boolean coreSet, long coreUsed, long coreLimit) {
    static final QuotaView NONE = new QuotaView(false, 0, 0, false, 0, 0);

    boolean active() {
      return memSet || coreSet;
    }

    boolean fits(long mem, long cores) {
      return !(memSet && memUsed + mem > memLimit) && !(coreSet && coreUsed + cores > coreLimit);
    }
  }

  /** Outcome of one node. */
  static final class Result {
    final boolean fits;
    final float score;
    final String reason;
    final PodDevices devices;
    final List<MigAllocation> mig;

    private Result(boolean fits, float score, String reason, PodDevices devices, List<MigAllocation> mig) {
      this.fits = fits;
      this.score = score;
      this.reason = reason;
      this.devices = devices;
      this.mig = mig;
    }

    static Result fail(String reason) {
      return new Result(false, 0, reason, null, List.of());
    }
  }

  /** One booked slice of this pod during the evaluation. */
  private record Placed(int container, int device, int mem, int cores, String profile, Placement placement) {}

  /** Mutable evaluation state of one node. */
  private static final class Work {
    final NodeState s;
    final PodRequest pod;
    final QuotaView quota;
    final boolean strict;
    final List<Decision.GpuNote> notes;
    final int n;
    final List<Placed> allocated = new ArrayList<>();
    /** MIG slices and per-profile counts taken by this pod's earlier containers. */
    final long[] podMask;
    final int[][] podCounts;
    int[] used;
    int[] usedMem;
    int[] usedCores;

    Work(NodeState s, PodRequest pod, QuotaView quota, boolean strict, List<Decision.GpuNote> notes) {
      this.s = s;
      this.pod = pod;
      this.quota = quota;
      this.strict = strict;
      this.notes = notes;
      this.n = s.size();
      this.podMask = new long[n];
      this.podCounts = new int[n][];
    }

    void fresh() {
      used = s.used.clone();
      usedMem = s.usedMem.clone();
      usedCores = s.usedCores.clone();
    }

    long occupied(int d) {
      return s.migMask[d] | podMask[d];
    }

    int[] counts(int d) {
      int[] base = s.migCounts[d].clone();
      if (podCounts[d] != null) {
        for (int i = 0; i < base.length; i++) {
          base[i] += podCounts[d][i];
        }
      }
      return base;
    }

    void note(int c, int d, String verdict, String detail) {
      if (notes != null) {
        notes.add(new Decision.GpuNote(c, s.reg.devices[d].id(), verdict, detail));
      }
    }
  }

  /**
   * The devices selected for one container: requested memory and cores per device, and what each
   * will book (the MIG profile's memory and cores on a MIG GPU, the request elsewhere).
   */
  private static final class Selection {
    int[] dev = new int[8];
    int[] mem = new int[8];
    int[] cores = new int[8];
    int[] bookedMem = new int[8];
    int[] bookedCores = new int[8];
    int size;

    void add(int d, int m, int c, int bm, int bc) {
      if (size == dev.length) {
        dev = Arrays.copyOf(dev, size * 2);
        mem = Arrays.copyOf(mem, size * 2);
        cores = Arrays.copyOf(cores, size * 2);
        bookedMem = Arrays.copyOf(bookedMem, size * 2);
        bookedCores = Arrays.copyOf(bookedCores, size * 2);
      }
      dev[size] = d;
      mem[size] = m;
      cores[size] = c;
      bookedMem[size] = bm;
      bookedCores[size] = bc;
      size++;
    }

    Selection subset(int[] positions) {
      Selection out = new Selection();
      for (int p : positions) {
        out.add(dev[p], mem[p], cores[p], bookedMem[p], bookedCores[p]);
      }
      return out;
    }
  }

  /**
   * Fits the pod on the node. {@code notes}, when not null, receives one note per GPU verdict.
   */
  static Result evaluate(NodeState s, PodRequest pod, QuotaView quota, boolean strict,
      List<Decision.GpuNote> notes) {
    Work w = new Work(s, pod, quota, strict, notes);
    boolean appStarted = false;
    for (int c = 0; c < pod.containers.length; c++) {
      ContainerDeviceRequest r = pod.containers[c];
      if (r == null) {
        continue;
      }
      if (c < pod.numInit) {
        w.fresh();
      } else if (!appStarted) {
        w.fresh();
        appStarted = true;
      }
      Object chosen = fitContainer(w, c, r);
      if (chosen instanceof String reason) {
        return Result.fail(reason);
      }
      String failure = book(w, c, (Selection) chosen);
      if (failure != null) {
        return Result.fail(failure);
      }
    }
    return success(w);
  }

  private static Result success(Work w) {
    int containers = w.pod.containers.length;
    List<List<ContainerDevice>> perContainer = new ArrayList<>(containers);
    List<MigAllocation> mig = new ArrayList<>();
    for (int c = 0; c < containers; c++) {
      List<ContainerDevice> list = new ArrayList<>();
      for (Placed p : w.allocated) {
        if (p.container() == c) {
          String uuid = w.s.reg.devices[p.device()].id();
          if (p.profile() != null) {
            mig.add(MigAllocation.reserve(c, list.size(), uuid, p.profile(), p.placement()));
          }
          list.add(ContainerDevice.nvidia(uuid, p.mem(), p.cores()));
        }
      }
      perContainer.add(list);
    }
    return new Result(true, w.s.score, "", new PodDevices(perContainer), List.copyOf(mig));
  }

  /** scheduler.md §5.9.3 for every selected device; null on success, else the node's failure reason. */
  private static String book(Work w, int c, Selection sel) {
    for (int k = 0; k < sel.size; k++) {
      int d = sel.dev[k];
      int mem = sel.mem[k];
      int cores = sel.cores[k];
      String profile = null;
      Placement placement = null;
      if (w.s.reg.mig[d]) {
        MigShape shape = w.s.reg.shapes[d];
        int pick = shape.choose(w.occupied(d), w.counts(d), mem);
        if (pick < 0) {
          return "AddResourceUsage failed for device " + w.s.reg.devices[d].id()
              + ": MIG profile and placement allocation failed";
        }
        MigShape.Profile p = shape.profiles[pick >>> 16];
        placement = p.placements()[pick & 0xffff];
        profile = p.name();
        mem = p.memoryMB();
        cores = p.core();
        w.podMask[d] |= p.masks()[pick & 0xffff];
        if (w.podCounts[d] == null) {
          w.podCounts[d] = new int[shape.profiles.length];
        }
        w.podCounts[d][pick >>> 16]++;
      }
      w.used[d] += 1;
      w.usedMem[d] += mem;
      w.usedCores[d] += cores;
      w.allocated.add(new Placed(c, d, mem, cores, profile, placement));
      if (w.notes != null) {
        w.note(c, d, "chosen", mem + " MiB, " + cores + "% cores"
            + (profile != null ? ", MIG " + profile + " at {" + placement.start() + "," + placement.size() + "}" : ""));
      }
    }
    return null;
  }

  /** scheduler.md §5.6 for one container: a {@link Selection} on success, else the reason text. */
  private static Object fitContainer(Work w, int c, ContainerDeviceRequest r) {
    NodeRegistration reg = w.s.reg;
    int n = w.n;
    float[] scores = new float[n];
    for (int i = 0; i < n; i++) {
      scores[i] = deviceScore(w, i, r);
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = 1; i < n; i++) {
      for (int j = i; j > 0 && less(w, scores, order[j], order[j - 1]); j--) {
        int t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
    }
    int m = 0;
    boolean migCandidate = false;
    int[] cand = new int[n];
    for (int i = 0; i < n; i++) {
      int d = order[i];
      if (reg.nvidia[d]) {
        cand[m++] = d;
        migCandidate |= reg.mig[d];
      }
    }
    if (r.nums() > m && !(migCandidate && w.pod.modeAllowed(GpuDevice.MODE_MIG))) {
      return NODE_INSUFFICIENT_DEVICE;
    }
    return nvidiaFit(w, c, r, cand, m);
  }

  /** scheduler.md §5.7. */
  private static float deviceScore(Work w, int d, ContainerDeviceRequest r) {
    GpuDevice dev = w.s.reg.devices[d];
    if (dev.count() == 0 || dev.devcore() == 0 || dev.devmem() == 0) {
      return 0;
    }
    boolean match = w.strict ? w.s.reg.exactVendorType[d] : w.s.reg.nvidia[d];
    long n = 0;
    long core = 0;
    long mem = 0;
    if (match) {
      n = 1;
      core = r.coresreq();
      mem = r.memoryOn(dev.devmem());
    }
    float slot = (float) (n + w.used[d]) / (float) dev.count();
    float cs = (float) (core + w.usedCores[d]) / (float) dev.devcore();
    float ms = (float) (mem + w.usedMem[d]) / (float) dev.devmem();
    return 10 * (w.pod.weightSlot * slot + w.pod.weightCore * cs + w.pod.weightMemory * ms);
  }

  /** The "Less" of scheduler.md §5.8. */
  private static boolean less(Work w, float[] scores, int a, int b) {
    GpuDevice da = w.s.reg.devices[a];
    GpuDevice db = w.s.reg.devices[b];
    float sa = scores[a];
    float sb = scores[b];
    switch (w.pod.order) {
      case PodRequest.ORDER_MUTEX:
        return w.used[a] != w.used[b] ? w.used[a] > w.used[b] : da.numa() < db.numa();
      case PodRequest.ORDER_NUMA_BINPACK:
        return da.numa() != db.numa() ? da.numa() > db.numa() : sa < sb;
      case PodRequest.ORDER_NUMA_SPREAD:
        return da.numa() != db.numa() ? da.numa() < db.numa() : sa > sb;
      case PodRequest.ORDER_BINPACK:
        return sa != sb ? sa < sb : da.numa() < db.numa();
      case PodRequest.ORDER_SPREAD:
        return sa != sb ? sa > sb : da.numa() < db.numa();
      default:
        for (int key : w.pod.chain) {
          if (key == PodRequest.KEY_NUMA) {
            if (da.numa() != db.numa()) {
              return da.numa() < db.numa();
            }
          } else if (sa != sb) {
            return key == PodRequest.KEY_BINPACK ? sa < sb : sa > sb;
          }
        }
        return da.index() < db.index();
    }
  }

  /** scheduler.md §5.9: walks the sorted candidates from the best end. */
  private static Object nvidiaFit(Work w, int c, ContainerDeviceRequest r, int[] cand, int m) {
    NodeRegistration reg = w.s.reg;
    PodRequest pod = w.pod;
    int orig = r.nums();
    int nums = orig;
    int cores = r.coresreq();
    int prevNuma = -1;
    boolean topo = pod.topologyAware;
    boolean filters = pod.hasDeviceFilters();
    Selection tmp = new Selection();
    int[] reasons = new int[Reason.values().length];
    int i = m - 1;
    while (i >= 0) {
      int d = cand[i];
      GpuDevice dev = reg.devices[d];
      if (!w.s.healthy[d]) {
        reject(w, reasons, Reason.CardNotHealth, c, d, w.s.votes[d] > 0
            ? "fails closed: a pod's MIG reservations do not match this GPU's mode" : "reported unhealthy");
        i--;
        continue;
      }
      if (reg.cordoned[d]) {
        reject(w, reasons, Reason.CardCordoned, c, d, "listed in hami.io/device-cordon");
        i--;
        continue;
      }
      if (filters && !(pod.typeAllowed(reg.typeUpper[d]) && pod.modeAllowed(dev.mode()))) {
        reject(w, reasons, Reason.CardTypeMismatch, c, d, "type \"" + dev.type() + "\" in mode \"" + dev.mode()
            + "\" excluded by the pod's GPU type or vgpu-mode annotations");
        i--;
        continue;
      }
      if (pod.numaBind && dev.numa() != prevNuma) {
        if (nums != orig) {
          reasons[Reason.NumaNotFit.ordinal()] += tmp.size;
          if (w.notes != null) {
            for (int k = 0; k < tmp.size; k++) {
              w.note(c, tmp.dev[k], Reason.NumaNotFit.name(), "dropped: the container's GPUs must share one NUMA node");
            }
          }
        }
        nums = orig;
        prevNuma = dev.numa();
        tmp = new Selection();
      }
      if (filters && !pod.uuidAllowed(dev.id())) {
        reject(w, reasons, Reason.CardUuidMismatch, c, d, "excluded by the pod's GPU UUID annotations");
        i--;
        continue;
      }
      if (dev.count() <= w.used[d]) {
        reject(w, reasons, Reason.CardTimeSlicingExhausted, c, d, "all " + dev.count() + " slots used");
        i--;
        continue;
      }
      if (pod.mutex && w.used[d] > 0) {
        reject(w, reasons, Reason.ExclusiveDeviceAllocateConflict, c, d,
            "policy mutex needs an idle GPU; " + w.used[d] + " slots used");
        i--;
        continue;
      }
      if (cores > 100) {
        cores = 100;
      }
      int mem = r.memreq() > 0 ? r.memreq() : 0;
      if (r.mempercentage() != ContainerDeviceRequest.MEMPERCENTAGE_UNSET && r.memreq() == 0) {
        mem = dev.devmem() * r.mempercentage() / 100;
      }
      boolean migGpu = reg.mig[d];
      int bookedMem = mem;
      int bookedCores = cores;
      MigShape.Profile migProfile = migGpu ? migPick(w, d, tmp, mem) : null;
      if (migProfile != null) {
        bookedMem = migProfile.memoryMB();
        bookedCores = migProfile.core();
      }
      if (w.quota.active() && !quotaFits(w, c, tmp, d, bookedMem, bookedCores)) {
        reject(w, reasons, Reason.ResourceQuotaNotFit, c, d, "namespace " + pod.pod.namespace()
            + " quota would be exceeded (" + quotaText(w.quota) + ")");
        i--;
        continue;
      }
      if ((!migGpu || w.strict) && dev.devmem() - w.usedMem[d] < mem) {
        reject(w, reasons, Reason.CardInsufficientMemory, c, d,
            "needs " + mem + " MiB, " + (dev.devmem() - w.usedMem[d]) + " MiB free");
        i--;
        continue;
      }
      boolean countCores = !migGpu || w.strict;
      if (countCores && dev.devcore() - w.usedCores[d] < cores) {
        reject(w, reasons, Reason.CardInsufficientCore, c, d,
            "needs " + cores + "% cores, " + (dev.devcore() - w.usedCores[d]) + "% free");
        i--;
        continue;
      }
      if (countCores && dev.devcore() == 100 && cores == 100 && w.used[d] > 0) {
        reject(w, reasons, Reason.ExclusiveDeviceAllocateConflict, c, d,
            "exclusive use (100% cores) needs an idle GPU; " + w.used[d] + " slots used");
        i--;
        continue;
      }
      if (countCores && dev.devcore() != 0 && w.usedCores[d] == dev.devcore() && cores == 0) {
        reject(w, reasons, Reason.CardComputeUnitsExhausted, c, d, "all cores are booked");
        i--;
        continue;
      }
      if (migGpu && migProfile == null) {
        reject(w, reasons, Reason.CardMigTopologyInfeasible, c, d, migDetail(w, d, mem));
        i--;
        continue;
      }
      if (nums > 0) {
        if (!topo) {
          nums--;
        }
        tmp.add(d, mem, cores, bookedMem, bookedCores);
      }
      if (nums == 0 && !topo) {
        return tmp;
      }
      if (migGpu) {
        continue;
      }
      i--;
    }
    if (topo) {
      if (tmp.size == orig) {
        return tmp;
      }
      if (tmp.size > orig) {
        return orig == 1 ? worstSingle(w, tmp) : bestCombination(w, tmp, orig);
      }
    }
    if (tmp.size > 0) {
      reasons[Reason.AllocatedCardsInsufficientRequest.ordinal()] = tmp.size;
    }
    return genReason(reasons, m);
  }

  private static void reject(Work w, int[] reasons, Reason reason, int c, int d, String detail) {
    reasons[reason.ordinal()]++;
    if (w.notes != null) {
      w.note(c, d, reason.name(), detail);
    }
  }

  /** HAMi's genReason: {@code "<count>/<n> <Reason>"} texts sorted lexicographically, joined by ", ". */
  static String genReason(int[] reasons, int n) {
    List<String> parts = new ArrayList<>();
    Reason[] all = Reason.values();
    for (int k = 0; k < reasons.length; k++) {
      if (reasons[k] > 0) {
        parts.add(reasons[k] + "/" + n + " " + all[k].name());
      }
    }
    parts.sort(null);
    return String.join(", ", parts);
  }

  /**
   * scheduler.md §6.2.3 {@code migPlaceable}: replays this container's earlier picks on the GPU,
   * then returns the profile the candidate would get, or null when none can be placed.
   */
  private static MigShape.Profile migPick(Work w, int d, Selection tmp, int mem) {
    MigShape shape = w.s.reg.shapes[d];
    long occ = w.occupied(d);
    int[] counts = w.counts(d);
    for (int k = 0; k < tmp.size; k++) {
      if (tmp.dev[k] != d) {
        continue;
      }
      int pick = shape.choose(occ, counts, tmp.mem[k]);
      if (pick < 0) {
        return null;
      }
      occ |= shape.profiles[pick >>> 16].masks()[pick & 0xffff];
      counts[pick >>> 16]++;
    }
    int pick = shape.choose(occ, counts, mem);
    return pick < 0 ? null : shape.profiles[pick >>> 16];
  }

  private static String migDetail(Work w, int d, int mem) {
    StringBuilder sb = new StringBuilder("no free MIG placement for a profile with at least ").append(mem)
        .append(" MiB; in use:");
    boolean any = false;
    for (ClusterUsage.MigInstance inst : w.s.instances.get(d)) {
      Placement p = inst.allocation().placement();
      sb.append(any ? ", " : " ").append(inst.allocation().profile()).append(" at {").append(p.start()).append(',')
          .append(p.size()).append('}');
      any = true;
    }
    for (Placed p : w.allocated) {
      if (p.device() == d && p.profile() != null) {
        sb.append(any ? ", " : " ").append(p.profile()).append(" at {").append(p.placement().start()).append(',')
            .append(p.placement().size()).append("} (this pod)");
        any = true;
      }
    }
    if (!any) {
      sb.append(w.s.reg.shapes[d].profiles.length == 0 ? " nothing (no MIG profiles known for this GPU)" : " nothing");
    }
    return sb.toString();
  }

  /**
   * scheduler.md §5.9.2: the pod's allocation so far plus this container's selection and the
   * candidate, collapsed per GPU (init containers at their peak), must fit the namespace quota.
   */
  private static boolean quotaFits(Work w, int c, Selection tmp, int cand, int mem, int cores) {
    int n = w.n;
    long[] initMem = new long[n];
    long[] initCores = new long[n];
    long[] appMem = new long[n];
    long[] appCores = new long[n];
    for (Placed p : w.allocated) {
      add(p.container() < w.pod.numInit, p.device(), p.mem(), p.cores(), initMem, initCores, appMem, appCores);
    }
    boolean init = c < w.pod.numInit;
    for (int k = 0; k < tmp.size; k++) {
      add(init, tmp.dev[k], tmp.bookedMem[k], tmp.bookedCores[k], initMem, initCores, appMem, appCores);
    }
    add(init, cand, mem, cores, initMem, initCores, appMem, appCores);
    long totalMem = 0;
    long totalCores = 0;
    for (int d = 0; d < n; d++) {
      totalMem += Math.max(initMem[d], appMem[d]);
      totalCores += Math.max(initCores[d], appCores[d]);
    }
    return w.quota.fits(totalMem, totalCores);
  }

  private static void add(boolean init, int d, int mem, int cores, long[] initMem, long[] initCores, long[] appMem,
      long[] appCores) {
    if (init) {
      initMem[d] = Math.max(initMem[d], mem);
      initCores[d] = Math.max(initCores[d], cores);
    } else {
      appMem[d] += mem;
      appCores[d] += cores;
    }
  }

  private static String quotaText(QuotaView q) {
    StringBuilder sb = new StringBuilder();
    if (q.memSet()) {
      sb.append("memory ").append(q.memUsed()).append(" of ").append(q.memLimit()).append(" MiB used");
    }
    if (q.coreSet()) {
      sb.append(sb.length() > 0 ? ", " : "").append("cores ").append(q.coreUsed()).append(" of ")
          .append(q.coreLimit()).append("% used");
    }
    return sb.toString();
  }

  /** scheduler.md §5.10, one GPU wanted: the collected GPU with the lowest pair-score sum (first wins ties). */
  private static Selection worstSingle(Work w, Selection tmp) {
    int best = 0;
    long bestSum = Long.MAX_VALUE;
    for (int x = 0; x < tmp.size; x++) {
      long sum = 0;
      String ux = w.s.reg.devices[tmp.dev[x]].id();
      for (int y = 0; y < tmp.size; y++) {
        if (y != x) {
          sum += w.s.reg.pairScore(ux, w.s.reg.devices[tmp.dev[y]].id());
        }
      }
      if (sum < bestSum) {
        bestSum = sum;
        best = x;
      }
    }
    return tmp.subset(new int[] {best});
  }

  /** scheduler.md §5.10, several GPUs wanted: the {@code k}-subset with the highest pair-score sum (first wins ties). */
  private static Selection bestCombination(Work w, Selection tmp, int k) {
    int[] combo = new int[k];
    for (int i = 0; i < k; i++) {
      combo[i] = i;
    }
    int[] best = combo.clone();
    long bestScore = Long.MIN_VALUE;
    while (true) {
      long score = 0;
      for (int a = 0; a < k; a++) {
        String ua = w.s.reg.devices[tmp.dev[combo[a]]].id();
        for (int b = a + 1; b < k; b++) {
          score += w.s.reg.pairScore(ua, w.s.reg.devices[tmp.dev[combo[b]]].id());
        }
      }
      if (score > bestScore) {
        bestScore = score;
        best = combo.clone();
      }
      int i = k - 1;
      while (i >= 0 && combo[i] == tmp.size - k + i) {
        i--;
      }
      if (i < 0) {
        break;
      }
      combo[i]++;
      for (int j = i + 1; j < k; j++) {
        combo[j] = combo[j - 1] + 1;
      }
    }
    return tmp.subset(best);
  }
}
