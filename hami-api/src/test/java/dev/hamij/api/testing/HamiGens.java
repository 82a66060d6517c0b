package dev.hamij.api.testing;

import static dev.hamij.api.testing.Gen.weight;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.ContainerDeviceRequest;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigProfile;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeLock;
import dev.hamij.api.PodDevices;
import dev.hamij.api.ScoringWeights;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generators for HAMi domain values: GPUs (hami-core and MIG with real profiles and placements from
 * {@link MigProfileTable}), nodes, container requests, pod devices, MIG reservations, node locks,
 * scoring weights and pair scores. Text fields use characters every encoding can carry unless a
 * method says otherwise ({@link #anyText()}).
 */
public final class HamiGens {
  private HamiGens() {}

  private static final MigProfileTable TABLE = MigProfileTable.bundled();
  private static final List<String> HAMI_CORE_TYPES = List.of("NVIDIA-Tesla P4", "NVIDIA-Tesla V100-PCIE-32GB",
      "NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3", "NVIDIA GeForce RTX 4090", "NVIDIA-Tesla T4");

  /** A GPU UUID such as {@code GPU-3fa2c1d0-…}. */
  public static Gen<String> gpuUuid() {
    return (r, size) -> "GPU-" + hex(r, 8) + "-" + hex(r, 4) + "-" + hex(r, 4) + "-" + hex(r, 4) + "-" + hex(r, 12);
  }

  /** A UUID from a pool of {@code poolSize} short ones ({@code GPU-0} …), so values collide often. */
  public static Gen<String> pooledUuid(int poolSize) {
    return Gen.choose(0, poolSize - 1).map(i -> "GPU-" + i);
  }

  private static String hex(SplittableRandom r, int digits) {
    StringBuilder out = new StringBuilder(digits);
    for (int i = 0; i < digits; i++) {
      out.append(Character.forDigit(r.nextInt(16), 16));
    }
    return out.toString();
  }

  /**
   * Text that stresses JSON escaping: quotes, backslashes, HTML characters, control characters,
   * U+2028, non-ASCII and surrogate pairs (no unpaired surrogates, which cannot round-trip).
   */
  public static Gen<String> anyText() {
    return Gen.stringOf("aZ09 -_.\"\\<>&\n\t\u0001\u007f\u00e9\u2028\u4e2d\ud83d\ude00", 0, 12)
        .map(HamiGens::dropUnpairedSurrogates);
  }

  private static String dropUnpairedSurrogates(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
      } else if (!Character.isSurrogate(c)) {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** A shareable hami-core (or mps) GPU with a real model name; index and NUMA are small. */
  public static Gen<GpuDevice> hamiCoreDevice() {
    return (r, size) -> new GpuDevice(gpuUuid().generate(r, size), r.nextInt(8), 1 + r.nextInt(Math.max(1, size) + 10),
        1024 * (1 + r.nextInt(96)), 100 * (1 + r.nextInt(3)), HAMI_CORE_TYPES.get(r.nextInt(HAMI_CORE_TYPES.size())),
        r.nextInt(2), r.nextInt(5) == 0 ? GpuDevice.MODE_MPS : GpuDevice.MODE_HAMI_CORE, r.nextInt(4) != 0, List.of());
  }

  /**
   * A GPU in MIG mode advertising a non-empty subset of its model's real profiles (as the node
   * computes them: memory, core, slices, placements); {@code count} is the largest instance count.
   */
  public static Gen<GpuDevice> migDevice() {
    return (r, size) -> {
      MigProfileTable.Model model = TABLE.models().get(r.nextInt(TABLE.models().size()));
      List<MigProfile> profiles = new ArrayList<>();
      int count = 0;
      for (MigProfileTable.Profile p : model.profiles()) {
        if (r.nextInt(3) != 0) {
          profiles.add(model.advertised(p));
          count = Math.max(count, p.maxCount());
        }
      }
      if (profiles.isEmpty()) {
        MigProfileTable.Profile first = model.profiles().get(0);
        profiles.add(model.advertised(first));
        count = first.maxCount();
      }
      int memory = model.profiles().stream().mapToInt(MigProfileTable.Profile::memoryMiB).max().orElse(0);
      String name = model.nvmlNames().get(r.nextInt(model.nvmlNames().size()));
      return new GpuDevice(gpuUuid().generate(r, size), r.nextInt(8), count, memory, 100, name, r.nextInt(2),
          GpuDevice.MODE_MIG, r.nextInt(4) != 0, profiles);
    };
  }

  /** A hami-core/mps GPU three times out of four, else a MIG GPU. */
  public static Gen<GpuDevice> gpuDevice() {
    return Gen.frequency(weight(3, hamiCoreDevice()), weight(1, migDevice()));
  }

  /**
   * A GPU whose numbers span the whole int32 range (negative numa and counts included) and whose
   * text fields use {@link #anyText()}; only the JSON encoding carries all of these.
   */
  public static Gen<GpuDevice> extremeDevice() {
    Gen<Integer> int32 = Gen.frequency(weight(3, Gen.choose(-5, 5)),
        weight(1, Gen.elements(Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0)), weight(1, Gen.choose(Integer.MIN_VALUE, Integer.MAX_VALUE)));
    return (r, size) -> new GpuDevice("GPU-" + anyText().generate(r, size), r.nextInt(Integer.MAX_VALUE),
        int32.generate(r, size), int32.generate(r, size), int32.generate(r, size), anyText().generate(r, size),
        int32.generate(r, size), anyText().generate(r, size), r.nextBoolean(), List.of());
  }

  /** A node's device list: 1..max(1, size) GPUs with distinct UUIDs and indexes 0..n-1. */
  public static Gen<List<GpuDevice>> node() {
    return node(gpuDevice());
  }

  /** A node's device list built from {@code device}, with distinct UUIDs and sequential indexes. */
  public static Gen<List<GpuDevice>> node(Gen<GpuDevice> device) {
    return (r, size) -> {
      int n = 1 + r.nextInt(Math.max(1, Math.min(size, 16)));
      List<GpuDevice> out = new ArrayList<>(n);
      Set<String> ids = new HashSet<>();
      while (out.size() < n) {
        GpuDevice d = device.generate(r, size);
        if (ids.add(d.id())) {
          out.add(new GpuDevice(d.id(), out.size(), d.count(), d.devmem(), d.devcore(), d.type(), d.numa(), d.mode(),
              d.health(), d.migProfiles()));
        }
      }
      return out;
    };
  }

  /** A container's NVIDIA request: memory in MiB, a percentage, or whole-GPU, with cores 0..100. */
  public static Gen<ContainerDeviceRequest> containerRequest() {
    Gen<Integer> nums = Gen.sizedInt(1, 8);
    Gen<Integer> cores = Gen.frequency(weight(2, Gen.constant(0)), weight(1, Gen.constant(100)), weight(3, Gen.choose(1, 99)));
    return Gen.frequency(
        weight(4, (r, s) -> ContainerDeviceRequest.memory(nums.generate(r, s), 256 * (1 + r.nextInt(160)), cores.generate(r, s))),
        weight(2, (r, s) -> ContainerDeviceRequest.percentage(nums.generate(r, s), 1 + r.nextInt(100), cores.generate(r, s))),
        weight(1, (r, s) -> ContainerDeviceRequest.percentage(nums.generate(r, s), 100, cores.generate(r, s))),
        weight(1, Gen.constant(ContainerDeviceRequest.NONE)));
  }

  /** One booked slice on one of a few GPUs. */
  public static Gen<ContainerDevice> containerDevice() {
    return (r, size) -> ContainerDevice.nvidia(pooledUuid(4).generate(r, size), r.nextInt(81921), r.nextInt(101));
  }

  /** A pod's devices: 0..min(size, 6) containers (init first), each with 0..3 devices, empty ones included. */
  public static Gen<PodDevices> podDevices() {
    return Gen.listOf(Gen.listOf(containerDevice(), 0, 3), 0, 6).map(PodDevices::new);
  }

  /**
   * MIG reservations with distinct (containerIndex, deviceIndex), real profile names and legal
   * placements of that profile; about half carry a runtime identity (IDs may be 0).
   */
  public static Gen<List<MigAllocation>> migAllocations() {
    return (r, size) -> {
      int n = r.nextInt(Math.min(size, 8) + 1);
      List<MigAllocation> out = new ArrayList<>(n);
      Set<Long> slots = new HashSet<>();
      while (out.size() < n) {
        int c = r.nextInt(4);
        int d = r.nextInt(4);
        if (!slots.add(((long) c << 32) | d)) {
          continue;
        }
        MigProfileTable.Model model = TABLE.models().get(r.nextInt(TABLE.models().size()));
        MigProfileTable.Profile p = model.profiles().get(r.nextInt(model.profiles().size()));
        MigAllocation a = MigAllocation.reserve(c, d, pooledUuid(3).generate(r, size), p.name(),
            p.placements().get(r.nextInt(p.placements().size())));
        if (r.nextBoolean()) {
          a = a.withRuntime("MIG-" + hex(r, 8) + "-" + hex(r, 4), r.nextInt(15), r.nextInt(2));
        }
        out.add(a);
      }
      return out;
    };
  }

  /** A Kubernetes-style name (lower-case letters, digits, dashes, dots). */
  public static Gen<String> k8sName() {
    return Gen.stringOf("abcdefghijklmnopqrstuvwxyz0123456789-.", 1, 20)
        .map(s -> "p" + s);
  }

  /** A lock taken at a whole second between 2000 and 2100, with an owner pod or (legacy) none. */
  public static Gen<NodeLock> nodeLock() {
    Gen<Instant> time = (r, s) -> Instant.ofEpochSecond(r.nextLong(946_684_800L, 4_102_444_800L));
    return Gen.frequency(
        weight(3, (r, s) -> new NodeLock(time.generate(r, s), k8sName().generate(r, s), k8sName().generate(r, s))),
        weight(1, (r, s) -> new NodeLock(time.generate(r, s), "", "")));
  }

  /** Valid scoring weights (non-negative, not all zero). */
  public static Gen<ScoringWeights> scoringWeights() {
    Gen<Integer> w = Gen.frequency(weight(3, Gen.choose(0, 10)), weight(1, Gen.choose(0, Integer.MAX_VALUE)));
    return (r, s) -> {
      int slot = w.generate(r, s);
      int core = w.generate(r, s);
      int memory = w.generate(r, s);
      return slot == 0 && core == 0 && memory == 0 ? new ScoringWeights(0, 0, 1) : new ScoringWeights(slot, core, memory);
    };
  }

  /** Pair scores among a few GPUs: for each GPU, scores to some others. */
  public static Gen<Map<String, Map<String, Integer>>> pairScores() {
    return (r, size) -> {
      int n = r.nextInt(Math.min(size, 8) + 1);
      Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        Map<String, Integer> peers = new LinkedHashMap<>();
        for (int j = 0; j < n; j++) {
          if (j != i && r.nextBoolean()) {
            peers.put("GPU-" + j, r.nextInt(201) - 50);
          }
        }
        out.put("GPU-" + i, peers);
      }
      return out;
    };
  }
}
