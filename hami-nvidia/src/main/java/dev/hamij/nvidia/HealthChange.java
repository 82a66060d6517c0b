package dev.hamij.nvidia;

import java.time.Instant;
import java.util.Objects;

/**
 * A GPU turned unhealthy or healthy again.
 *
 * @param uuid the GPU
 * @param healthy its new state
 * @param reason why, e.g. {@code XID 79} or {@code no critical XID for PT10M}
 * @param at when, by the tracker's clock
 */
public record HealthChange(String uuid, boolean healthy, String reason, Instant at) {
  public HealthChange {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(at, "at");
  }
}
