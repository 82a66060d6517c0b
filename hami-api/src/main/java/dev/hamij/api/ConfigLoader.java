package dev.hamij.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Loads the HAMi-J configuration: one YAML document shaped like HAMi's {@code device-config.yaml}
 * ({@code nvidia:} section) with optional per-node {@code nodeconfig:} entries, and optionally
 * HAMi's separate node-config document ({@code config.json}, {@code {"nodeconfig":[…]}}).
 *
 * <p>Guarantees: unknown keys and wrong or out-of-range values are rejected with a
 * {@link HamiFormatException} naming the key path (e.g. {@code nvidia.deviceSplitCount}), the
 * offending value and the file; missing keys take HAMi's chart defaults (see
 * {@link NvidiaConfig#defaults()}); a document without vendor section fails with
 * "all configurations are empty". Sections of HAMi's other vendors ({@code cambricon},
 * {@code hygon}, …) are accepted and ignored. I/O failures are {@link UncheckedIOException}.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  private static final ObjectMapper YAML =
      YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  static final String NVIDIA = "nvidia";
  static final String NODECONFIG = "nodeconfig";
  /** Vendor sections of HAMi's device config that HAMi-J (NVIDIA only) accepts and ignores. */
  static final List<String> OTHER_VENDORS = List.of("amd", "awsneuron", "biren", "cambricon", "enflame", "hygon",
      "iluvatars", "kunlun", "metax", "mthreads", "vastai", "vnpus");

  private static final List<String> NVIDIA_KEYS = List.of("resourceCountName", "resourceMemoryName",
      "resourceMemoryPercentageName", "resourceCoreName", "resourcePriorityName", "overwriteEnv", "defaultMemory",
      "defaultCores", "defaultGPUNum", "memoryFactor", "deviceSplitCount", "deviceMemoryScaling", "deviceCoreScaling",
      "preConfiguredDeviceMemory", "libCudaLogLevel", "enableNumaTopology", "disableCoreLimit", "gpuCorePolicy",
      "runtimeClassName", "knownMigGeometries", "migProfileAllowlist");
  private static final List<String> NODE_KEYS = List.of("name", "operatingmode", "devicememoryscaling",
      "devicecorescaling", "devicesplitcount", "preconfigureddevicememory", "libcudaloglevel", "enablenumatopology",
      "migstrategy", "filterdevices", "enablegetpreferredallocation");
  private static final List<String> GEOMETRY_KEYS = List.of("models", "allowedGeometries");
  private static final List<String> TEMPLATE_KEYS = List.of("name", "memory", "count", "core");
  private static final List<String> ALLOWLIST_KEYS = List.of("models", "profiles");
  private static final List<String> FILTER_KEYS = List.of("uuid", "index");

  /** Reads and parses a device-config YAML file. */
  public static HamiConfig load(Path file) {
    return parse(read(file), file.toString());
  }

  /** Reads a device-config YAML file and appends the entries of a separate node-config file. */
  public static HamiConfig load(Path deviceConfig, Path nodeConfig) {
    return load(deviceConfig).withNodeConfigs(loadNodeConfigs(nodeConfig));
  }

  /** Reads a node-config document ({@code config.json}, JSON or YAML). */
  public static List<NodeConfig> loadNodeConfigs(Path file) {
    return parseNodeConfigs(read(file), file.toString());
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read configuration file " + file, e);
    }
  }

  /**
   * Parses a device-config document.
   *
   * @param yaml the document text (YAML; JSON is YAML too)
   * @param source where it came from (a file name), used in error messages
   */
  public static HamiConfig parse(String yaml, String source) {
    ConfigTree root = tree(YAML, yaml, source);
    List<String> topKeys = new ArrayList<>(List.of(NVIDIA, NODECONFIG));
    topKeys.addAll(OTHER_VENDORS);
    Map<String, ConfigTree> top = root.mapping(topKeys, false);
    ConfigTree nvidia = top.get(NVIDIA);
    if (nvidia == null) {
      boolean anyVendor = top.keySet().stream().anyMatch(OTHER_VENDORS::contains);
      throw new HamiFormatException(NVIDIA, source, anyVendor
          ? "section missing: HAMi-J needs the nvidia section" : "all configurations are empty");
    }
    List<NodeConfig> nodes = top.containsKey(NODECONFIG) ? nodeConfigs(top.get(NODECONFIG)) : List.of();
    return new HamiConfig(nvidiaConfig(nvidia), nodes);
  }

  /**
   * Parses a node-config document: {@code {"nodeconfig": [ {...}, ... ]}} in JSON or YAML.
   *
   * @param source where it came from, used in error messages
   */
  public static List<NodeConfig> parseNodeConfigs(String text, String source) {
    boolean json = text != null && text.stripLeading().startsWith("{");
    ConfigTree root = tree(json ? JSON : YAML, text, source);
    ConfigTree list = root.mapping(List.of(NODECONFIG), json).get(NODECONFIG);
    return list == null ? List.of() : nodeConfigs(list);
  }

  private static ConfigTree tree(ObjectMapper mapper, String text, String source) {
    JsonNode node;
    try {
      node = text == null ? null : mapper.readTree(text);
    } catch (JacksonException e) {
      throw new HamiFormatException("(document)", source, "not valid " + (mapper == JSON ? "JSON" : "YAML") + ": "
          + e.getOriginalMessage() + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()), e);
    }
    if (node == null || node.isMissingNode() || node.isNull()
        || (node.isObject() && node.isEmpty())) {
      throw new HamiFormatException("(document)", source, "all configurations are empty");
    }
    return new ConfigTree(node, "", source);
  }

  private static NvidiaConfig nvidiaConfig(ConfigTree section) {
    NvidiaConfig d = NvidiaConfig.defaults();
    Map<String, ConfigTree> m = section.mapping(NVIDIA_KEYS, false);
    ResourceNames names = new ResourceNames(
        nameOr(m, "resourceCountName", d.resourceNames().count()),
        nameOr(m, "resourceMemoryName", d.resourceNames().memory()),
        nameOr(m, "resourceMemoryPercentageName", d.resourceNames().memoryPercentage()),
        nameOr(m, "resourceCoreName", d.resourceNames().cores()),
        nameOr(m, "resourcePriorityName", d.resourceNames().priority()));
    return new NvidiaConfig(names,
        m.containsKey("overwriteEnv") ? m.get("overwriteEnv").bool() : d.overwriteEnv(),
        intOr(m, "defaultMemory", 0, Integer.MAX_VALUE, d.defaultMemory()),
        intOr(m, "defaultCores", 0, 100, d.defaultCores()),
        intOr(m, "defaultGPUNum", 0, Integer.MAX_VALUE, d.defaultGPUNum()),
        intOr(m, "memoryFactor", 1, Integer.MAX_VALUE, d.memoryFactor()),
        intOr(m, "deviceSplitCount", 1, Integer.MAX_VALUE, d.deviceSplitCount()),
        m.containsKey("deviceMemoryScaling") ? m.get("deviceMemoryScaling").number(0, false) : d.deviceMemoryScaling(),
        m.containsKey("deviceCoreScaling") ? m.get("deviceCoreScaling").number(0, false) : d.deviceCoreScaling(),
        intOr(m, "preConfiguredDeviceMemory", 0, Integer.MAX_VALUE, d.preConfiguredDeviceMemory()),
        m.containsKey("libCudaLogLevel") ? logLevel(m.get("libCudaLogLevel")) : d.libCudaLogLevel(),
        m.containsKey("enableNumaTopology") ? m.get("enableNumaTopology").bool() : d.enableNumaTopology(),
        m.containsKey("disableCoreLimit") ? m.get("disableCoreLimit").bool() : d.disableCoreLimit(),
        m.containsKey("gpuCorePolicy") ? gpuCorePolicy(m.get("gpuCorePolicy")) : d.gpuCorePolicy(),
        m.containsKey("runtimeClassName") ? m.get("runtimeClassName").string() : d.runtimeClassName(),
        m.containsKey("knownMigGeometries") ? geometries(m.get("knownMigGeometries")) : d.knownMigGeometries(),
        m.containsKey("migProfileAllowlist") ? allowlist(m.get("migProfileAllowlist")) : d.migProfileAllowlist());
  }

  private static String nameOr(Map<String, ConfigTree> m, String key, String fallback) {
    return m.containsKey(key) ? m.get(key).nonEmptyString() : fallback;
  }

  private static int intOr(Map<String, ConfigTree> m, String key, long min, long max, int fallback) {
    return m.containsKey(key) ? m.get(key).integer(min, max) : fallback;
  }

  private static String gpuCorePolicy(ConfigTree t) {
    String s = t.string();
    return s.isEmpty() ? "default" : t.oneOf(new TreeSet<>(NvidiaConfig.GPU_CORE_POLICIES));
  }

  private static String logLevel(ConfigTree t) {
    String s = t.scalarText();
    if (!s.isEmpty() && GoText.parseInteger(s, 0, 4) == null) {
      throw t.error("expected a HAMi-core log level 0..4 (or empty)");
    }
    return s;
  }

  private static List<MigGeometry> geometries(ConfigTree t) {
    List<MigGeometry> out = new ArrayList<>();
    for (ConfigTree entry : t.sequence("{models, allowedGeometries} entries")) {
      Map<String, ConfigTree> m = entry.mapping(GEOMETRY_KEYS, false);
      List<String> models = entry.require(m, "models").nonEmptyStrings("model names");
      List<List<MigTemplate>> geometries = new ArrayList<>();
      ConfigTree allowed = entry.require(m, "allowedGeometries");
      for (ConfigTree geometry : allowed.sequence("geometries (each a list of templates)")) {
        List<MigTemplate> templates = new ArrayList<>();
        for (ConfigTree template : geometry.sequence("templates {name, memory, count, core}")) {
          templates.add(template(template));
        }
        if (templates.isEmpty()) {
          throw geometry.error("expected a non-empty list of templates");
        }
        geometries.add(templates);
      }
      if (geometries.isEmpty()) {
        throw allowed.error("expected a non-empty list of geometries");
      }
      out.add(new MigGeometry(models, geometries));
    }
    return out;
  }

  private static MigTemplate template(ConfigTree t) {
    Map<String, ConfigTree> m = t.mapping(TEMPLATE_KEYS, false);
    return new MigTemplate(profileName(t.require(m, "name")),
        t.require(m, "memory").integer(1, Integer.MAX_VALUE),
        t.require(m, "count").integer(1, Integer.MAX_VALUE),
        m.containsKey("core") ? m.get("core").integer(0, 100) : 0);
  }

  private static List<MigAllowlistEntry> allowlist(ConfigTree t) {
    List<MigAllowlistEntry> out = new ArrayList<>();
    for (ConfigTree entry : t.sequence("{models, profiles} entries")) {
      Map<String, ConfigTree> m = entry.mapping(ALLOWLIST_KEYS, false);
      List<String> models = entry.require(m, "models").nonEmptyStrings("model names");
      List<String> profiles = new ArrayList<>();
      ConfigTree list = entry.require(m, "profiles");
      for (ConfigTree p : list.sequence("MIG profile names")) {
        profiles.add(profileName(p));
      }
      if (profiles.isEmpty()) {
        throw list.error("expected a non-empty list of MIG profile names");
      }
      out.add(new MigAllowlistEntry(models, profiles));
    }
    return out;
  }

  private static String profileName(ConfigTree t) {
    String name = t.string();
    if (!MigProfileNames.isValid(name)) {
      throw t.error("expected " + MigProfileNames.EXPECTED);
    }
    return name;
  }

  private static List<NodeConfig> nodeConfigs(ConfigTree list) {
    List<NodeConfig> out = new ArrayList<>();
    for (ConfigTree entry : list.sequence("per-node entries {name, operatingmode, ...}")) {
      Map<String, ConfigTree> m = entry.mapping(NODE_KEYS, true);
      NodeConfig.FilterDevices filter = NodeConfig.FilterDevices.NONE;
      if (m.containsKey("filterdevices")) {
        Map<String, ConfigTree> f = m.get("filterdevices").mapping(FILTER_KEYS, true);
        List<String> uuids = new ArrayList<>();
        if (f.containsKey("uuid")) {
          for (ConfigTree u : f.get("uuid").sequence("GPU UUIDs")) {
            uuids.add(u.nonEmptyString());
          }
        }
        List<Integer> indexes = new ArrayList<>();
        if (f.containsKey("index")) {
          for (ConfigTree i : f.get("index").sequence("GPU indexes")) {
            indexes.add(i.integer(0, Integer.MAX_VALUE));
          }
        }
        filter = new NodeConfig.FilterDevices(uuids, indexes);
      }
      String mode = null;
      if (m.containsKey("operatingmode")) {
        ConfigTree t = m.get("operatingmode");
        mode = t.isEmptyString() ? null : t.oneOf(new TreeSet<>(NodeConfig.OPERATING_MODES));
      }
      String migStrategy = null;
      if (m.containsKey("migstrategy")) {
        ConfigTree t = m.get("migstrategy");
        migStrategy = t.isEmptyString() ? null : t.oneOf(new TreeSet<>(NodeConfig.MIG_STRATEGIES));
      }
      out.add(new NodeConfig(entry.require(m, "name").nonEmptyString(), mode,
          m.containsKey("devicesplitcount") ? m.get("devicesplitcount").integer(0, Integer.MAX_VALUE) : null,
          m.containsKey("devicememoryscaling") ? m.get("devicememoryscaling").number(0, true) : null,
          m.containsKey("devicecorescaling") ? m.get("devicecorescaling").number(0, true) : null,
          m.containsKey("preconfigureddevicememory") ? m.get("preconfigureddevicememory").integer(0, Integer.MAX_VALUE) : null,
          m.containsKey("libcudaloglevel") ? logLevel(m.get("libcudaloglevel")) : null,
          m.containsKey("enablenumatopology") ? m.get("enablenumatopology").bool() : null,
          migStrategy, filter,
          m.containsKey("enablegetpreferredallocation") ? m.get("enablegetpreferredallocation").bool() : null));
    }
    return out;
  }
}
