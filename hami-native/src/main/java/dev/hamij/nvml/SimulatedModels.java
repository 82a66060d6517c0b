package dev.hamij.nvml;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.hamij.api.MigProfileTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import tools.jackson.databind.json.JsonMapper;

/**
 * The GPU models a {@link SimulatedNvml} can play: every model of hami-api's {@link MigProfileTable} plus the GPUs
 * without MIG listed in {@code simulated-gpus.json}, which also carries each model's memory size and PCI id.
 */
final class SimulatedModels {
  private static final String RESOURCE = "simulated-gpus.json";

  /** A playable model; {@code mig} is null for GPUs without MIG. */
  record Model(String key, List<String> nvmlNames, long memoryMiB, int pciDeviceId, MigProfileTable.Model mig) {}

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
    throw new IllegalArgumentException("unknown GPU model '" + keyOrName + "'; known models: "
        + describe(models));
  }

  /** The MIG-capable models, for error messages. */
  String describeMigModels() {
    return describe(models.stream().filter(m -> m.mig() != null).toList());
  }

  List<String> keys() {
    return models.stream().map(Model::key).toList();
  }

  private static String describe(List<Model> models) {
    return models.stream()
        .map(m -> m.key() + " (" + String.join(", ", m.nvmlNames()) + ")")
        .collect(Collectors.joining(", "));
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record FileDto(List<EntryDto> models) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record EntryDto(String key, String nvmlName, long memoryMiB, String pciDeviceId) {}

  private static final class Holder {
    static final SimulatedModels MODELS = load();

    private static SimulatedModels load() {
      FileDto file;
      try (InputStream in = SimulatedModels.class.getResourceAsStream(RESOURCE)) {
        Objects.requireNonNull(in, "resource dev/hamij/nvml/" + RESOURCE + " missing from the classpath");
        file = JsonMapper.builder().build().readValue(in, FileDto.class);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + RESOURCE, e);
      }
      MigProfileTable table = MigProfileTable.bundled();
      List<Model> models = new ArrayList<>();
      for (EntryDto e : file.models()) {
        MigProfileTable.Model mig = table.forKey(e.key()).orElse(null);
        if (mig == null && e.nvmlName() == null) {
          throw new IllegalStateException(RESOURCE + ": " + e.key() + " is neither a MIG table model nor named");
        }
        List<String> names = mig != null ? mig.nvmlNames() : List.of(e.nvmlName());
        int pciDeviceId = (int) Long.parseLong(e.pciDeviceId().substring(2), 16);
        models.add(new Model(e.key(), names, e.memoryMiB(), pciDeviceId, mig));
      }
      for (MigProfileTable.Model m : table.models()) {
        if (models.stream().noneMatch(s -> s.mig() == m)) {
          throw new IllegalStateException(RESOURCE + " lacks the memory size of MIG table model " + m.key());
        }
      }
      return new SimulatedModels(models);
    }
  }
}
