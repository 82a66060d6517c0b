package dev.hamij.extender;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Whether this replica is the leader. Without leader election it always is. With {@link #elect},
 * fabric8's Lease-based {@link LeaderElector} campaigns for {@code <namespace>/<name>} and keeps
 * campaigning after a loss. With {@link #follow} (HAMi's way, scheduler.md §9.4) it campaigns for
 * nothing and follows the Lease of the kube-scheduler in the same pod, so the active kube-scheduler
 * always talks to the leading extender. Either way {@code onStart} runs to completion (the ledger
 * rebuild) before {@link #isLeader()} turns true, and {@link #isLeader()} turns false before
 * {@code onStop} runs.
 */
final class Leadership implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Leadership.class.getName());

  private volatile boolean leader;
  private volatile boolean closed;
  private final ExecutorService executor;
  private final Supplier<LeaderElector> electors;
  private ScheduledExecutorService follower;
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

  /**
   * Follows the Lease {@code namespace/name} held by a co-located kube-scheduler: leader while its
   * {@code holderIdentity} is {@code hostname} or starts with {@code hostname_} (kube-scheduler's
   * identity format) and {@code renewTime + leaseDurationSeconds} lies in the future. Polled every
   * {@code period}.
   */
  static Leadership follow(KubernetesClient client, String namespace, String name, String hostname, Duration period,
      Runnable onStart, Runnable onStop) {
    Leadership l = new Leadership(false, null, null);
    l.follower = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hami-leader-follow");
      t.setDaemon(true);
      return t;
    });
    l.follower.scheduleWithFixedDelay(() -> {
      boolean now;
      try {
        Lease lease = client.leases().inNamespace(namespace).withName(name).get();
        now = holds(lease, hostname, Instant.now());
      } catch (RuntimeException e) {
        LOG.warning("cannot read Lease " + namespace + "/" + name + ": " + e.getMessage());
        now = false;
      }
      if (now && !l.leader) {
        LOG.info(hostname + " follows the leading kube-scheduler; rebuilding the ledger");
        onStart.run();
        l.leader = true;
      } else if (!now && l.leader) {
        l.leader = false;
        LOG.info(hostname + " is no longer next to the leading kube-scheduler");
        onStop.run();
      }
    }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    return l;
  }

  /** True when {@code lease} is held by {@code hostname} (kube-scheduler identity {@code hostname_<uuid>}) and valid at {@code now}. */
  static boolean holds(Lease lease, String hostname, Instant now) {
    if (lease == null || lease.getSpec() == null) {
      return false;
    }
    LeaseSpec spec = lease.getSpec();
    String holder = spec.getHolderIdentity();
    if (holder == null || !(holder.equals(hostname) || holder.startsWith(hostname + "_"))) {
      return false;
    }
    if (spec.getRenewTime() == null || spec.getLeaseDurationSeconds() == null) {
      return false;
    }
    return now.isBefore(spec.getRenewTime().toInstant().plusSeconds(spec.getLeaseDurationSeconds()));
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
    if (follower != null) {
      follower.shutdownNow();
    }
  }
}
