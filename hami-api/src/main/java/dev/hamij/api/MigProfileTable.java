package dev.hamij.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * NVIDIA's MIG profile facts per GPU model (profiles, memory, slices, legal placements, instance
 * limits), loaded from the bundled {@code mig-profiles.json}. On a real node NVML is authoritative;
 * this table is what the simulator, the legacy template configuration and tests rely on.
 */
public final class MigProfileTable {

  /** One MIG GPU-instance profile of one model. */
  public record Profile(String name, boolean mediaExtensions, int giProfileEnum, int profileId, int ciProfileEnum,
      int memoryMiB, int computeSlices, int memorySlices, int maxCount, int multiprocessors, List<Placement> placements) {
    public Profile {
      placements = List.copyOf(placements);
    }
  }

  /** One GPU model and its profiles. */
  public record Model(String key, List<String> nvmlNames, int computeSlicesTotal, int memorySlicesTotal,
      int maxGpuInstances, int fullGpuMultiprocessors, List<Profile> profiles) {
    public Model {
      nvmlNames = List.copyOf(nvmlNames);
      profiles = List.copyOf(profiles);
    }

    /** The profile with that exact name, if the model has it. */
    public Optional<Profile> profile(String name) {
      return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * The profile as advertised in a register annotation (node.md §4.3.2): core = ceil(SMs × 100 / SMs of the
     * largest profile of this model), so the full-GPU profile advertises 100.
     */
    public MigProfile advertised(Profile p) {
      int full = profiles.stream().mapToInt(Profile::multiprocessors).max().orElse(0);
      int core = full <= 0 ? 0 : (p.multiprocessors() * 100 + full - 1) / full;
      return new MigProfile(p.name(), p.memoryMiB(), core, p.computeSlices(), p.placements());
    }
  }

  private static final MigProfileTable BUNDLED = load();

  private final List<Model> models;

  private MigProfileTable(List<Model> models) {
    this.models = List.copyOf(models);
  }

  /** The table bundled with this library. */
  public static MigProfileTable bundled() {
    return BUNDLED;
  }

  /** All models, in file order. */
  public List<Model> models() {
    return models;
  }

  /**
   * Finds the model of a GPU by the name NVML reports ({@code NVIDIA A100-SXM4-40GB}) or the registered
   * type ({@code NVIDIA-NVIDIA A100-SXM4-40GB}, {@code NVIDIA A100-SXM4-40GB}): exact NVML name first,
   * then the name with any {@code NVIDIA} / {@code NVIDIA-} prefixes removed, case-insensitively.
   */
  public Optional<Model> forName(String gpuName) {
    if (gpuName == null) {
      return Optional.empty();
    }
    for (Model m : models) {
      if (m.nvmlNames().contains(gpuName)) {
        return Optional.of(m);
      }
    }
    String bare = stripVendor(gpuName);
    for (Model m : models) {
      for (String n : m.nvmlNames()) {
        if (stripVendor(n).equals(bare)) {
          return Optional.of(m);
        }
      }
    }
    return Optional.empty();
  }

  /** Finds a model by its table key such as {@code A100-40GB}. */
  public Optional<Model> forKey(String key) {
    return models.stream().filter(m -> m.key().equalsIgnoreCase(key)).findFirst();
  }

  static String stripVendor(String name) {
    String s = name.trim();
    boolean changed = true;
    while (changed) {
      changed = false;
      String upper = s.toUpperCase(Locale.ROOT);
      if (upper.startsWith("NVIDIA-") || upper.startsWith("NVIDIA ")) {
        s = s.substring(7).trim();
        changed = true;
      }
    }
    return s.toUpperCase(Locale.ROOT);
  }

  private static MigProfileTable load() {
    try (InputStream in = MigProfileTable.class.getResourceAsStream("mig-profiles.json")) {
      if (in == null) {
        throw new IllegalStateException("mig-profiles.json missing from the hami-api jar");
      }
      ObjectMapper mapper = JsonMapper.builder().build();
      JsonNode root = mapper.readTree(in);
      List<Model> models = new ArrayList<>();
      for (JsonNode m : root.get("models")) {
        List<Profile> profiles = new ArrayList<>();
        for (JsonNode p : m.get("profiles")) {
          List<Placement> placements = new ArrayList<>();
          for (JsonNode pl : p.get("placements")) {
            placements.add(new Placement(pl.get("start").asInt(), pl.get("size").asInt()));
          }
          profiles.add(new Profile(p.get("name").asString(), p.path("mediaExtensions").asBoolean(false),
              p.path("nvmlGiProfileEnum").asInt(), p.path("profileId").asInt(), p.path("nvmlCiProfileEnum").asInt(),
              p.get("memoryMiB").asInt(), p.get("computeSlices").asInt(), p.get("memorySlices").asInt(),
              p.get("maxCount").asInt(), p.path("multiprocessors").asInt(), placements));
        }
        List<String> names = new ArrayList<>();
        m.get("nvmlNames").forEach(n -> names.add(n.asString()));
        models.add(new Model(m.get("key").asString(), names, m.get("computeSlicesTotal").asInt(),
            m.get("memorySlicesTotal").asInt(), m.get("maxGpuInstances").asInt(),
            m.path("fullGpuMultiprocessors").asInt(0), profiles));
      }
      return new MigProfileTable(models);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled mig-profiles.json", e);
    }
  }
}
