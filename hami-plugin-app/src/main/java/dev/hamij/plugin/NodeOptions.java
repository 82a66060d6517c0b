package dev.hamij.plugin;

import dev.hamij.api.ConfigLoader;
import dev.hamij.api.HamiConfig;
import dev.hamij.nvidia.RegisterAnnotations;
import dev.hamij.nvml.JnaNvml;
import dev.hamij.nvml.Nvml;
import dev.hamij.nvml.SimulatedNvml;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The options {@code serve} and {@code discover} share: which node, its configuration, its NVML. */
final class NodeOptions {

  @Option(names = "--node-name", defaultValue = "${env:NODE_NAME}",
      description = "this node's name (default: env NODE_NAME)")
  String nodeName;

  @Option(names = "--device-config", defaultValue = "${env:DEVICE_CONFIG_FILE}",
      description = "HAMi's device-config.yaml (nvidia section, optional nodeconfig entries); default: env"
          + " DEVICE_CONFIG_FILE, else HAMi's chart defaults")
  Path deviceConfig;

  @Option(names = "--node-config", description = "HAMi's per-node config.json ({\"nodeconfig\": [...]}), optional")
  Path nodeConfig;

  @Option(names = "--simulate", paramLabel = "FILE",
      description = "use a simulated NVML described by this YAML file instead of libnvidia-ml.so.1")
  Path simulate;

  @Option(names = "--register-format", defaultValue = "json",
      description = "node annotation format: json (HAMi v2.8+ schedulers) or legacy (v2.5-v2.7: legacy string"
          + " and the 'Reported' handshake) (default: ${DEFAULT-VALUE})")
  String registerFormat;

  /** The node name; required. */
  String nodeName() {
    if (nodeName == null || nodeName.isBlank()) {
      throw new IllegalArgumentException("--node-name (or env NODE_NAME) is required");
    }
    return nodeName;
  }

  /** The configuration: the device config (or chart defaults) plus the node config's entries. */
  HamiConfig config() {
    HamiConfig config = deviceConfig == null ? HamiConfig.defaults() : ConfigLoader.load(deviceConfig);
    return nodeConfig == null ? config : config.withNodeConfigs(ConfigLoader.loadNodeConfigs(nodeConfig));
  }

  /** The simulated NVML of {@code --simulate}, else the driver's. Not initialised yet. */
  Nvml nvml() {
    return simulate != null ? SimulatedNvml.fromYaml(simulate) : JnaNvml.system();
  }

  RegisterAnnotations.Format registerFormat() {
    switch (registerFormat.toLowerCase(Locale.ROOT)) {
      case "json":
        return RegisterAnnotations.Format.JSON;
      case "legacy":
        return RegisterAnnotations.Format.LEGACY;
      default:
        throw new IllegalArgumentException("--register-format: expected json or legacy, got '" + registerFormat
            + "'");
    }
  }
}
