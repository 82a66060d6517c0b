package dev.hamij.nvidia;

import dev.hamij.api.MigProfileTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model strings HAMi's chart uses in {@code migProfileAllowlist} for each model of the MIG table
 * ({@code hamiHeadAllowlist.models} in hami-api's {@code mig-profiles.json}). Several of them are not substrings of
 * the names real drivers report ({@code H100-SXM5-80GB} vs {@code NVIDIA H100 80GB HBM3}); knowing which table model
 * they stand for lets an allowlist entry apply to the GPUs it was written for.
 */
final class ChartModelAliases {
  private static final String RESOURCE = "/dev/hamij/api/mig-profiles.json";
  private static final Map<String, List<String>> BY_MODEL_KEY = load();

  private ChartModelAliases() {}

  /** The chart's model strings for a table model, upper-cased; empty when the table has none. */
  static List<String> of(MigProfileTable.Model model) {
    return BY_MODEL_KEY.getOrDefault(model.key(), List.of());
  }

  private static Map<String, List<String>> load() {
    JsonNode root;
    try (InputStream in = MigProfileTable.class.getResourceAsStream(RESOURCE)) {
      Objects.requireNonNull(in, RESOURCE + " missing from hami-api");
      root = JsonMapper.builder().build().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    Map<String, List<String>> aliases = new HashMap<>();
    for (JsonNode model : root.path("models")) {
      List<String> names = new ArrayList<>();
      for (JsonNode name : model.path("hamiHeadAllowlist").path("models")) {
        names.add(name.asString().toUpperCase(Locale.ROOT));
      }
      aliases.put(model.path("key").asString(), List.copyOf(names));
    }
    return Map.copyOf(aliases);
  }
}
