package dev.hamij.plugin;

import dev.hamij.plugin.v1beta1.AllocateRequest;
import dev.hamij.plugin.v1beta1.ContainerAllocateRequest;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import dev.hamij.plugin.v1beta1.ContainerPreferredAllocationRequest;
import dev.hamij.plugin.v1beta1.Device;
import dev.hamij.plugin.v1beta1.DevicePluginGrpc;
import dev.hamij.plugin.v1beta1.DevicePluginOptions;
import dev.hamij.plugin.v1beta1.Empty;
import dev.hamij.plugin.v1beta1.ListAndWatchResponse;
import dev.hamij.plugin.v1beta1.PreStartContainerRequest;
import dev.hamij.plugin.v1beta1.PreferredAllocationRequest;
import dev.hamij.plugin.v1beta1.RegisterRequest;
import dev.hamij.plugin.v1beta1.RegistrationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A kubelet stand-in for tests: a real {@code v1beta1.Registration} server on a real
 * {@code kubelet.sock} in a plugin directory. On Register it does what kubelet does: dials the
 * plugin's endpoint in that directory, asks GetDevicePluginOptions, opens ListAndWatch and records
 * every device list. It calls Allocate one container per call, like kubelet.
 *
 * <p>{@link #kill} and {@link #restart} behave like a kubelet restart: the server stops, every file
 * of the directory except kubelet's checkpoint is deleted (the plugin's socket included) and, on
 * restart, a fresh {@code kubelet.sock} is bound. The fixture owns one event loop thread and two
 * executor threads for its whole life, restarts start none; {@link #close} ends them.
 */
public final class FakeKubelet implements AutoCloseable {

  /** The file kubelet keeps across restarts. */
  public static final String CHECKPOINT = "kubelet_internal_checkpoint";
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(5);

  private final Path directory;
  private final EventLoopGroup eventLoop = UnixGrpc.newEventLoopGroup(new NamedThreads("fake-kubelet-netty"));
  private final ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS,
      new LinkedBlockingQueue<>(), new NamedThreads("fake-kubelet"));

  // Guarded by this.
  private Server server;
  private final List<RegisterRequest> registrations = new ArrayList<>();
  private int registrationsToReject;
  private Consumer<RegisterRequest> onRegister = request -> { };
  private Endpoint endpoint;
  private final Set<String> allocated = new HashSet<>();

  private FakeKubelet(Path directory) {
    this.directory = directory;
    executor.prestartAllCoreThreads();
  }

  /** Starts a kubelet serving {@code directory/kubelet.sock}. */
  public static FakeKubelet start(Path directory) throws IOException {
    FakeKubelet kubelet = new FakeKubelet(directory);
    kubelet.deleteAllButCheckpoint();
    kubelet.bind();
    return kubelet;
  }

  /** {@code directory/kubelet.sock}. */
  public Path socket() {
    return directory.resolve(PluginSettings.KUBELET_SOCKET_NAME);
  }

  /**
   * Stops kubelet and deletes every file of the directory except {@value #CHECKPOINT}: its own
   * socket and the plugin's, as a kubelet restart does.
   */
  public void kill() throws IOException, InterruptedException {
    Server stopping;
    synchronized (this) {
      dropEndpoint();
      allocated.clear();
      stopping = server;
      server = null;
    }
    if (stopping != null) {
      stopping.shutdownNow();
      stopping.awaitTermination(5, TimeUnit.SECONDS);
    }
    deleteAllButCheckpoint();
  }

  /** Kills kubelet (if running) and starts it again on a fresh {@code kubelet.sock}. */
  public void restart() throws IOException, InterruptedException {
    kill();
    bind();
  }

  /** Makes the next {@code count} Register calls fail with UNAVAILABLE. */
  public synchronized void rejectRegistrations(int count) {
    registrationsToReject = count;
  }

  /** Runs {@code hook} inside every later Register call, before kubelet accepts the request. */
  public synchronized void onRegister(Consumer<RegisterRequest> hook) {
    onRegister = hook;
  }

  /** Every accepted Register request, oldest first. */
  public synchronized List<RegisterRequest> registrations() {
    return List.copyOf(registrations);
  }

  /**
   * Waits until {@code count} registrations were accepted and kubelet received the first device
   * list on the endpoint of the latest one; returns that registration.
   */
  public RegisterRequest awaitRegistrations(int count, Duration timeout)
      throws InterruptedException, TimeoutException {
    return awaitState(k -> k.registrations.size() >= count && k.endpoint != null
            && k.endpoint.request == k.registrations.get(k.registrations.size() - 1)
            && !k.endpoint.lists.isEmpty(),
        timeout, "registration #" + count + " with a first device list",
        k -> k.registrations.get(k.registrations.size() - 1));
  }

  /** Waits until the latest device list of the current endpoint satisfies {@code condition}. */
  public List<Device> awaitDevices(Predicate<List<Device>> condition, Duration timeout)
      throws InterruptedException, TimeoutException {
    return awaitState(k -> k.endpoint != null && !k.endpoint.lists.isEmpty()
            && condition.test(k.endpoint.lists.get(k.endpoint.lists.size() - 1)),
        timeout, "a device list matching the condition",
        k -> k.endpoint.lists.get(k.endpoint.lists.size() - 1));
  }

  /** Every device list received on the current endpoint, oldest first. */
  public synchronized List<List<Device>> deviceLists() {
    return endpoint == null ? List.of() : List.copyOf(endpoint.lists);
  }

  /** Waits until the plugin ends the current ListAndWatch stream; returns how it ended. */
  public Status awaitStreamEnd(Duration timeout) throws InterruptedException, TimeoutException {
    return awaitState(k -> k.endpoint != null && k.endpoint.streamEnd != null, timeout,
        "the end of the ListAndWatch stream", k -> k.endpoint.streamEnd);
  }

  /** What the plugin answered to GetDevicePluginOptions on the current endpoint. */
  public synchronized DevicePluginOptions options() {
    return currentEndpoint().options;
  }

  /** Allocate for one container with exactly these device IDs, as kubelet sends it. */
  public ContainerAllocateResponse allocate(List<String> deviceIds) {
    return plugin().allocate(AllocateRequest.newBuilder()
        .addContainerRequests(ContainerAllocateRequest.newBuilder().addAllDevicesIds(deviceIds))
        .build()).getContainerResponses(0);
  }

  /**
   * Admits one container asking for {@code count} devices, like kubelet: picks among healthy
   * devices not yet given to another container (asking GetPreferredAllocation first when the plugin
   * offers it), calls Allocate and remembers the devices as taken.
   */
  public ContainerAllocateResponse admitContainer(int count) {
    return admit(count).response();
  }

  /** The device IDs kubelet chose for a container and the plugin's answer. */
  public record Admitted(List<String> deviceIds, ContainerAllocateResponse response) {}

  /** {@link #admitContainer} that also tells which device IDs were chosen (to {@link #release} them later). */
  public Admitted admit(int count) {
    List<String> free;
    DevicePluginOptions options;
    synchronized (this) {
      Endpoint current = currentEndpoint();
      options = current.options;
      free = current.lists.isEmpty() ? List.of() : current.lists.get(current.lists.size() - 1).stream()
          .filter(d -> DevicePluginService.HEALTHY.equals(d.getHealth()))
          .map(Device::getID).filter(id -> !allocated.contains(id)).toList();
    }
    if (free.size() < count) {
      throw new IllegalStateException("kubelet: " + count + " devices wanted, " + free.size() + " free");
    }
    List<String> chosen = options.getGetPreferredAllocationAvailable()
        ? plugin().getPreferredAllocation(PreferredAllocationRequest.newBuilder()
            .addContainerRequests(ContainerPreferredAllocationRequest.newBuilder()
                .addAllAvailableDeviceIDs(free).setAllocationSize(count))
            .build()).getContainerResponses(0).getDeviceIDsList()
        : free.subList(0, count);
    ContainerAllocateResponse response = allocate(chosen);
    synchronized (this) {
      allocated.addAll(chosen);
    }
    return new Admitted(List.copyOf(chosen), response);
  }

  /** Frees device IDs of a container that ended, as kubelet does when a pod terminates. */
  public synchronized void release(java.util.Collection<String> deviceIds) {
    allocated.removeAll(deviceIds);
  }

  /** The plugin's DevicePlugin service on the current endpoint, with a 5 s deadline per call. */
  public DevicePluginGrpc.DevicePluginBlockingStub plugin() {
    ManagedChannel channel;
    synchronized (this) {
      channel = currentEndpoint().channel;
    }
    return DevicePluginGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** PreStartContainer on the current endpoint. */
  public void preStart(List<String> deviceIds) {
    plugin().preStartContainer(PreStartContainerRequest.newBuilder().addAllDevicesIds(deviceIds).build());
  }

  /** Kills kubelet and ends the fixture's threads. */
  @Override
  public void close() {
    new ClosingSteps()
        .run("stopping kubelet", this::kill)
        .run("stopping kubelet's executor", () -> {
          executor.shutdown();
          executor.awaitTermination(5, TimeUnit.SECONDS);
        })
        .run("stopping kubelet's event loop", () -> eventLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS).await())
        .finish();
  }

  private void deleteAllButCheckpoint() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path file : files) {
        if (!file.getFileName().toString().equals(CHECKPOINT) && !Files.isDirectory(file)) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  private void bind() throws IOException {
    synchronized (this) {
      server = UnixGrpc.serve(socket(), eventLoop, executor, new Registration());
    }
  }

  private synchronized Endpoint currentEndpoint() {
    if (endpoint == null) {
      throw new IllegalStateException("kubelet: no plugin registered");
    }
    return endpoint;
  }

  private synchronized void dropEndpoint() {
    if (endpoint != null) {
      endpoint.channel.shutdownNow();
      endpoint = null;
    }
    notifyAll();
  }

  private <T> T awaitState(Predicate<FakeKubelet> condition, Duration timeout, String what,
      java.util.function.Function<FakeKubelet, T> result) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (!condition.test(this)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("kubelet: timed out after " + timeout + " waiting for " + what
              + "; registrations=" + registrations.size() + ", endpoint=" + endpoint);
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return result.apply(this);
    }
  }

  private synchronized void connect(RegisterRequest request) {
    if (!registrations.isEmpty() && registrations.get(registrations.size() - 1) != request) {
      return; // superseded by a later registration
    }
    dropEndpoint();
    ManagedChannel channel = UnixGrpc.dial(directory.resolve(request.getEndpoint()), eventLoop, executor);
    Endpoint connected = new Endpoint(request, channel);
    endpoint = connected;
    DevicePluginGrpc.newStub(channel).getDevicePluginOptions(Empty.getDefaultInstance(),
        new StreamObserver<>() {
          @Override
          public void onNext(DevicePluginOptions value) {
            synchronized (FakeKubelet.this) {
              connected.options = value;
            }
          }

          @Override
          public void onError(Throwable t) {
            connected.ended(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            DevicePluginGrpc.newStub(channel).listAndWatch(Empty.getDefaultInstance(), connected);
          }
        });
  }

  private final class Registration extends RegistrationGrpc.RegistrationImplBase {
    @Override
    public void register(RegisterRequest request, StreamObserver<Empty> response) {
      synchronized (FakeKubelet.this) {
        if (registrationsToReject > 0) {
          registrationsToReject--;
          response.onError(Status.UNAVAILABLE.withDescription("kubelet: rejecting on purpose").asRuntimeException());
          return;
        }
        if (!"v1beta1".equals(request.getVersion())) {
          response.onError(Status.INVALID_ARGUMENT
              .withDescription("kubelet: unsupported API version " + request.getVersion()).asRuntimeException());
          return;
        }
        if (request.getEndpoint().isEmpty() || request.getEndpoint().contains("/")) {
          response.onError(Status.INVALID_ARGUMENT
              .withDescription("kubelet: endpoint must be a socket file name, got " + request.getEndpoint())
              .asRuntimeException());
          return;
        }
        onRegister.accept(request);
        registrations.add(request);
        FakeKubelet.this.notifyAll();
      }
      response.onNext(Empty.getDefaultInstance());
      response.onCompleted();
      executor.execute(() -> connect(request));
    }
  }

  /** kubelet's connection to one registered plugin endpoint. */
  private final class Endpoint implements StreamObserver<ListAndWatchResponse> {
    final RegisterRequest request;
    final ManagedChannel channel;
    final List<List<Device>> lists = new ArrayList<>();
    DevicePluginOptions options;
    Status streamEnd;

    Endpoint(RegisterRequest request, ManagedChannel channel) {
      this.request = request;
      this.channel = channel;
    }

    @Override
    public void onNext(ListAndWatchResponse value) {
      synchronized (FakeKubelet.this) {
        lists.add(value.getDevicesList());
        FakeKubelet.this.notifyAll();
      }
    }

    @Override
    public void onError(Throwable t) {
      ended(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended(Status.OK);
    }

    void ended(Status status) {
      synchronized (FakeKubelet.this) {
        if (streamEnd == null) {
          streamEnd = status;
        }
        FakeKubelet.this.notifyAll();
      }
    }

    @Override
    public String toString() {
      return "endpoint " + request.getEndpoint() + " (" + lists.size() + " device lists"
          + (streamEnd == null ? "" : ", stream ended " + streamEnd.getCode()) + ")";
    }
  }
}
