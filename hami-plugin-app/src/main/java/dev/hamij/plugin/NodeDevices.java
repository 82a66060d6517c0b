package dev.hamij.plugin;

import dev.hamij.api.HamiConfig;
import dev.hamij.nvidia.DiscoveredGpu;
import dev.hamij.nvidia.GpuDiscovery;
import dev.hamij.nvidia.GpuHealthTracker;
import dev.hamij.nvidia.HealthChange;
import dev.hamij.nvidia.NodeInventory;
import dev.hamij.nvidia.XidHealthWatcher;
import dev.hamij.nvidia.XidPolicy;
import dev.hamij.nvml.Nvml;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The node's GPUs as kubelet and the scheduler see them: discovered through NVML with hami-nvidia's
 * {@link GpuDiscovery}, their health kept by a {@link GpuHealthTracker} fed by an
 * {@link XidHealthWatcher} (unhealthy after a critical XID, healthy again after a quiet period), and
 * the {@link DeviceList} that ListAndWatch streams. Every health change is pushed to ListAndWatch at
 * once; every {@link #rediscover} (one per register cycle) refreshes the descriptions too, so a GPU
 * NVML lost turns unhealthy even without an XID. Thread-safe.
 */
final class NodeDevices implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(NodeDevices.class.getName());

  private final GpuDiscovery discovery;
  private final GpuHealthTracker tracker;
  private Supplier<Map<String, String>> withheld = Map::of;
  private Map<String, String> reportedWithheld = Map.of();
  private final XidHealthWatcher watcher;
  private final DeviceList list;
  private final Set<String> reportedWarnings = new HashSet<>();
  private NodeInventory discovered;

  /**
   * Discovers the GPUs once; the caller keeps {@code nvml} initialised while this object lives.
   *
   * @param quietPeriod how long a GPU must stay free of critical XIDs to be healthy again
   * @param xidWait the longest wait for one XID event; recovery is noticed within it
   */
  NodeDevices(Nvml nvml, HamiConfig config, String nodeName, XidPolicy policy, Duration quietPeriod,
      Duration xidWait, Clock clock) {
    this.discovery = GpuDiscovery.forNode(nvml, config, nodeName);
    this.tracker = new GpuHealthTracker(quietPeriod, clock, this::healthChanged);
    synchronized (this) {
      this.discovered = discovery.discover();
      logWarnings(discovered);
      this.list = new DeviceList(current().advertisedDevices());
    }
    this.watcher = new XidHealthWatcher(nvml, discovered.gpus().stream().map(DiscoveredGpu::uuid).toList(),
        policy, tracker, xidWait);
  }

  /** Starts watching XID events. */
  void start() {
    watcher.start();
  }

  /** The devices ListAndWatch streams. */
  DeviceList deviceList() {
    return list;
  }

  /**
   * From now on GPUs named by {@code reasons} (UUID to reason, asked anew at every publication) are advertised
   * unhealthy, to kubelet and in the register annotation, so no pod is scheduled onto a GPU that cannot serve it
   * (for example a MIG-mode change pending until a GPU reset); the reason is logged once per change.
   */
  void withhold(Supplier<Map<String, String>> reasons) {
    synchronized (this) {
      withheld = reasons;
      publish();
    }
  }

  /** The latest discovery with the tracked health and the withheld GPUs applied. */
  synchronized NodeInventory current() {
    Map<String, String> blocked = withheld.get();
    if (!blocked.equals(reportedWithheld)) {
      blocked.forEach((uuid, reason) -> {
        if (!reason.equals(reportedWithheld.get(uuid))) {
          LOG.log(Level.WARNING, "GPU " + uuid + " advertised unhealthy: " + reason);
        }
      });
      reportedWithheld = Map.copyOf(blocked);
    }
    return discovered.withHealth(uuid -> tracker.isHealthy(uuid) && !blocked.containsKey(uuid));
  }

  /** Discovers again, publishes the result to ListAndWatch and returns it. */
  NodeInventory rediscover() {
    NodeInventory fresh = discovery.discover();
    synchronized (this) {
      discovered = fresh;
      logWarnings(fresh);
      return publish();
    }
  }

  private void healthChanged(HealthChange change) {
    LOG.log(change.healthy() ? Level.INFO : Level.WARNING, "GPU " + change.uuid() + " is "
        + (change.healthy() ? "healthy again" : "unhealthy") + ": " + change.reason());
    synchronized (this) {
      publish();
    }
  }

  private NodeInventory publish() {
    NodeInventory inventory = current();
    list.replace(inventory.advertisedDevices());
    return inventory;
  }

  private void logWarnings(NodeInventory inventory) {
    List<String> warnings = inventory.warnings();
    for (String warning : warnings) {
      if (reportedWarnings.add(warning)) {
        LOG.log(Level.WARNING, "GPU discovery: " + warning);
      }
    }
    reportedWarnings.retainAll(warnings);
  }

  /** Stops watching XID events. */
  @Override
  public void close() {
    watcher.close();
  }
}
