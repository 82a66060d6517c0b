package dev.hamij.plugin;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Keeps this node's register annotations on the Node object (node.md §2.5, §9 #3/#4): one cycle right
 * away, then the next {@code interval} after a successful cycle or {@code retry} after a failed one,
 * on one thread that lives as long as this object — kubelet restarts never start another loop. A cycle
 * compares what it would write with the Node's current annotations and patches only the keys that
 * differ, so an annotation someone deleted or changed is repaired at the next cycle; the legacy
 * {@code hami.io/node-handshake: Reported <time>} differs every time and is rewritten every cycle, as
 * v2.5–v2.7 schedulers need.
 */
final class RegisterLoop implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(RegisterLoop.class.getName());

  private final NodeApi api;
  private final Supplier<Map<String, String>> desired;
  private final Duration interval;
  private final Duration retry;
  private final ScheduledExecutorService thread = NamedThreads.scheduler("hami-register");
  private final AtomicInteger cycles = new AtomicInteger();
  private final AtomicInteger patches = new AtomicInteger();
  private String lastProblem;

  /**
   * @param desired the annotations this node should carry now (computed at every cycle)
   */
  RegisterLoop(NodeApi api, Supplier<Map<String, String>> desired, Duration interval, Duration retry) {
    this.api = api;
    this.desired = desired;
    this.interval = interval;
    this.retry = retry;
  }

  /** Runs the first cycle now and keeps cycling until {@link #close}. */
  void start() {
    thread.execute(this::runAndReschedule);
  }

  /** Cycles run so far. */
  int cycles() {
    return cycles.get();
  }

  /** Cycles that patched the Node so far. */
  int patches() {
    return patches.get();
  }

  private void runAndReschedule() {
    Duration next = cycle() ? interval : retry;
    try {
      thread.schedule(this::runAndReschedule, next.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  /** One cycle; true when the Node carries the annotations afterwards. */
  private boolean cycle() {
    cycles.incrementAndGet();
    try {
      Map<String, String> wanted = desired.get();
      Map<String, String> current = api.node().annotations();
      Map<String, String> changed = new HashMap<>();
      wanted.forEach((key, value) -> {
        if (!Objects.equals(current.get(key), value)) {
          changed.put(key, value);
        }
      });
      if (!changed.isEmpty()) {
        api.patchNodeAnnotations(null, changed);
        patches.incrementAndGet();
        LOG.log(Level.DEBUG, "node " + api.nodeName() + ": wrote " + changed.keySet());
      }
      if (lastProblem != null) {
        LOG.log(Level.INFO, "node " + api.nodeName() + ": register annotations written again");
        lastProblem = null;
      }
      return true;
    } catch (RuntimeException e) {
      if (Thread.currentThread().isInterrupted()) {
        return false; // closing
      }
      String problem = String.valueOf(e.getMessage());
      if (!problem.equals(lastProblem)) {
        LOG.log(Level.WARNING, "node " + api.nodeName() + ": cannot write the register annotations (retrying"
            + " every " + retry + "): " + problem);
        lastProblem = problem;
      }
      return false;
    }
  }

  /** Stops the loop; a cycle in progress finishes first. */
  @Override
  public void close() {
    new ClosingSteps().stop("stopping the register loop", thread).finish();
  }
}
