package dev.hamij.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The whole HAMi-J configuration: the shared {@code nvidia:} section and the per-node override
 * entries. Load it with {@link ConfigLoader}; {@link #defaults()} is HAMi's chart configuration.
 */
public record HamiConfig(NvidiaConfig nvidia, List<NodeConfig> nodeConfigs) {
  public HamiConfig {
    if (nvidia == null) {
      throw new IllegalArgumentException("nvidia section must not be null");
    }
    nodeConfigs = List.copyOf(nodeConfigs);
  }

  /** HAMi's chart defaults and no node overrides. */
  public static HamiConfig defaults() {
    return new HamiConfig(NvidiaConfig.defaults(), List.of());
  }

  /**
   * The node's merged override entry: every entry named {@code nodeName} applied in order (later
   * entries win for the values they set). Never null; an entry that sets nothing when none match.
   */
  public NodeConfig nodeConfigFor(String nodeName) {
    NodeConfig merged = NodeConfig.named(nodeName);
    for (NodeConfig c : nodeConfigs) {
      if (c.name().equals(nodeName)) {
        merged = merged.overriddenBy(c);
      }
    }
    return merged;
  }

  /** The shared {@code nvidia:} values with the node's overrides applied. */
  public NvidiaConfig effectiveFor(String nodeName) {
    return nvidia.withNodeOverrides(nodeConfigFor(nodeName));
  }

  /** The node's operating mode ({@code hami-core} unless an entry sets another). */
  public String operatingModeFor(String nodeName) {
    return nodeConfigFor(nodeName).operatingModeOrDefault();
  }

  /** This configuration with {@code more} node entries appended (they win over existing ones). */
  public HamiConfig withNodeConfigs(List<NodeConfig> more) {
    List<NodeConfig> all = new ArrayList<>(nodeConfigs);
    all.addAll(more);
    return new HamiConfig(nvidia, all);
  }
}
