package dev.hamij.nvidia;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Health state of the node's GPUs, driven by a {@link Clock}. A GPU starts healthy; {@link #markUnhealthy} makes it
 * unhealthy; {@link #tick} makes it healthy again once {@code quietPeriod} has passed since its last problem and a
 * probe of the GPU succeeds (upstream never recovers; node.md §9 #6). Every change is reported once to the listener,
 * outside the tracker's lock; a listener that throws is logged and does not disturb tracking. Problems of one GPU
 * never change another's state. Thread-safe.
 */
public final class GpuHealthTracker {
  private static final System.Logger LOG = System.getLogger(GpuHealthTracker.class.getName());

  private final Duration quietPeriod;
  private final Clock clock;
  private final Consumer<HealthChange> listener;
  /** Last problem time of each unhealthy GPU; GPUs not in the map are healthy. */
  private final Map<String, Instant> unhealthySince = new LinkedHashMap<>();

  /** A tracker that reports changes to {@code listener}; {@code quietPeriod} must not be negative. */
  public GpuHealthTracker(Duration quietPeriod, Clock clock, Consumer<HealthChange> listener) {
    if (quietPeriod.isNegative()) {
      throw new IllegalArgumentException("quietPeriod must not be negative, got " + quietPeriod);
    }
    this.quietPeriod = quietPeriod;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** True unless the GPU is currently unhealthy. */
  public synchronized boolean isHealthy(String uuid) {
    return !unhealthySince.containsKey(uuid);
  }

  /** The GPUs currently unhealthy. */
  public synchronized Set<String> unhealthy() {
    return Set.copyOf(unhealthySince.keySet());
  }

  /** Records a problem: the GPU becomes (or stays) unhealthy and its quiet period restarts now. */
  public void markUnhealthy(String uuid, String reason) {
    HealthChange change = null;
    synchronized (this) {
      Instant now = clock.instant();
      if (unhealthySince.put(uuid, now) == null) {
        change = new HealthChange(uuid, false, reason, now);
      }
    }
    emit(change);
  }

  /**
   * Makes healthy again every unhealthy GPU whose quiet period has passed and for which {@code probe} answers true;
   * a failing probe restarts the quiet period. Returns the changes made.
   */
  public List<HealthChange> tick(Predicate<String> probe) {
    List<String> due = new ArrayList<>();
    synchronized (this) {
      Instant now = clock.instant();
      unhealthySince.forEach((uuid, since) -> {
        if (!now.isBefore(since.plus(quietPeriod))) {
          due.add(uuid);
        }
      });
    }
    List<HealthChange> changes = new ArrayList<>();
    for (String uuid : due) {
      boolean reachable = probe.test(uuid);
      synchronized (this) {
        Instant now = clock.instant();
        Instant since = unhealthySince.get(uuid);
        if (since == null || now.isBefore(since.plus(quietPeriod))) {
          continue;
        }
        if (reachable) {
          unhealthySince.remove(uuid);
          changes.add(new HealthChange(uuid, true, "no critical XID for " + quietPeriod, now));
        } else {
          unhealthySince.put(uuid, now);
        }
      }
    }
    changes.forEach(this::emit);
    return List.copyOf(changes);
  }

  private void emit(HealthChange change) {
    if (change == null) {
      return;
    }
    try {
      listener.accept(change);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "health listener failed on " + change, e);
    }
  }
}
