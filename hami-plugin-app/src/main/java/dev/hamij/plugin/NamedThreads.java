package dev.hamij.plugin;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon threads named {@code <prefix>-<n>}, so a thread dump says who started each of them. */
final class NamedThreads implements ThreadFactory {

  private final String prefix;
  private final AtomicInteger counter = new AtomicInteger();

  NamedThreads(String prefix) {
    this.prefix = prefix;
  }

  /**
   * A one-thread scheduler for a background loop: after {@code shutdown()} a run in progress
   * finishes, pending delayed and periodic runs are dropped.
   */
  static ScheduledThreadPoolExecutor scheduler(String prefix) {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, new NamedThreads(prefix));
    scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    scheduler.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    return scheduler;
  }

  @Override
  public Thread newThread(Runnable task) {
    Thread thread = new Thread(task, prefix + "-" + counter.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  }
}
