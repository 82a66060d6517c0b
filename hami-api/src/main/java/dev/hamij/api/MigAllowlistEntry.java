package dev.hamij.api;

import java.util.List;

/**
 * One {@code migProfileAllowlist} entry (scheduler.md §6.2.1, node.md §4.3.1): the MIG profiles a
 * node may advertise for GPUs whose NVML name contains one of {@code models}.
 * Guarantees: both lists are non-empty and every profile name has the form {@code <N>g.<…>}.
 */
public record MigAllowlistEntry(List<String> models, List<String> profiles) {
  public MigAllowlistEntry {
    models = List.copyOf(models);
    profiles = List.copyOf(profiles);
    if (models.isEmpty() || profiles.isEmpty() || models.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException("an allowlist entry needs non-empty models and profiles");
    }
    for (String p : profiles) {
      if (!MigProfileNames.isValid(p)) {
        throw new IllegalArgumentException("invalid MIG profile name " + p);
      }
    }
  }

  /** True when one of the model strings is a substring of the GPU's NVML name (upstream's rule). */
  public boolean matches(String nvmlName) {
    return models.stream().anyMatch(nvmlName::contains);
  }
}
