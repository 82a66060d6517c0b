package dev.hamij.extender;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Whether this replica is the leader. Without leader election it always is; with it, fabric8's
 * Lease-based {@link LeaderElector} campaigns for {@code <namespace>/<name>}, keeps campaigning after
 * a loss, and reports transitions: {@code onStart} runs to completion (the ledger rebuild) before
 * {@link #isLeader()} turns true, and {@link #isLeader()} turns false before {@code onStop} runs.
 */
final class Leadership implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Leadership.class.getName());

  private volatile boolean leader;
  private volatile boolean closed;
  private final ExecutorService executor;
  private final Supplier<LeaderElector> electors;
  private volatile CompletableFuture<?> running;

  private Leadership(boolean leader, ExecutorService executor, Supplier<LeaderElector> electors) {
    this.leader = leader;
    this.executor = executor;
    this.electors = electors;
  }

  /** Leader election off: always the leader. */
  static Leadership always() {
    return new Leadership(true, null, null);
  }

  /**
   * Campaigns for the Lease {@code namespace/name} as {@code identity}.
   *
   * @param onStart run when leadership is won, before this replica reports itself leader
   * @param onStop run after leadership is lost
   */
  static Leadership elect(KubernetesClient client, String namespace, String name, String identity,
      Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, Runnable onStart, Runnable onStop) {
    ExecutorService executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "hami-leader-election");
      t.setDaemon(true);
      return t;
    });
    Leadership[] self = new Leadership[1];
    Supplier<LeaderElector> electors = () -> client.leaderElector()
        .withConfig(new LeaderElectionConfigBuilder()
            .withName(name)
            .withLock(new LeaseLock(namespace, name, identity))
            .withLeaseDuration(leaseDuration)
            .withRenewDeadline(renewDeadline)
            .withRetryPeriod(retryPeriod)
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(new LeaderCallbacks(
                () -> {
                  LOG.info(identity + " became the leader; rebuilding the ledger");
                  onStart.run();
                  self[0].leader = true;
                  LOG.info(identity + " is ready to schedule");
                },
                () -> {
                  self[0].leader = false;
                  LOG.info(identity + " lost leadership");
                  onStop.run();
                },
                newLeader -> LOG.info("leader is now " + newLeader)))
            .build())
        .build();
    Leadership l = new Leadership(false, executor, electors);
    self[0] = l;
    l.campaign();
    return l;
  }

  private void campaign() {
    if (closed) {
      return;
    }
    // a LeaderElector runs once: each campaign after a loss needs a new one
    running = electors.get().start();
    running.whenComplete((ok, error) -> {
      leader = false;
      if (!closed) {
        executor.execute(this::campaign);
      }
    });
  }

  boolean isLeader() {
    return leader;
  }

  @Override
  public void close() {
    closed = true;
    leader = false;
    CompletableFuture<?> r = running;
    if (r != null) {
      r.cancel(true);
    }
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
