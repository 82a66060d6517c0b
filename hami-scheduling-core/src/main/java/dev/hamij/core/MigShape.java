package dev.hamij.core;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigGeometry;
import dev.hamij.api.MigProfile;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.MigTemplate;
import dev.hamij.api.Placement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The MIG profiles usable on one GPU, in selection order (scheduler.md §6.2.3): memory ascending,
 * then slices ascending; each profile's placements in the order they are tried. Built either from
 * the profiles the node advertises (HEAD) or from the configured templates of the GPU's model mapped
 * onto NVIDIA's placements (legacy {@code knownMigGeometries}). Immutable; occupancy is a bit mask of
 * memory slices.
 */
final class MigShape {

  /** One usable profile. {@code maxCount == 0} means "no limit beyond placements". */
  record Profile(String name, int memoryMB, int core, int sliceCount, Placement[] placements, long[] masks,
      int maxCount) {}

  static final MigShape EMPTY = new MigShape(List.of());

  final Profile[] profiles;

  MigShape(List<Profile> ordered) {
    this.profiles = ordered.toArray(new Profile[0]);
  }

  /** The shape of a MIG GPU, or {@link #EMPTY} when neither the node nor the configuration describes one. */
  static MigShape of(GpuDevice device, SchedulerConfig config) {
    MigProfileTable table = config.migProfileTable();
    Optional<MigProfileTable.Model> model = table.forName(device.type());
    List<Profile> profiles = new ArrayList<>();
    if (!device.migProfiles().isEmpty()) {
      for (MigProfile p : device.migProfiles()) {
        int maxCount = model.flatMap(m -> m.profile(p.name())).map(MigProfileTable.Profile::maxCount).orElse(0);
        profiles.add(profile(p.name(), p.memoryMB(), p.core(), p.sliceCount(), p.placements(), maxCount));
      }
    } else {
      MigGeometry geometry = geometryFor(device.type(), model, config);
      if (geometry != null && model.isPresent()) {
        MigProfileTable.Model m = model.get();
        Set<String> taken = new HashSet<>();
        for (List<MigTemplate> g : geometry.allowedGeometries()) {
          for (MigTemplate t : g) {
            MigProfileTable.Profile tp = resolve(m, t);
            if (tp != null && taken.add(tp.name())) {
              int core = t.core() > 0 ? t.core() : m.advertised(tp).core();
              profiles.add(profile(tp.name(), t.memory(), core, tp.computeSlices(), tp.placements(), tp.maxCount()));
            }
          }
        }
      }
    }
    if (profiles.isEmpty()) {
      return EMPTY;
    }
    List<Profile> sorted = new ArrayList<>(profiles);
    sorted.sort(Comparator.comparingInt(Profile::memoryMB).thenComparingInt(Profile::sliceCount));
    return new MigShape(sorted);
  }

  private static Profile profile(String name, int memoryMB, int core, int slices, List<Placement> placements,
      int maxCount) {
    List<Placement> ordered = new ArrayList<>();
    for (Placement p : placements) {
      if (p.end() <= 64) {
        ordered.add(p);
      }
    }
    if (name.startsWith("1g.") || name.startsWith("3g.")) {
      ordered.sort(Comparator.comparingInt(Placement::start).reversed());
    } else {
      ordered.sort(Comparator.comparingInt(Placement::start));
    }
    long[] masks = new long[ordered.size()];
    for (int i = 0; i < masks.length; i++) {
      masks[i] = mask(ordered.get(i));
    }
    return new Profile(name, memoryMB, core, slices, ordered.toArray(new Placement[0]), masks, maxCount);
  }

  /** Memory slices covered by a placement, as a bit mask (slices beyond 63 are not represented). */
  static long mask(Placement p) {
    long m = 0;
    for (int s = p.start(); s < p.end() && s < 64; s++) {
      m |= 1L << s;
    }
    return m;
  }

  /** The first legacy geometry whose model strings match this GPU (see {@link SchedulerConfig#knownMigGeometries()}). */
  static MigGeometry geometryFor(String type, Optional<MigProfileTable.Model> model,
      SchedulerConfig config) {
    List<String> names = new ArrayList<>();
    names.add(normalize(type));
    model.ifPresent(m -> {
      m.nvmlNames().forEach(n -> names.add(normalize(n)));
      names.add(normalize(m.key()));
    });
    for (MigGeometry set : config.knownMigGeometries()) {
      for (String wanted : set.models()) {
        String w = normalize(wanted);
        if (w.isEmpty()) {
          continue;
        }
        for (String n : names) {
          if (n.contains(w)) {
            return set;
          }
        }
      }
    }
    return null;
  }

  static String normalize(String s) {
    return s.toUpperCase(Locale.ROOT).replace('-', ' ').replace('_', ' ').replaceAll("\\s+", " ").trim();
  }

  /** The table profile for a template: same name, else same {@code <N>g.} prefix with the closest memory. */
  static MigProfileTable.Profile resolve(MigProfileTable.Model model, MigTemplate t) {
    Optional<MigProfileTable.Profile> exact = model.profile(t.name());
    if (exact.isPresent()) {
      return exact.get();
    }
    int dot = t.name().indexOf('.');
    if (dot < 2) {
      return null;
    }
    String prefix = t.name().substring(0, dot + 1);
    MigProfileTable.Profile best = null;
    for (MigProfileTable.Profile p : model.profiles()) {
      if (!p.name().startsWith(prefix) || p.mediaExtensions()) {
        continue;
      }
      if (best == null || Math.abs(p.memoryMiB() - t.memory()) < Math.abs(best.memoryMiB() - t.memory())) {
        best = p;
      }
    }
    return best;
  }

  int indexOf(String profileName) {
    for (int i = 0; i < profiles.length; i++) {
      if (profiles[i].name().equals(profileName)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The smallest profile with at least {@code mem} MiB that has a free placement, encoded as
   * {@code profileIndex << 16 | placementIndex}; -1 when none (scheduler.md §6.2.3 {@code choose}).
   */
  int choose(long occupied, int[] counts, int mem) {
    for (int p = 0; p < profiles.length; p++) {
      Profile prof = profiles[p];
      if (prof.memoryMB() < mem) {
        continue;
      }
      if (prof.maxCount() > 0 && counts != null && counts[p] >= prof.maxCount()) {
        continue;
      }
      long[] masks = prof.masks();
      for (int i = 0; i < masks.length; i++) {
        if ((masks[i] & occupied) == 0) {
          return p << 16 | i;
        }
      }
    }
    return -1;
  }

  /** The largest profile memory that still has a free placement; -1 when nothing can be placed. */
  int largestPlaceable(long occupied, int[] counts) {
    for (int p = profiles.length - 1; p >= 0; p--) {
      Profile prof = profiles[p];
      if (prof.maxCount() > 0 && counts != null && counts[p] >= prof.maxCount()) {
        continue;
      }
      for (long m : prof.masks()) {
        if ((m & occupied) == 0) {
          return prof.memoryMB();
        }
      }
    }
    return -1;
  }
}
