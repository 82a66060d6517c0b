package dev.hamij.nvidia;

import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.EventData;
import dev.hamij.nvml.EventSet;
import dev.hamij.nvml.Nvml;
import dev.hamij.nvml.NvmlException;
import dev.hamij.nvml.NvmlFunction;
import dev.hamij.nvml.NvmlReturn;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Watches NVML XID events of the node's GPUs and feeds a {@link GpuHealthTracker} (node.md §2.6, with the §9 #5/#6
 * fixes): a critical XID (per {@link XidPolicy}) marks only the GPU it came from unhealthy; a GPU whose events cannot
 * be registered is unhealthy until registration succeeds (old GPUs answering {@code NOT_SUPPORTED} stay healthy);
 * when waiting for events fails, each GPU is probed and only the unreachable ones are marked, instead of all. After
 * every wait the tracker gets a {@link GpuHealthTracker#tick tick} with an NVML probe, so GPUs recover. No NVML error
 * ends the watcher.
 *
 * <p>{@link #start()} runs the loop on a daemon thread; tests drive {@link #pollOnce} directly. The {@link Nvml} must
 * be initialised by the caller for the watcher's lifetime. A GPU's recovery is noticed at the latest one wait after
 * its quiet period ends.
 */
public final class XidHealthWatcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(XidHealthWatcher.class.getName());
  private static final long WATCHED_EVENTS = EventData.XID_CRITICAL_ERROR;
  private static final Duration DEFAULT_WAIT = Duration.ofSeconds(5);
  private static final long ERROR_BACKOFF_MS = 1000;

  private final Nvml nvml;
  private final List<String> gpuUuids;
  private final XidPolicy policy;
  private final GpuHealthTracker tracker;
  private final int waitMs;
  private final Set<String> registered = new LinkedHashSet<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Object lifecycle = new Object();
  private EventSet eventSet;
  private Thread thread;

  /** A watcher of these GPUs (by UUID) that waits up to 5 s for each event. */
  public XidHealthWatcher(Nvml nvml, List<String> gpuUuids, XidPolicy policy, GpuHealthTracker tracker) {
    this(nvml, gpuUuids, policy, tracker, DEFAULT_WAIT);
  }

  /** A watcher of these GPUs (by UUID) that waits up to {@code wait} (at least 1 ms) for each event. */
  public XidHealthWatcher(Nvml nvml, List<String> gpuUuids, XidPolicy policy, GpuHealthTracker tracker,
      Duration wait) {
    if (wait.toMillis() < 1 || wait.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("XID event wait must be between 1 ms and " + Integer.MAX_VALUE
          + " ms, got " + wait);
    }
    this.nvml = nvml;
    this.gpuUuids = List.copyOf(gpuUuids);
    this.policy = policy;
    this.tracker = tracker;
    this.waitMs = (int) wait.toMillis();
  }

  /** Starts the watch loop on a daemon thread; does nothing when the policy turns health checks off. */
  public void start() {
    if (!policy.healthChecksEnabled()) {
      LOG.log(Level.INFO, "XID health checks disabled ({0})", policy);
      return;
    }
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("XID health watcher already started");
      }
      thread = new Thread(this::loop, "xid-health-watcher");
      thread.setDaemon(true);
      thread.start();
    }
  }

  private void loop() {
    while (stopped.getCount() > 0) {
      try {
        if (!pollOnce(waitMs)) {
          stopped.await(ERROR_BACKOFF_MS, TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "XID health watcher iteration failed; continuing", e);
      }
    }
  }

  /**
   * One iteration: register GPUs not yet registered, wait up to {@code timeoutMs} for one event and handle it, then
   * tick the tracker. Returns false when waiting failed (the caller should back off).
   */
  synchronized boolean pollOnce(int timeoutMs) {
    if (eventSet == null) {
      eventSet = nvml.createEventSet();
    }
    registerPending();
    boolean waited = true;
    try {
      nvml.waitForEvent(eventSet, timeoutMs).ifPresent(this::handle);
    } catch (NvmlException e) {
      waited = false;
      probeAll("waiting for NVML events failed: " + e.getMessage());
    }
    tracker.tick(this::reachable);
    return waited;
  }

  private void registerPending() {
    for (String uuid : gpuUuids) {
      if (registered.contains(uuid)) {
        continue;
      }
      try {
        DeviceHandle device = nvml.deviceByUuid(uuid).orElseThrow(() -> new NvmlException(NvmlReturn.NOT_FOUND,
            NvmlFunction.DEVICE_BY_UUID, uuid));
        long mask = WATCHED_EVENTS & nvml.supportedEventTypes(device);
        nvml.registerEvents(device, mask, eventSet);
        registered.add(uuid);
      } catch (NvmlException e) {
        if (e.code() == NvmlReturn.NOT_SUPPORTED) {
          LOG.log(Level.WARNING, "GPU {0} cannot report XID events (too old?); it stays healthy: {1}", uuid,
              e.getMessage());
          registered.add(uuid);
        } else {
          tracker.markUnhealthy(uuid, "cannot watch XID events: " + e.getMessage());
        }
      }
    }
  }

  private void handle(EventData event) {
    if (!event.isXid() || !policy.isCritical(event.eventData())) {
      return;
    }
    String uuid;
    try {
      uuid = nvml.uuid(event.device());
    } catch (NvmlException e) {
      probeAll("XID " + event.eventData() + " from a device NVML cannot name: " + e.getMessage());
      return;
    }
    if (gpuUuids.contains(uuid)) {
      tracker.markUnhealthy(uuid, "XID " + event.eventData());
    }
  }

  private void probeAll(String reason) {
    for (String uuid : gpuUuids) {
      if (!reachable(uuid)) {
        tracker.markUnhealthy(uuid, reason);
        registered.remove(uuid);
      }
    }
  }

  /** The GPU answers NVML: it has a handle and a UUID. */
  private boolean reachable(String uuid) {
    try {
      Optional<DeviceHandle> device = nvml.deviceByUuid(uuid);
      return device.isPresent() && uuid.equals(nvml.uuid(device.get()));
    } catch (NvmlException e) {
      return false;
    }
  }

  /** Stops the loop and frees the event set. */
  @Override
  public void close() {
    stopped.countDown();
    Thread t;
    synchronized (lifecycle) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(waitMs + 5000L);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      if (eventSet != null) {
        try {
          nvml.freeEventSet(eventSet);
        } catch (NvmlException e) {
          LOG.log(Level.WARNING, "cannot free NVML event set", e);
        }
        eventSet = null;
      }
    }
  }
}
