package dev.hamij.plugin;

import dev.hamij.nvidia.AdvertisedDevice;
import dev.hamij.plugin.v1beta1.AllocateRequest;
import dev.hamij.plugin.v1beta1.AllocateResponse;
import dev.hamij.plugin.v1beta1.ContainerAllocateRequest;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import dev.hamij.plugin.v1beta1.ContainerPreferredAllocationRequest;
import dev.hamij.plugin.v1beta1.ContainerPreferredAllocationResponse;
import dev.hamij.plugin.v1beta1.Device;
import dev.hamij.plugin.v1beta1.DevicePluginGrpc;
import dev.hamij.plugin.v1beta1.DevicePluginOptions;
import dev.hamij.plugin.v1beta1.Empty;
import dev.hamij.plugin.v1beta1.ListAndWatchResponse;
import dev.hamij.plugin.v1beta1.NUMANode;
import dev.hamij.plugin.v1beta1.PreStartContainerRequest;
import dev.hamij.plugin.v1beta1.PreStartContainerResponse;
import dev.hamij.plugin.v1beta1.PreferredAllocationRequest;
import dev.hamij.plugin.v1beta1.PreferredAllocationResponse;
import dev.hamij.plugin.v1beta1.TopologyInfo;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kubelet-facing {@code v1beta1.DevicePlugin} service (node.md §1.3). ListAndWatch always sends
 * full lists; {@link #endStreams} completes every open stream cleanly before the server stops.
 */
final class DevicePluginService extends DevicePluginGrpc.DevicePluginImplBase {

  private static final System.Logger LOG = System.getLogger(DevicePluginService.class.getName());
  static final String HEALTHY = "Healthy";
  static final String UNHEALTHY = "Unhealthy";

  private final DeviceList devices;
  private final AllocateHandler allocator;
  private final DevicePluginOptions options;
  private final Set<DeviceStream> streams = ConcurrentHashMap.newKeySet();

  /**
   * @param preferredAllocation whether kubelet may call GetPreferredAllocation; the options say so
   *     identically in Register and in GetDevicePluginOptions
   */
  DevicePluginService(DeviceList devices, AllocateHandler allocator, boolean preferredAllocation) {
    this.devices = devices;
    this.allocator = allocator;
    this.options = DevicePluginOptions.newBuilder()
        .setPreStartRequired(false)
        .setGetPreferredAllocationAvailable(preferredAllocation)
        .build();
  }

  /** The options this plugin runs with; Register sends the same. */
  DevicePluginOptions options() {
    return options;
  }

  @Override
  public void getDevicePluginOptions(Empty request, StreamObserver<DevicePluginOptions> response) {
    response.onNext(options);
    response.onCompleted();
  }

  @Override
  public void listAndWatch(Empty request, StreamObserver<ListAndWatchResponse> response) {
    DeviceStream stream = new DeviceStream((ServerCallStreamObserver<ListAndWatchResponse>) response);
    streams.add(stream);
    stream.start();
  }

  @Override
  public void getPreferredAllocation(PreferredAllocationRequest request,
      StreamObserver<PreferredAllocationResponse> response) {
    PreferredAllocationResponse.Builder answer = PreferredAllocationResponse.newBuilder();
    List<ContainerPreferredAllocationRequest> containers = request.getContainerRequestsList();
    for (int i = 0; i < containers.size(); i++) {
      try {
        answer.addContainerResponses(ContainerPreferredAllocationResponse.newBuilder()
            .addAllDeviceIDs(PreferredAllocation.choose(containers.get(i))));
      } catch (IllegalArgumentException e) {
        response.onError(Status.INVALID_ARGUMENT
            .withDescription("GetPreferredAllocation container_requests[" + i + "]: " + e.getMessage())
            .asRuntimeException());
        return;
      }
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void allocate(AllocateRequest request, StreamObserver<AllocateResponse> response) {
    List<ContainerAllocateRequest> containers = request.getContainerRequestsList();
    String problem = invalidAllocateRequest(containers);
    if (problem != null) {
      response.onError(Status.INVALID_ARGUMENT.withDescription(problem).asRuntimeException());
      return;
    }
    List<ContainerAllocateResponse> answers;
    try {
      answers = allocator.allocate(containers);
    } catch (AllocationException e) {
      LOG.log(Level.WARNING, "Allocate " + deviceIds(containers) + " failed: " + e.getMessage(), e);
      response.onError(Status.FAILED_PRECONDITION
          .withDescription("Allocate " + deviceIds(containers) + " failed: " + e.getMessage())
          .withCause(e).asRuntimeException());
      return;
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "Allocate " + deviceIds(containers) + " failed unexpectedly", e);
      response.onError(Status.INTERNAL
          .withDescription("Allocate " + deviceIds(containers) + " failed unexpectedly: " + e)
          .withCause(e).asRuntimeException());
      return;
    }
    if (answers.size() != containers.size()) {
      response.onError(Status.INTERNAL.withDescription("Allocate " + deviceIds(containers)
          + ": the allocate handler answered " + answers.size() + " containers instead of "
          + containers.size()).asRuntimeException());
      return;
    }
    response.onNext(AllocateResponse.newBuilder().addAllContainerResponses(answers).build());
    response.onCompleted();
  }

  @Override
  public void preStartContainer(PreStartContainerRequest request,
      StreamObserver<PreStartContainerResponse> response) {
    response.onNext(PreStartContainerResponse.getDefaultInstance());
    response.onCompleted();
  }

  /** Ends every open ListAndWatch stream with OK; kubelet sees the plugin go away cleanly. */
  void endStreams() {
    for (DeviceStream stream : List.copyOf(streams)) {
      stream.end();
    }
  }

  /** kubelet's view of an advertised device: ID, health string and, when known, NUMA topology. */
  static Device toProto(AdvertisedDevice device) {
    Device.Builder proto = Device.newBuilder().setID(device.id()).setHealth(device.healthy() ? HEALTHY : UNHEALTHY);
    if (device.numaNode() >= 0) {
      proto.setTopology(TopologyInfo.newBuilder().addNodes(NUMANode.newBuilder().setID(device.numaNode())));
    }
    return proto.build();
  }

  private static String invalidAllocateRequest(List<ContainerAllocateRequest> containers) {
    if (containers.isEmpty()) {
      return "Allocate: container_requests is empty";
    }
    for (int i = 0; i < containers.size(); i++) {
      if (containers.get(i).getDevicesIdsCount() == 0) {
        return "Allocate: container_requests[" + i + "].devices_ids is empty";
      }
    }
    return null;
  }

  private static String deviceIds(List<ContainerAllocateRequest> containers) {
    return containers.stream().map(ContainerAllocateRequest::getDevicesIdsList).toList().toString();
  }

  /**
   * One open ListAndWatch call. Sends are serialised because a stream observer is not thread-safe;
   * the device list's lock is never taken while this stream's lock is held.
   */
  private final class DeviceStream {

    private final ServerCallStreamObserver<ListAndWatchResponse> observer;
    private Runnable unsubscribe = () -> { };
    private boolean ended;

    DeviceStream(ServerCallStreamObserver<ListAndWatchResponse> observer) {
      this.observer = observer;
      observer.setOnCancelHandler(() -> finish(false));
    }

    void start() {
      Runnable subscription = devices.subscribe(this::send);
      boolean endedMeanwhile;
      synchronized (this) {
        unsubscribe = subscription;
        endedMeanwhile = ended;
      }
      if (endedMeanwhile) {
        subscription.run();
      }
    }

    void end() {
      finish(true);
    }

    private void send(List<AdvertisedDevice> list) {
      ListAndWatchResponse.Builder message = ListAndWatchResponse.newBuilder();
      list.forEach(device -> message.addDevices(toProto(device)));
      synchronized (this) {
        if (ended) {
          return;
        }
        try {
          observer.onNext(message.build());
          return;
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "ListAndWatch: sending the device list failed; ending the stream", e);
        }
      }
      finish(false);
    }

    private void finish(boolean complete) {
      Runnable subscription;
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
        subscription = unsubscribe;
        if (complete) {
          observer.onCompleted();
        }
      }
      subscription.run();
      streams.remove(this);
    }
  }
}
