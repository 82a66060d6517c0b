package dev.hamij.nvidia;

import dev.hamij.api.MigAllowlistEntry;
import dev.hamij.api.MigProfile;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.Placement;
import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.GpuInstanceProfileInfo;
import dev.hamij.nvml.Nvml;
import dev.hamij.nvml.NvmlException;
import dev.hamij.nvml.SliceProfiles;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Works out the MIG profiles a GPU in {@code mig} mode advertises (node.md §4.3.2, with the §9 #18/#22 fixes):
 * the first {@code migProfileAllowlist} entry naming the GPU's model in the MIG table (else, HAMi's rule, the first
 * whose model string is a substring of the NVML name) lists the profile names; each name is mapped to
 * its NVML profile through the MIG table (not by its {@code Ng} prefix), and NVML supplies memory, SMs, slices,
 * instance count and placements; the table stands in when NVML cannot answer (MIG mode still disabled).
 */
final class MigProfileAdvertiser {
  /** GPU-instance profile enums of the 1/2/3/4/7/8/6-slice profiles, the reference for the whole GPU's SMs. */
  private static final int BASE_PROFILE_ENUMS = 7;

  /** The profiles of one GPU and the most instances any of them allows. */
  record Advertisement(List<MigProfile> profiles, int maxInstances) {}

  private record Resolved(MigProfileTable.Profile spec, int giProfileEnum, String advertisedName) {}

  private record Capability(long memoryMiB, int multiprocessors, int slices, int instances, List<Placement> placements) {}

  private final Nvml nvml;
  private final List<MigAllowlistEntry> allowlist;
  private final MigProfileTable table;

  MigProfileAdvertiser(Nvml nvml, List<MigAllowlistEntry> allowlist, MigProfileTable table) {
    this.nvml = nvml;
    this.allowlist = List.copyOf(allowlist);
    this.table = table;
  }

  /**
   * The GPU's advertisement; reasons for leaving profiles out go to {@code warnings}. NVML errors that mean the GPU
   * itself is in trouble propagate.
   */
  Advertisement advertise(DeviceHandle gpu, String nvmlName, String label, List<String> warnings) {
    Optional<MigProfileTable.Model> model = table.forName(nvmlName);
    Optional<MigAllowlistEntry> entry = model
        .flatMap(m -> allowlist.stream().filter(e -> namesModel(e, m)).findFirst())
        .or(() -> allowlist.stream().filter(e -> e.matches(nvmlName)).findFirst());
    if (entry.isEmpty()) {
      warnings.add(label + ": no migProfileAllowlist entry matches '" + nvmlName + "'");
      return new Advertisement(List.of(), 0);
    }
    int fullMultiprocessors = fullMultiprocessors(gpu, model);
    Set<String> seen = new HashSet<>();
    List<MigProfile> profiles = new ArrayList<>();
    int maxInstances = 0;
    for (String name : entry.get().profiles()) {
      Resolved resolved = resolve(gpu, name, model, label, warnings);
      if (resolved == null || !seen.add(resolved.advertisedName())) {
        continue;
      }
      Capability c = capability(gpu, resolved, label, warnings);
      if (c == null) {
        continue;
      }
      int core = fullMultiprocessors == 0 ? 0 : (c.multiprocessors() * 100 + fullMultiprocessors - 1)
          / fullMultiprocessors;
      profiles.add(new MigProfile(resolved.advertisedName(), Math.toIntExact(c.memoryMiB()), core, c.slices(),
          c.placements()));
      maxInstances = Math.max(maxInstances, c.instances());
    }
    return new Advertisement(List.copyOf(profiles), maxInstances);
  }

  /**
   * True when one of the entry's model strings names this table model: its key, a driver name, or the chart's own
   * string for it (e.g. {@code H100-SXM5-80GB} for {@code NVIDIA H100 80GB HBM3}). Entries are chosen this way before
   * HAMi's substring rule, which alone would let the chart's {@code H20} entry capture {@code NVIDIA H200}.
   */
  static boolean namesModel(MigAllowlistEntry entry, MigProfileTable.Model model) {
    List<String> aliases = ChartModelAliases.of(model);
    for (String m : entry.models()) {
      if (aliases.contains(m.toUpperCase(Locale.ROOT)) || m.equalsIgnoreCase(model.key())
          || model.nvmlNames().stream().anyMatch(m::equalsIgnoreCase)) {
        return true;
      }
    }
    return false;
  }

  private int fullMultiprocessors(DeviceHandle gpu, Optional<MigProfileTable.Model> model) {
    int max = 0;
    for (int e = 0; e < BASE_PROFILE_ENUMS; e++) {
      try {
        max = Math.max(max, nvml.gpuInstanceProfileInfo(gpu, e).multiprocessorCount());
      } catch (NvmlException ex) {
        rethrowIfDeviceTrouble(ex);
      }
    }
    if (max == 0 && model.isPresent()) {
      max = model.get().profiles().stream().mapToInt(MigProfileTable.Profile::multiprocessors).max().orElse(0);
    }
    return max;
  }

  private Resolved resolve(DeviceHandle gpu, String name, Optional<MigProfileTable.Model> model, String label,
      List<String> warnings) {
    int slices = slicePrefix(name);
    if (model.isPresent()) {
      Optional<MigProfileTable.Profile> exact = model.get().profile(name);
      if (exact.isPresent()) {
        return new Resolved(exact.get(), exact.get().giProfileEnum(), name);
      }
      List<MigProfileTable.Profile> sameSlices = model.get().profiles().stream()
          .filter(p -> !p.mediaExtensions() && p.computeSlices() == slices && sameMemory(name, p))
          .toList();
      if (sameSlices.size() == 1) {
        MigProfileTable.Profile p = sameSlices.get(0);
        warnings.add(label + ": allowlisted profile " + name + " is advertised as " + p.name());
        return new Resolved(p, p.giProfileEnum(), p.name());
      }
      warnings.add(label + ": " + name + " is not a MIG profile of " + model.get().key() + " (profiles: "
          + model.get().profiles().stream().map(MigProfileTable.Profile::name).toList() + ")");
      return null;
    }
    for (int e = 0; e < Nvml.GPU_INSTANCE_PROFILE_COUNT; e++) {
      try {
        if (nvml.gpuInstanceProfileInfo(gpu, e).profileName().equals(name)) {
          return new Resolved(null, e, name);
        }
      } catch (NvmlException ex) {
        rethrowIfDeviceTrouble(ex);
      }
    }
    int e = SliceProfiles.enumFor(slices);
    if (e < 0) {
      warnings.add(label + ": cannot map MIG profile " + name + " to an NVML profile");
      return null;
    }
    return new Resolved(null, e, name);
  }

  private Capability capability(DeviceHandle gpu, Resolved r, String label, List<String> warnings) {
    try {
      GpuInstanceProfileInfo info = nvml.gpuInstanceProfileInfo(gpu, r.giProfileEnum());
      List<Placement> placements = nvml.gpuInstancePossiblePlacements(gpu, info.id());
      return new Capability(info.memorySizeMB(), info.multiprocessorCount(), info.sliceCount(), info.instanceCount(),
          placements);
    } catch (NvmlException e) {
      rethrowIfDeviceTrouble(e);
      if (r.spec() == null) {
        warnings.add(label + ": MIG profile " + r.advertisedName() + " left out: " + e.getMessage());
        return null;
      }
      MigProfileTable.Profile p = r.spec();
      return new Capability(p.memoryMiB(), p.multiprocessors(), p.computeSlices(), p.maxCount(), p.placements());
    }
  }

  private static void rethrowIfDeviceTrouble(NvmlException e) {
    if (e.code().meansDeviceUnhealthy()) {
      throw e;
    }
  }

  /**
   * True when a differently spelled name means this profile: the GB figure of {@code name} is within 1 of the
   * profile's (HAMi's legacy {@code 7g.79gb} for NVIDIA's {@code 7g.80gb} of 80896 MiB), never a different size.
   */
  private static boolean sameMemory(String name, MigProfileTable.Profile p) {
    int gb = gigabytes(name);
    return gb >= 0 && (Math.abs(gb - gigabytes(p.name())) <= 1 || Math.abs(gb - p.memoryMiB() / 1024) <= 1);
  }

  /** The {@code M} of {@code Ng.Mgb}, or -1. */
  private static int gigabytes(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    int dot = lower.indexOf('.');
    int end = lower.indexOf("gb", dot);
    if (dot < 0 || end <= dot + 1) {
      return -1;
    }
    try {
      return Integer.parseInt(lower.substring(dot + 1, end));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The {@code N} of {@code Ng.<memory>}. */
  private static int slicePrefix(String name) {
    return Integer.parseInt(name.substring(0, name.indexOf('g')));
  }
}
