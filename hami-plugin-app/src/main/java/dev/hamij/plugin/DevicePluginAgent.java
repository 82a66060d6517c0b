package dev.hamij.plugin;

import dev.hamij.plugin.UnixGrpc.Incarnation;
import dev.hamij.plugin.v1beta1.RegisterRequest;
import dev.hamij.plugin.v1beta1.RegistrationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves the device plugin on its Unix socket and keeps it registered with kubelet (node.md §1.4).
 *
 * <p>All state changes run on one lifecycle thread, so there is never more than one server and
 * never more than one pending Register attempt. A kubelet restart (kubelet deletes the plugin's
 * socket and creates a new {@code kubelet.sock}) is noticed through file-system events and, as a
 * fallback, a periodic check of both sockets' incarnations; the agent then restarts its server and
 * registers again. Threads: one lifecycle thread, one event loop, a fixed gRPC executor and one
 * directory-watch thread, all started by {@link #start} and ended by {@link #close}; restarts start
 * no threads.
 */
final class DevicePluginAgent implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(DevicePluginAgent.class.getName());
  private static final String API_VERSION = "v1beta1";
  private static final int GRPC_THREADS = 4;
  private static final Duration STOP_GRACE = Duration.ofSeconds(2);

  private final PluginSettings settings;
  private final DevicePluginService service;
  private final EventLoopGroup eventLoop;
  private final ThreadPoolExecutor grpcExecutor;
  private final ScheduledExecutorService lifecycle;
  private final AtomicBoolean reconcileQueued = new AtomicBoolean();
  private final AtomicInteger serverStarts = new AtomicInteger();
  private final AtomicInteger registrations = new AtomicInteger();
  private final AtomicInteger runningServers = new AtomicInteger();
  private volatile boolean closed;
  private DirectoryWatch watch;

  // Owned by the lifecycle thread.
  private Server server;
  private Incarnation serverSocket;
  private Incarnation attemptedKubelet;
  private boolean registered;
  private ScheduledFuture<?> retry;
  private Duration nextRetry;

  DevicePluginAgent(PluginSettings settings, DevicePluginService service) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.service = Objects.requireNonNull(service, "service");
    this.nextRetry = settings.firstRetry();
    this.eventLoop = UnixGrpc.newEventLoopGroup(new NamedThreads("hami-dp-netty"));
    this.grpcExecutor = new ThreadPoolExecutor(GRPC_THREADS, GRPC_THREADS, 0, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), new NamedThreads("hami-dp-grpc"));
    grpcExecutor.prestartAllCoreThreads();
    this.lifecycle = Executors.newSingleThreadScheduledExecutor(new NamedThreads("hami-dp-lifecycle"));
  }

  /** Starts serving and registering; returns once the first server is up (or failed to start). */
  void start() throws IOException, InterruptedException {
    if (settings.watchDirectory()) {
      Set<Path> files = new HashSet<>();
      files.add(settings.pluginSocket());
      settings.kubeletSocket().ifPresent(files::add);
      watch = new DirectoryWatch(files, this::requestReconcile, new NamedThreads("hami-dp-watch"));
    }
    long period = settings.checkInterval().toMillis();
    lifecycle.scheduleWithFixedDelay(this::reconcile, period, period, TimeUnit.MILLISECONDS);
    runOnLifecycle(this::reconcile);
  }

  /** Successful Register calls so far. */
  int registrations() {
    return registrations.get();
  }

  /** Servers started so far (the first one and every restart). */
  int serverStarts() {
    return serverStarts.get();
  }

  /** Servers currently running: 0 or 1. */
  int runningServers() {
    return runningServers.get();
  }

  private void requestReconcile() {
    if (!closed && reconcileQueued.compareAndSet(false, true)) {
      try {
        lifecycle.execute(this::reconcile);
      } catch (RejectedExecutionException e) {
        reconcileQueued.set(false);
      }
    }
  }

  /**
   * Brings the agent to its goal: a server bound at the plugin socket and, when kubelet's socket
   * exists, registered with the kubelet incarnation behind it.
   */
  private void reconcile() {
    reconcileQueued.set(false);
    if (closed) {
      return;
    }
    if (watch != null) {
      watch.rearm();
    }
    Incarnation kubelet = settings.kubeletSocket().map(Incarnation::of).orElse(null);
    boolean kubeletChanged = !Objects.equals(kubelet, attemptedKubelet);
    boolean serverIntact = server != null
        && Objects.equals(Incarnation.of(settings.pluginSocket()), serverSocket);
    if (!serverIntact || (registered && kubeletChanged)) {
      if (server != null) {
        LOG.log(Level.INFO, serverIntact ? "kubelet restarted: restarting the device plugin server"
            : "plugin socket " + settings.pluginSocket() + " is gone: restarting the device plugin server");
      }
      registered = false;
      if (!restartServer()) {
        return;
      }
    }
    if (!registered && (kubeletChanged || !serverIntact || (retry == null && kubelet != null))) {
      register();
    }
  }

  private boolean restartServer() {
    stopServer();
    try {
      server = UnixGrpc.serve(settings.pluginSocket(), eventLoop, grpcExecutor, service);
      serverSocket = Incarnation.of(settings.pluginSocket());
      runningServers.incrementAndGet();
      serverStarts.incrementAndGet();
      LOG.log(Level.INFO, "serving " + settings.resourceName() + " at " + settings.pluginSocket());
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "cannot serve at " + settings.pluginSocket() + " (retrying within "
          + settings.checkInterval() + "): " + e);
      return false;
    }
  }

  private void stopServer() {
    cancelRetry();
    if (server == null) {
      return;
    }
    service.endStreams();
    server.shutdown();
    try {
      if (!server.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (Objects.equals(Incarnation.of(settings.pluginSocket()), serverSocket)) {
      try {
        Files.deleteIfExists(settings.pluginSocket());
      } catch (IOException e) {
        LOG.log(Level.WARNING, "cannot delete " + settings.pluginSocket() + ": " + e);
      }
    }
    server = null;
    serverSocket = null;
    runningServers.decrementAndGet();
  }

  /**
   * One Register attempt; on failure schedules the single retry. The kubelet incarnation is
   * recorded after a successful call: had kubelet restarted during the call, the new kubelet either
   * is the one that answered or deleted the plugin socket on start-up, which the next check sees.
   */
  private void register() {
    cancelRetry();
    if (closed || settings.kubeletSocket().isEmpty()) {
      return;
    }
    Path kubeletSocket = settings.kubeletSocket().get();
    attemptedKubelet = Incarnation.of(kubeletSocket);
    if (attemptedKubelet == null) {
      LOG.log(Level.INFO, "waiting for kubelet: " + kubeletSocket + " does not exist");
      return;
    }
    RegisterRequest request = RegisterRequest.newBuilder()
        .setVersion(API_VERSION)
        .setEndpoint(settings.pluginSocket().getFileName().toString())
        .setResourceName(settings.resourceName())
        .setOptions(service.options())
        .build();
    ManagedChannel channel = UnixGrpc.dial(kubeletSocket, eventLoop, grpcExecutor);
    try {
      RegistrationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(settings.registerTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .register(request);
      registered = true;
      attemptedKubelet = Incarnation.of(kubeletSocket);
      nextRetry = settings.firstRetry();
      registrations.incrementAndGet();
      LOG.log(Level.INFO, "registered " + settings.resourceName() + " with kubelet at " + kubeletSocket);
    } catch (StatusRuntimeException e) {
      LOG.log(Level.WARNING, "registering with kubelet at " + kubeletSocket + " failed (retrying in "
          + nextRetry + "): " + e.getStatus());
      retry = lifecycle.schedule(() -> {
        retry = null;
        register();
      }, nextRetry.toMillis(), TimeUnit.MILLISECONDS);
      nextRetry = nextRetry.multipliedBy(2).compareTo(settings.maxRetry()) > 0
          ? settings.maxRetry() : nextRetry.multipliedBy(2);
    } finally {
      channel.shutdownNow();
      awaitQuietly(channel);
    }
  }

  private void cancelRetry() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
  }

  /** Stops serving, deletes the plugin socket and ends every thread the agent started. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long grace = STOP_GRACE.toMillis();
    new ClosingSteps()
        .run("stopping the device plugin server", () -> runOnLifecycle(this::stopServer))
        .run("stopping the lifecycle thread", () -> {
          lifecycle.shutdownNow();
          lifecycle.awaitTermination(grace, TimeUnit.MILLISECONDS);
        })
        .run("closing the directory watch", () -> {
          if (watch != null) {
            watch.close();
          }
        })
        .run("stopping the gRPC executor", () -> {
          grpcExecutor.shutdown();
          grpcExecutor.awaitTermination(grace, TimeUnit.MILLISECONDS);
        })
        .run("stopping the event loop", () ->
            eventLoop.shutdownGracefully(0, grace, TimeUnit.MILLISECONDS).await())
        .finish();
  }

  private void runOnLifecycle(Runnable task) throws InterruptedException {
    try {
      lifecycle.submit(task).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("device plugin lifecycle task failed", e.getCause());
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException("the device plugin agent is closed", e);
    }
  }

  private static void awaitQuietly(ManagedChannel channel) {
    try {
      channel.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
