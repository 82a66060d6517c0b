package dev.hamij.nvml;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import tools.jackson.databind.json.JsonMapper;

/** The GPU models a {@link SimulatedNvml} can play: the MIG catalog plus {@code simulated-gpus.json}. */
final class SimulatedModels {
  private static final String RESOURCE = "simulated-gpus.json";

  /** A playable model; {@code mig} is null for GPUs without MIG. */
  record Model(String key, List<String> nvmlNames, long memoryMiB, GpuModel mig) {}

  /** A resolved model plus the exact name the simulated driver reports. */
  record Resolved(Model model, String nvmlName) {}

  private final List<Model> models;

  private SimulatedModels(List<Model> models) {
    this.models = List.copyOf(models);
  }

  static SimulatedModels builtIn() {
    return Holder.MODELS;
  }

  /** Resolves a catalog key or a driver-reported name, ignoring case; unknown names list every known model. */
  Resolved resolve(String keyOrName) {
    for (Model m : models) {
      if (m.key().equalsIgnoreCase(keyOrName)) {
        return new Resolved(m, m.nvmlNames().get(0));
      }
      for (String name : m.nvmlNames()) {
        if (name.equalsIgnoreCase(keyOrName)) {
          return new Resolved(m, name);
        }
      }
    }
    throw new IllegalArgumentException("unknown GPU model '" + keyOrName + "'; known models: " + describe());
  }

  String describe() {
    return models.stream()
        .map(m -> m.key() + " (" + String.join(", ", m.nvmlNames()) + ")")
        .collect(Collectors.joining(", "));
  }

  List<String> keys() {
    return models.stream().map(Model::key).toList();
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record FileDto(List<EntryDto> models) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record EntryDto(String key, String nvmlName, long memoryMiB) {}

  private static final class Holder {
    static final SimulatedModels MODELS = load();

    private static SimulatedModels load() {
      FileDto file;
      try (InputStream in = SimulatedModels.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("resource dev/hamij/nvml/" + RESOURCE + " missing from the classpath");
        }
        file = JsonMapper.builder().build().readValue(in, FileDto.class);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + RESOURCE, e);
      }
      GpuModelCatalog catalog = GpuModelCatalog.builtIn();
      List<Model> models = new ArrayList<>();
      for (EntryDto e : file.models()) {
        GpuModel mig = catalog.byKey(e.key()).orElse(null);
        if (mig == null && e.nvmlName() == null) {
          throw new IllegalStateException(RESOURCE + ": " + e.key() + " is neither in the MIG catalog nor named");
        }
        List<String> names = mig != null ? mig.nvmlNames() : List.of(e.nvmlName());
        models.add(new Model(e.key(), names, e.memoryMiB(), mig));
      }
      for (GpuModel m : catalog.models()) {
        if (models.stream().noneMatch(s -> s.mig() == m)) {
          throw new IllegalStateException(RESOURCE + " lacks the memory size of catalog model " + m.key());
        }
      }
      return new SimulatedModels(models);
    }
  }
}
