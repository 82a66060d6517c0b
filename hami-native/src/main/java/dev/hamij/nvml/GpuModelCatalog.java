package dev.hamij.nvml;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The MIG-capable GPU models and their GPU-instance profiles, read from the bundled {@code mig-profiles.json}
 * (A30, A100-40GB/80GB, H100-80GB, H100-NVL, H200). Immutable and thread-safe.
 */
public final class GpuModelCatalog {
  private static final String RESOURCE = "mig-profiles.json";
  private static final String NVIDIA_PREFIX = "nvidia ";

  private final List<GpuModel> models;

  private GpuModelCatalog(List<GpuModel> models) {
    this.models = List.copyOf(models);
  }

  /** The catalog bundled with this library. */
  public static GpuModelCatalog builtIn() {
    return BuiltIn.CATALOG;
  }

  /** All models, in file order. */
  public List<GpuModel> models() {
    return models;
  }

  /** The model with this catalog key (e.g. {@code A100-40GB}), case-insensitive. */
  public Optional<GpuModel> byKey(String key) {
    return models.stream().filter(m -> m.key().equalsIgnoreCase(key)).findFirst();
  }

  /**
   * The model a driver-reported name belongs to: an exact name match first; otherwise the longest catalog name that
   * occurs in {@code nvmlName} as whole words, ignoring case and a leading {@code NVIDIA }. So
   * {@code NVIDIA H200 NVL} is an H200 and {@code NVIDIA A30X} is not an A30.
   */
  public Optional<GpuModel> byNvmlName(String nvmlName) {
    for (GpuModel m : models) {
      if (m.nvmlNames().contains(nvmlName)) {
        return Optional.of(m);
      }
    }
    String reported = stripVendor(nvmlName);
    GpuModel best = null;
    int bestLength = 0;
    for (GpuModel m : models) {
      for (String name : m.nvmlNames()) {
        String known = stripVendor(name);
        if (known.length() > bestLength && containsWords(reported, known)) {
          best = m;
          bestLength = known.length();
        }
      }
    }
    return Optional.ofNullable(best);
  }

  /** A one-line list of the known models and their NVML names, for error messages. */
  public String describeModels() {
    return models.stream()
        .map(m -> m.key() + " (" + String.join(", ", m.nvmlNames()) + ")")
        .collect(Collectors.joining("; "));
  }

  private static String stripVendor(String name) {
    String lower = name.trim().toLowerCase(Locale.ROOT);
    return lower.startsWith(NVIDIA_PREFIX) ? lower.substring(NVIDIA_PREFIX.length()) : lower;
  }

  private static boolean containsWords(String text, String words) {
    for (int at = text.indexOf(words); at >= 0; at = text.indexOf(words, at + 1)) {
      int end = at + words.length();
      boolean startOk = at == 0 || text.charAt(at - 1) == ' ';
      boolean endOk = end == text.length() || text.charAt(end) == ' ';
      if (startOk && endOk) {
        return true;
      }
    }
    return false;
  }

  static GpuModelCatalog parse(InputStream json) {
    ObjectMapper mapper = JsonMapper.builder().build();
    FileDto file;
    try {
      file = mapper.readValue(json, FileDto.class);
    } catch (JacksonException e) {
      throw new IllegalStateException(RESOURCE + " is not a valid GPU model catalog: " + e.getOriginalMessage(), e);
    }
    if (file.models() == null || file.models().isEmpty()) {
      throw new IllegalStateException(RESOURCE + " lists no models");
    }
    List<GpuModel> models = new ArrayList<>();
    for (ModelDto m : file.models()) {
      models.add(m.toModel());
    }
    return new GpuModelCatalog(models);
  }

  private static final class BuiltIn {
    static final GpuModelCatalog CATALOG = load();

    private static GpuModelCatalog load() {
      try (InputStream in = GpuModelCatalog.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("resource dev/hamij/nvml/" + RESOURCE + " missing from the classpath");
        }
        return parse(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + RESOURCE, e);
      }
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record FileDto(List<ModelDto> models) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record AllowlistDto(List<String> models) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record PlacementDto(int start, int size) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record ModelDto(
      String key,
      List<String> nvmlNames,
      List<String> pciDeviceIds,
      int computeSlicesTotal,
      int memorySlicesTotal,
      int maxGpuInstances,
      AllowlistDto hamiHeadAllowlist,
      List<ProfileDto> profiles) {
    GpuModel toModel() {
      if (key == null || nvmlNames == null || nvmlNames.isEmpty() || profiles == null || profiles.isEmpty()) {
        throw new IllegalStateException(RESOURCE + ": model '" + key + "' needs key, nvmlNames and profiles");
      }
      List<MigProfileSpec> specs = new ArrayList<>();
      for (ProfileDto p : profiles) {
        specs.add(p.toSpec(key, memorySlicesTotal));
      }
      List<String> allowlistModels = hamiHeadAllowlist == null || hamiHeadAllowlist.models() == null
          ? List.of() : hamiHeadAllowlist.models();
      return new GpuModel(key, nvmlNames, pciDeviceIds == null ? List.of() : pciDeviceIds, computeSlicesTotal,
          memorySlicesTotal, maxGpuInstances, allowlistModels, specs);
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record ProfileDto(
      String name,
      boolean mediaExtensions,
      int nvmlGiProfileEnum,
      int profileId,
      int nvmlCiProfileEnum,
      long memoryMiB,
      int computeSlices,
      int memorySlices,
      int maxCount,
      int multiprocessors,
      List<PlacementDto> placements) {
    MigProfileSpec toSpec(String model, int memorySlicesTotal) {
      if (name == null || placements == null || placements.isEmpty()) {
        throw new IllegalStateException(RESOURCE + ": model " + model + " has a profile without name or placements");
      }
      List<InstancePlacement> legal = new ArrayList<>();
      for (PlacementDto pl : placements) {
        InstancePlacement placement = new InstancePlacement(pl.start(), pl.size());
        if (pl.size() != memorySlices || placement.end() > memorySlicesTotal) {
          throw new IllegalStateException(RESOURCE + ": model " + model + " profile " + name + " placement "
              + placement + " does not fit " + memorySlices + " of " + memorySlicesTotal + " memory slices");
        }
        legal.add(placement);
      }
      legal.sort(Comparator.comparingInt(InstancePlacement::start));
      return new MigProfileSpec(name, mediaExtensions, nvmlGiProfileEnum, profileId, nvmlCiProfileEnum, memoryMiB,
          computeSlices, memorySlices, maxCount, multiprocessors, legal);
    }
  }
}
