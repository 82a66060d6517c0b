package dev.hamij.mig;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;

/**
 * How the MIG manager of one node behaves.
 *
 * @param nodeName the node, for messages
 * @param filterDevices GPUs this software never touches ({@code nodeconfig[].filterdevices})
 * @param switchMigMode off by default: MIG mode is never changed. When on, a GPU whose MIG mode is disabled (and not
 *     pending) gets {@code nvmlDeviceSetMigMode(ENABLE)} at the first reservation that needs it; a change NVML leaves
 *     pending still fails that reservation. No GPU is ever reset, with or without this option.
 * @param identityWriteAttempts how often the runtime-identity write-back re-reads the pod and retries after a 409
 * @param profileTable profile names to NVML profiles (NVML's own v2 profile names are consulted when the table lacks
 *     the GPU or the name)
 */
public record MigSettings(String nodeName, NodeConfig.FilterDevices filterDevices, boolean switchMigMode,
    int identityWriteAttempts, MigProfileTable profileTable) {

  /** Attempts of the identity write-back unless changed. */
  public static final int DEFAULT_IDENTITY_WRITE_ATTEMPTS = 5;

  public MigSettings {
    if (nodeName == null || nodeName.isEmpty()) {
      throw new IllegalArgumentException("MIG settings need the node name");
    }
    if (identityWriteAttempts < 1) {
      throw new IllegalArgumentException("node " + nodeName + ": identityWriteAttempts must be at least 1, got "
          + identityWriteAttempts);
    }
    filterDevices = filterDevices == null ? NodeConfig.FilterDevices.NONE : filterDevices;
    if (profileTable == null) {
      throw new IllegalArgumentException("node " + nodeName + ": MIG settings need a profile table");
    }
  }

  /**
   * The settings of {@code nodeName} in a HAMi configuration: its {@code filterdevices}, MIG mode never switched,
   * the bundled profile table.
   *
   * @throws IllegalArgumentException when the node's {@code operatingmode} is not {@code mig}
   */
  public static MigSettings of(HamiConfig config, String nodeName) {
    NodeConfig node = config.nodeConfigFor(nodeName);
    if (!GpuDevice.MODE_MIG.equals(node.operatingModeOrDefault())) {
      throw new IllegalArgumentException("node " + nodeName + ": nodeconfig operatingmode is "
          + node.operatingModeOrDefault() + "; the MIG manager runs only on nodes with operatingmode: mig");
    }
    return new MigSettings(nodeName, node.filterDevices(), false, DEFAULT_IDENTITY_WRITE_ATTEMPTS,
        MigProfileTable.bundled());
  }

  /** These settings with MIG-mode switching turned on or off. */
  public MigSettings withMigModeSwitching(boolean enabled) {
    return new MigSettings(nodeName, filterDevices, enabled, identityWriteAttempts, profileTable);
  }

  /** These settings with another number of identity write-back attempts. */
  public MigSettings withIdentityWriteAttempts(int attempts) {
    return new MigSettings(nodeName, filterDevices, switchMigMode, attempts, profileTable);
  }
}
