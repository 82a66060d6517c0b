package dev.hamij.api;

import java.util.ArrayList;
import java.util.List;

/**
 * Legacy template MIG configuration for a family of GPU models (scheduler.md §6.1): the ordered
 * geometries a GPU of one of {@code models} may be split into, each an ordered list of templates.
 */
public record MigGeometry(List<String> models, List<List<MigTemplate>> allowedGeometries) {
  public MigGeometry {
    if (models.isEmpty() || allowedGeometries.isEmpty()) {
      throw new IllegalArgumentException("a MIG geometry entry needs models and geometries");
    }
    models = List.copyOf(models);
    List<List<MigTemplate>> copy = new ArrayList<>(allowedGeometries.size());
    for (List<MigTemplate> g : allowedGeometries) {
      if (g.isEmpty()) {
        throw new IllegalArgumentException("a MIG geometry must hold at least one template");
      }
      copy.add(List.copyOf(g));
    }
    allowedGeometries = List.copyOf(copy);
  }

  /** True when one of the model strings is a substring of the registered device type (upstream's rule). */
  public boolean matches(String deviceType) {
    return models.stream().anyMatch(deviceType::contains);
  }
}
