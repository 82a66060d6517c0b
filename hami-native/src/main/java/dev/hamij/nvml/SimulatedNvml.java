package dev.hamij.nvml;

import dev.hamij.api.Placement;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.MigProfileTable.Profile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * An in-memory NVML that behaves like the real library for everything {@link Nvml} offers, so that tests and demos
 * never need a GPU.
 *
 * <p>GPUs are configured programmatically ({@link #builder()}) or from YAML ({@link #fromYaml(String)}); models come
 * from {@code mig-profiles.json} plus a few GPUs without MIG ({@link #knownModels()}). MIG follows NVML semantics:
 * only legal placements, {@code INSUFFICIENT_RESOURCES} on overlap, per-profile {@code maxCount}, the model's
 * instance limit and at most one {@code +me} instance per GPU; GI ids follow the driver's heap numbering of memory
 * slices; each compute instance is a MIG device with its own {@code MIG-} UUID; {@code IN_USE} on destroying
 * instances that still hold compute instances or processes; {@code NOT_FOUND} for stale ids; MIG-mode changes that
 * stay pending until {@link #resetGpu}.
 *
 * <p>Test controls: {@link #injectXid} (like the driver, an event goes only to the event sets registered for it
 * at that moment: {@link #watchesXids} tells a test when to inject), {@link #failNext}/{@link #failNextOnGpu} (the next N calls of a function
 * fail with a chosen code), {@link #loseGpu} (every call about that GPU answers {@code GPU_IS_LOST} and an XID 79
 * event is raised), {@link #attachProcess}. Thread-safe; {@link #waitForEvent} blocks without holding the lock.
 */
public final class SimulatedNvml implements Nvml {
  /** XID the driver raises when a GPU falls off the bus. */
  public static final long XID_GPU_FALLEN_OFF_BUS = 79;

  private static final long SUPPORTED_EVENTS = EventData.SINGLE_BIT_ECC_ERROR | EventData.DOUBLE_BIT_ECC_ERROR
      | EventData.PSTATE | EventData.XID_CRITICAL_ERROR | EventData.CLOCK;
  private static final String SYSTEM = "system";

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition eventQueued = lock.newCondition();
  private final String driverVersion;
  private final List<Gpu> gpus;
  private final Map<FailureKey, Failure> failures = new HashMap<>();
  private final List<SimEventSet> eventSets = new ArrayList<>();
  private final Map<Integer, Proc> processes = new LinkedHashMap<>();
  private int initReferences;
  private long creationSerial;
  private int nextEventSetId;

  private SimulatedNvml(String driverVersion, List<Gpu> gpus) {
    this.driverVersion = driverVersion;
    this.gpus = List.copyOf(gpus);
  }

  /** A builder for a simulated node. */
  public static Builder builder() {
    return new Builder();
  }

  /** A simulated node from the YAML document described in the module README. */
  public static SimulatedNvml fromYaml(String yaml) {
    return SimulatedNvmlConfig.load(yaml, "(inline)");
  }

  /** A simulated node from a YAML file; errors name the file and the offending field. */
  public static SimulatedNvml fromYaml(Path file) {
    String yaml;
    try {
      yaml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read simulated NVML config " + file, e);
    }
    return SimulatedNvmlConfig.load(yaml, file.toString());
  }

  /** Keys of the models the simulator can play, e.g. {@code A100-40GB}, {@code V100-PCIE-32GB}. */
  public static List<String> knownModels() {
    return SimulatedModels.builtIn().keys();
  }

  // ---------------------------------------------------------------------------------------------- test controls

  /** Raises an XID event on a GPU, not attributed to a MIG instance. */
  public void injectXid(int gpuIndex, long xid) {
    injectXid(gpuIndex, xid, NO_INSTANCE, NO_INSTANCE);
  }

  /** Raises an XID event on a GPU, attributed to a MIG GPU/compute instance. */
  public void injectXid(int gpuIndex, long xid, int gpuInstanceId, int computeInstanceId) {
    locked(() -> {
      queueEvent(gpu(gpuIndex), xid, gpuInstanceId, computeInstanceId);
      return null;
    });
  }

  /** True when some event set is registered for critical XID events of GPU {@code gpuIndex}. */
  public boolean watchesXids(int gpuIndex) {
    return locked(() -> {
      Gpu gpu = gpu(gpuIndex);
      return eventSets.stream().map(s -> s.masks.get(gpu))
          .anyMatch(mask -> mask != null && (mask & EventData.XID_CRITICAL_ERROR) != 0);
    });
  }

  /** The next {@code times} calls of {@code function}, on any device, fail with {@code code}. */
  public void failNext(NvmlFunction function, int times, NvmlReturn code) {
    addFailure(new FailureKey(function, -1), times, code);
  }

  /** The next {@code times} calls of {@code function} about GPU {@code gpuIndex} (or its MIG objects) fail. */
  public void failNextOnGpu(int gpuIndex, NvmlFunction function, int times, NvmlReturn code) {
    gpu(gpuIndex);
    addFailure(new FailureKey(function, gpuIndex), times, code);
  }

  /** The GPU falls off the bus: XID 79 is raised and every later call about it answers {@code GPU_IS_LOST}. */
  public void loseGpu(int gpuIndex) {
    locked(() -> {
      Gpu gpu = gpu(gpuIndex);
      if (!gpu.lost) {
        queueEvent(gpu, XID_GPU_FALLEN_OFF_BUS, NO_INSTANCE, NO_INSTANCE);
        gpu.lost = true;
      }
      return null;
    });
  }

  /**
   * Resets a GPU: it is reachable again, its processes are gone, its MIG instances are destroyed and a pending MIG
   * mode becomes current.
   */
  public void resetGpu(int gpuIndex) {
    locked(() -> {
      Gpu gpu = gpu(gpuIndex);
      gpu.lost = false;
      processes.values().removeIf(p -> p.gpu() == gpu);
      for (GpuInst gi : gpu.instances) {
        gi.destroyed = true;
        gi.computeInstances.forEach(ci -> ci.destroyed = true);
      }
      gpu.instances.clear();
      Arrays.fill(gpu.migSlots, null);
      gpu.migCurrent = gpu.migPending;
      return null;
    });
  }

  /** Starts a compute process on a GPU or MIG device (by UUID), using {@code usedMemoryMiB}. */
  public void attachProcess(String deviceUuid, int pid, long usedMemoryMiB) {
    locked(() -> {
      if (processes.containsKey(pid)) {
        throw new IllegalArgumentException("process " + pid + " already runs on a simulated GPU");
      }
      Object device = findByUuid(deviceUuid);
      if (device == null) {
        throw new IllegalArgumentException("no simulated GPU or MIG device with UUID " + deviceUuid);
      }
      Gpu gpu = device instanceof Gpu g ? g : ((ComputeInst) device).gi.gpu;
      ComputeInst ci = device instanceof ComputeInst c ? c : null;
      processes.put(pid, new Proc(pid, usedMemoryMiB << 20, gpu, ci));
      return null;
    });
  }

  /** Ends a process started with {@link #attachProcess}; unknown pids are ignored. */
  public void detachProcess(int pid) {
    locked(() -> processes.remove(pid));
  }

  /** Outstanding {@link #init()} references (0 = shut down). */
  public int initReferences() {
    return locked(() -> initReferences);
  }

  // ------------------------------------------------------------------------------------------------ lifecycle

  @Override
  public void init() {
    locked(() -> {
      throwInjected(NvmlFunction.INIT, null, SYSTEM);
      initReferences++;
      return null;
    });
  }

  @Override
  public void shutdown() {
    locked(() -> {
      enter(NvmlFunction.SHUTDOWN, null, SYSTEM);
      initReferences--;
      return null;
    });
  }

  @Override
  public String driverVersion() {
    return locked(() -> {
      enter(NvmlFunction.DRIVER_VERSION, null, SYSTEM);
      return driverVersion;
    });
  }

  // ------------------------------------------------------------------------------------------------ discovery

  @Override
  public int deviceCount() {
    return locked(() -> {
      enter(NvmlFunction.DEVICE_COUNT, null, SYSTEM);
      return gpus.size();
    });
  }

  @Override
  public DeviceHandle deviceByIndex(int index) {
    return locked(() -> {
      if (index < 0 || index >= gpus.size()) {
        enter(NvmlFunction.DEVICE_BY_INDEX, null, "GPU " + index);
        throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, NvmlFunction.DEVICE_BY_INDEX, "GPU " + index);
      }
      Gpu gpu = gpus.get(index);
      enter(NvmlFunction.DEVICE_BY_INDEX, gpu, gpu.label());
      return gpu.handle();
    });
  }

  @Override
  public Optional<DeviceHandle> deviceByUuid(String uuid) {
    return locked(() -> {
      Object found = findByUuid(uuid);
      if (found == null) {
        enter(NvmlFunction.DEVICE_BY_UUID, null, uuid);
        return Optional.empty();
      }
      if (found instanceof Gpu gpu) {
        enter(NvmlFunction.DEVICE_BY_UUID, gpu, gpu.label());
        return Optional.of(gpu.handle());
      }
      ComputeInst ci = (ComputeInst) found;
      enter(NvmlFunction.DEVICE_BY_UUID, ci.gi.gpu, ci.label());
      return Optional.of(ci.handle());
    });
  }

  @Override
  public String uuid(DeviceHandle device) {
    return locked(() -> {
      Object d = anyDevice(NvmlFunction.UUID, device);
      return d instanceof Gpu gpu ? gpu.uuid : ((ComputeInst) d).uuid;
    });
  }

  @Override
  public String name(DeviceHandle device) {
    return locked(() -> {
      Object d = anyDevice(NvmlFunction.NAME, device);
      return d instanceof Gpu gpu ? gpu.name : ((ComputeInst) d).name();
    });
  }

  @Override
  public int index(DeviceHandle device) {
    return locked(() -> physical(NvmlFunction.INDEX, device).index);
  }

  @Override
  public int minorNumber(DeviceHandle device) {
    return locked(() -> physical(NvmlFunction.MINOR_NUMBER, device).index);
  }

  @Override
  public MemoryInfo memoryInfo(DeviceHandle device) {
    return locked(() -> {
      Object d = anyDevice(NvmlFunction.MEMORY_INFO, device);
      if (d instanceof ComputeInst ci) {
        long total = (long) ci.gi.profile.memoryMiB() << 20;
        long used = processes.values().stream().filter(p -> p.ci() != null && p.ci().gi == ci.gi)
            .mapToLong(Proc::usedBytes).sum();
        return new MemoryInfo(total, Math.max(0, total - used), used);
      }
      Gpu gpu = (Gpu) d;
      if (gpu.unifiedMemory) {
        throw new NvmlException(NvmlReturn.NOT_SUPPORTED, NvmlFunction.MEMORY_INFO, gpu.label());
      }
      long used = processes.values().stream().filter(p -> p.gpu() == gpu).mapToLong(Proc::usedBytes).sum();
      return new MemoryInfo(gpu.memoryBytes, Math.max(0, gpu.memoryBytes - used), used);
    });
  }

  @Override
  public PciInfo pciInfo(DeviceHandle device) {
    return locked(() -> {
      Gpu gpu = physical(NvmlFunction.PCI_INFO, device);
      int bus = 0x10 + gpu.index;
      return new PciInfo(String.format("00000000:%02X:00.0", bus), 0, bus, 0, gpu.pciDeviceId, 0);
    });
  }

  @Override
  public int numaNode(DeviceHandle device) {
    return locked(() -> physical(NvmlFunction.PCI_INFO, device).numaNode);
  }

  @Override
  public TopologyLevel topologyCommonAncestor(DeviceHandle first, DeviceHandle second) {
    return locked(() -> {
      Gpu a = physical(NvmlFunction.TOPOLOGY_COMMON_ANCESTOR, first);
      Gpu b = physical(NvmlFunction.TOPOLOGY_COMMON_ANCESTOR, second);
      if (a == b) {
        return TopologyLevel.INTERNAL;
      }
      return a.numaNode >= 0 && a.numaNode == b.numaNode ? TopologyLevel.NODE : TopologyLevel.SYSTEM;
    });
  }

  @Override
  public List<ProcessInfo> computeRunningProcesses(DeviceHandle device) {
    return locked(() -> {
      Object d = anyDevice(NvmlFunction.COMPUTE_RUNNING_PROCESSES, device);
      List<ProcessInfo> out = new ArrayList<>();
      for (Proc p : processes.values()) {
        boolean match = d instanceof Gpu ? p.gpu() == d : p.ci() == d;
        if (match) {
          out.add(p.ci() == null
              ? new ProcessInfo(p.pid(), p.usedBytes(), NO_INSTANCE, NO_INSTANCE)
              : new ProcessInfo(p.pid(), p.usedBytes(), p.ci().gi.id, p.ci().id));
        }
      }
      return List.copyOf(out);
    });
  }

  // --------------------------------------------------------------------------------------------------- events

  @Override
  public EventSet createEventSet() {
    return locked(() -> {
      enter(NvmlFunction.EVENT_SET_CREATE, null, SYSTEM);
      SimEventSet set = new SimEventSet(nextEventSetId++);
      eventSets.add(set);
      return new EventSet(set, "event set " + set.id);
    });
  }

  @Override
  public void freeEventSet(EventSet set) {
    locked(() -> {
      SimEventSet s = eventSet(NvmlFunction.EVENT_SET_FREE, set);
      s.freed = true;
      eventSets.remove(s);
      eventQueued.signalAll();
      return null;
    });
  }

  @Override
  public long supportedEventTypes(DeviceHandle device) {
    return locked(() -> {
      physical(NvmlFunction.SUPPORTED_EVENT_TYPES, device);
      return SUPPORTED_EVENTS;
    });
  }

  @Override
  public void registerEvents(DeviceHandle device, long eventTypes, EventSet set) {
    locked(() -> {
      Gpu gpu = physical(NvmlFunction.REGISTER_EVENTS, device);
      SimEventSet s = eventSet(NvmlFunction.REGISTER_EVENTS, set);
      if ((eventTypes & ~SUPPORTED_EVENTS) != 0) {
        throw new NvmlException(NvmlReturn.NOT_SUPPORTED, NvmlFunction.REGISTER_EVENTS, gpu.label(),
            "event types 0x" + Long.toHexString(eventTypes & ~SUPPORTED_EVENTS) + " not supported", null);
      }
      s.masks.merge(gpu, eventTypes, (old, add) -> old | add);
      return null;
    });
  }

  /** As specified; an interrupt ends the wait early like a timeout and keeps the thread's interrupt flag. */
  @Override
  public Optional<EventData> waitForEvent(EventSet set, int timeoutMs) {
    return locked(() -> {
      SimEventSet s = eventSet(NvmlFunction.EVENT_SET_WAIT, set);
      long remaining = TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMs));
      while (s.queue.isEmpty()) {
        if (remaining <= 0 || Thread.currentThread().isInterrupted()) {
          return Optional.empty();
        }
        try {
          remaining = eventQueued.awaitNanos(remaining);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Optional.empty();
        }
        if (s.freed) {
          throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, NvmlFunction.EVENT_SET_WAIT, set.toString(),
              "event set freed while waiting", null);
        }
      }
      return Optional.of(s.queue.poll());
    });
  }

  // ----------------------------------------------------------------------------------------------------- MIG

  @Override
  public MigMode migMode(DeviceHandle device) {
    return locked(() -> {
      Gpu gpu = migCapable(NvmlFunction.MIG_MODE, device);
      return new MigMode(gpu.migCurrent, gpu.migPending);
    });
  }

  @Override
  public NvmlReturn setMigMode(DeviceHandle device, boolean enabled) {
    return locked(() -> {
      Gpu gpu = migCapable(NvmlFunction.SET_MIG_MODE, device);
      gpu.migPending = enabled;
      if (gpu.migCurrent == enabled) {
        return NvmlReturn.SUCCESS;
      }
      if (!gpu.instances.isEmpty() || processes.values().stream().anyMatch(p -> p.gpu() == gpu)) {
        return NvmlReturn.IN_USE;
      }
      if (gpu.migChangeRequiresReset) {
        return NvmlReturn.RESET_REQUIRED;
      }
      gpu.migCurrent = enabled;
      return NvmlReturn.SUCCESS;
    });
  }

  @Override
  public GpuInstanceProfileInfo gpuInstanceProfileInfo(DeviceHandle device, int profileEnum) {
    return locked(() -> {
      Gpu gpu = migEnabled(NvmlFunction.GPU_INSTANCE_PROFILE_INFO, device);
      if (profileEnum < 0 || profileEnum >= GPU_INSTANCE_PROFILE_COUNT) {
        throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, NvmlFunction.GPU_INSTANCE_PROFILE_INFO, gpu.label(),
            "profile enum " + profileEnum, null);
      }
      Profile p = profileByEnum(gpu.model, profileEnum).orElseThrow(() -> new NvmlException(
          NvmlReturn.NOT_SUPPORTED, NvmlFunction.GPU_INSTANCE_PROFILE_INFO, gpu.label(),
          "profile enum " + profileEnum, null));
      return new GpuInstanceProfileInfo(p.profileId(), false, p.computeSlices(), p.maxCount(), p.multiprocessors(),
          0, 0, 0, 0, 0, p.memoryMiB(), "MIG " + p.name());
    });
  }

  @Override
  public List<Placement> gpuInstancePossiblePlacements(DeviceHandle device, int profileId) {
    return locked(() -> {
      Gpu gpu = migEnabled(NvmlFunction.GPU_INSTANCE_POSSIBLE_PLACEMENTS, device);
      return profileById(NvmlFunction.GPU_INSTANCE_POSSIBLE_PLACEMENTS, gpu, profileId).placements();
    });
  }

  @Override
  public int gpuInstanceRemainingCapacity(DeviceHandle device, int profileId) {
    return locked(() -> {
      Gpu gpu = migEnabled(NvmlFunction.GPU_INSTANCE_REMAINING_CAPACITY, device);
      return remainingCapacity(gpu, profileById(NvmlFunction.GPU_INSTANCE_REMAINING_CAPACITY, gpu, profileId));
    });
  }

  @Override
  public GpuInstanceHandle createGpuInstanceWithPlacement(
      DeviceHandle device, int profileId, Placement placement) {
    return locked(() -> {
      NvmlFunction f = NvmlFunction.CREATE_GPU_INSTANCE_WITH_PLACEMENT;
      Gpu gpu = migEnabled(f, device);
      Profile p = profileById(f, gpu, profileId);
      if (!p.placements().contains(placement)) {
        throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, f, gpu.label(),
            "placement " + slices(placement) + " is not legal for " + p.name() + " (legal: "
            + p.placements().stream().map(SimulatedNvml::slices).toList() + ")", null);
      }
      String refusal = refusal(gpu, p, placement);
      if (refusal != null) {
        throw new NvmlException(NvmlReturn.INSUFFICIENT_RESOURCES, f, gpu.label(), refusal, null);
      }
      int id = gpu.model.memorySlicesTotal() / placement.size() - 1 + placement.start() / placement.size();
      GpuInst gi = new GpuInst(gpu, id, p, placement);
      gpu.instances.add(gi);
      return gi.handle();
    });
  }

  @Override
  public List<GpuInstanceHandle> gpuInstances(DeviceHandle device, int profileId) {
    return locked(() -> {
      Gpu gpu = migEnabled(NvmlFunction.GPU_INSTANCES, device);
      profileById(NvmlFunction.GPU_INSTANCES, gpu, profileId);
      return gpu.instances.stream()
          .filter(gi -> gi.profile.profileId() == profileId)
          .sorted(Comparator.comparingInt(gi -> gi.id))
          .map(GpuInst::handle)
          .toList();
    });
  }

  @Override
  public Optional<GpuInstanceHandle> gpuInstanceById(DeviceHandle device, int gpuInstanceId) {
    return locked(() -> {
      Gpu gpu = migEnabled(NvmlFunction.GPU_INSTANCE_BY_ID, device);
      return gpu.instances.stream().filter(gi -> gi.id == gpuInstanceId).findFirst().map(GpuInst::handle);
    });
  }

  @Override
  public GpuInstanceInfo gpuInstanceInfo(GpuInstanceHandle gpuInstance) {
    return locked(() -> {
      GpuInst gi = gpuInstance(NvmlFunction.GPU_INSTANCE_INFO, gpuInstance);
      return new GpuInstanceInfo(gi.gpu.handle(), gi.id, gi.profile.profileId(), gi.placement);
    });
  }

  @Override
  public void destroyGpuInstance(GpuInstanceHandle gpuInstance) {
    locked(() -> {
      GpuInst gi = gpuInstance(NvmlFunction.DESTROY_GPU_INSTANCE, gpuInstance);
      if (!gi.computeInstances.isEmpty()) {
        throw new NvmlException(NvmlReturn.IN_USE, NvmlFunction.DESTROY_GPU_INSTANCE, gi.label(),
            gi.computeInstances.size() + " compute instance(s) still exist", null);
      }
      gi.destroyed = true;
      gi.gpu.instances.remove(gi);
      return null;
    });
  }

  @Override
  public ComputeInstanceProfileInfo computeInstanceProfileInfo(
      GpuInstanceHandle gpuInstance, int profileEnum, int engineProfile) {
    return locked(() -> {
      NvmlFunction f = NvmlFunction.COMPUTE_INSTANCE_PROFILE_INFO;
      GpuInst gi = gpuInstance(f, gpuInstance);
      if (engineProfile != COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED || profileEnum < 0
          || profileEnum >= COMPUTE_INSTANCE_PROFILE_COUNT) {
        throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, f, gi.label(),
            "profile " + profileEnum + " engine " + engineProfile, null);
      }
      int slices = SliceProfiles.slicesOf(profileEnum);
      if (slices == 0 || slices > gi.profile.computeSlices()) {
        throw new NvmlException(NvmlReturn.NOT_SUPPORTED, f, gi.label(), "profile enum " + profileEnum, null);
      }
      int sms = gi.profile.multiprocessors() * slices / gi.profile.computeSlices();
      return new ComputeInstanceProfileInfo(profileEnum, slices, gi.profile.computeSlices() / slices, sms,
          0, 0, 0, 0, 0);
    });
  }

  @Override
  public ComputeInstanceHandle createComputeInstance(GpuInstanceHandle gpuInstance, int profileId) {
    return locked(() -> {
      NvmlFunction f = NvmlFunction.CREATE_COMPUTE_INSTANCE;
      GpuInst gi = gpuInstance(f, gpuInstance);
      int slices = SliceProfiles.slicesOf(profileId);
      if (slices == 0 || slices > gi.profile.computeSlices()) {
        throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, f, gi.label(), "CI profile id " + profileId, null);
      }
      Placement placement = freeComputePlacement(gi, slices);
      int slot = freeSlot(gi.gpu);
      if (placement == null || slot < 0) {
        throw new NvmlException(NvmlReturn.INSUFFICIENT_RESOURCES, f, gi.label(),
            "no room for " + slices + " compute slice(s)", null);
      }
      int id = 0;
      while (hasComputeInstance(gi, id)) {
        id++;
      }
      String uuid = "MIG-" + UUID.nameUUIDFromBytes((gi.gpu.uuid + "/" + gi.id + "/" + id + "/" + creationSerial++)
          .getBytes(StandardCharsets.UTF_8));
      ComputeInst ci = new ComputeInst(gi, id, profileId, slices, placement, uuid, slot);
      gi.computeInstances.add(ci);
      gi.gpu.migSlots[slot] = ci;
      return ci.ciHandle();
    });
  }

  @Override
  public List<ComputeInstanceHandle> computeInstances(GpuInstanceHandle gpuInstance, int profileId) {
    return locked(() -> {
      GpuInst gi = gpuInstance(NvmlFunction.COMPUTE_INSTANCES, gpuInstance);
      return gi.computeInstances.stream()
          .filter(ci -> ci.profileId == profileId)
          .sorted(Comparator.comparingInt(ci -> ci.id))
          .map(ComputeInst::ciHandle)
          .toList();
    });
  }

  @Override
  public Optional<ComputeInstanceHandle> computeInstanceById(GpuInstanceHandle gpuInstance, int computeInstanceId) {
    return locked(() -> {
      GpuInst gi = gpuInstance(NvmlFunction.COMPUTE_INSTANCE_BY_ID, gpuInstance);
      return gi.computeInstances.stream().filter(ci -> ci.id == computeInstanceId).findFirst()
          .map(ComputeInst::ciHandle);
    });
  }

  @Override
  public ComputeInstanceInfo computeInstanceInfo(ComputeInstanceHandle computeInstance) {
    return locked(() -> {
      ComputeInst ci = computeInstance(NvmlFunction.COMPUTE_INSTANCE_INFO, computeInstance);
      return new ComputeInstanceInfo(ci.gi.gpu.handle(), ci.gi.handle(), ci.id, ci.profileId, ci.placement);
    });
  }

  @Override
  public void destroyComputeInstance(ComputeInstanceHandle computeInstance) {
    locked(() -> {
      ComputeInst ci = computeInstance(NvmlFunction.DESTROY_COMPUTE_INSTANCE, computeInstance);
      long running = processes.values().stream().filter(p -> p.ci() == ci).count();
      if (running > 0) {
        throw new NvmlException(NvmlReturn.IN_USE, NvmlFunction.DESTROY_COMPUTE_INSTANCE, ci.label(),
            running + " process(es) still running", null);
      }
      ci.destroyed = true;
      ci.gi.computeInstances.remove(ci);
      ci.gi.gpu.migSlots[ci.slot] = null;
      return null;
    });
  }

  @Override
  public boolean isMigDevice(DeviceHandle device) {
    return locked(() -> anyDevice(NvmlFunction.IS_MIG_DEVICE, device) instanceof ComputeInst);
  }

  @Override
  public int migGpuInstanceId(DeviceHandle migDevice) {
    return locked(() -> migDevice(NvmlFunction.MIG_GPU_INSTANCE_ID, migDevice).gi.id);
  }

  @Override
  public int migComputeInstanceId(DeviceHandle migDevice) {
    return locked(() -> migDevice(NvmlFunction.MIG_COMPUTE_INSTANCE_ID, migDevice).id);
  }

  @Override
  public int maxMigDeviceCount(DeviceHandle device) {
    return locked(() -> migCapable(NvmlFunction.MAX_MIG_DEVICE_COUNT, device).migSlots.length);
  }

  @Override
  public Optional<DeviceHandle> migDeviceByIndex(DeviceHandle device, int index) {
    return locked(() -> {
      Gpu gpu = migEnabled(NvmlFunction.MIG_DEVICE_BY_INDEX, device);
      if (index < 0 || index >= gpu.migSlots.length) {
        throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, NvmlFunction.MIG_DEVICE_BY_INDEX, gpu.label(),
            "MIG device index " + index, null);
      }
      ComputeInst ci = gpu.migSlots[index];
      return ci == null ? Optional.empty() : Optional.of(ci.handle());
    });
  }

  @Override
  public DeviceHandle parentOfMigDevice(DeviceHandle migDevice) {
    return locked(() -> migDevice(NvmlFunction.PARENT_OF_MIG_DEVICE, migDevice).gi.gpu.handle());
  }

  // -------------------------------------------------------------------------------------------------- internals

  private <T> T locked(Supplier<T> body) {
    lock.lock();
    try {
      return body.get();
    } finally {
      lock.unlock();
    }
  }

  private void addFailure(FailureKey key, int times, NvmlReturn code) {
    if (times < 1 || code == NvmlReturn.SUCCESS) {
      throw new IllegalArgumentException("inject at least one failure with a code other than SUCCESS");
    }
    locked(() -> failures.put(key, new Failure(times, code)));
  }

  /** Init check, injected failure, lost GPU, in this order (the order real NVML reports them). */
  private void enter(NvmlFunction function, Gpu gpu, String device) {
    if (initReferences == 0) {
      throw new NvmlException(NvmlReturn.UNINITIALIZED, function, device);
    }
    throwInjected(function, gpu, device);
    if (gpu != null && gpu.lost) {
      throw new NvmlException(NvmlReturn.GPU_IS_LOST, function, device);
    }
  }

  private void throwInjected(NvmlFunction function, Gpu gpu, String device) {
    FailureKey key = gpu == null ? null : new FailureKey(function, gpu.index);
    Failure failure = key == null ? null : failures.get(key);
    if (failure == null) {
      key = new FailureKey(function, -1);
      failure = failures.get(key);
    }
    if (failure != null) {
      if (--failure.remaining == 0) {
        failures.remove(key);
      }
      throw new NvmlException(failure.code, function, device, "injected failure", null);
    }
  }

  private Gpu gpu(int index) {
    if (index < 0 || index >= gpus.size()) {
      throw new IllegalArgumentException("no simulated GPU " + index + " (there are " + gpus.size() + ")");
    }
    return gpus.get(index);
  }

  private Object findByUuid(String uuid) {
    for (Gpu gpu : gpus) {
      if (gpu.uuid.equals(uuid)) {
        return gpu;
      }
      for (GpuInst gi : gpu.instances) {
        for (ComputeInst ci : gi.computeInstances) {
          if (ci.uuid.equals(uuid)) {
            return ci;
          }
        }
      }
    }
    return null;
  }

  /** A live GPU or MIG device behind a handle, after the entry checks. */
  private Object anyDevice(NvmlFunction function, DeviceHandle handle) {
    if (initReferences == 0) {
      throw new NvmlException(NvmlReturn.UNINITIALIZED, function, String.valueOf(handle));
    }
    Object ref = handle == null ? null : handle.ref();
    if (ref instanceof Gpu gpu && gpus.contains(gpu)) {
      enter(function, gpu, gpu.label());
      return gpu;
    }
    if (ref instanceof ComputeInst ci) {
      enter(function, ci.gi.gpu, ci.label());
      if (ci.destroyed) {
        throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, ci.label(), "MIG device destroyed", null);
      }
      return ci;
    }
    throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, String.valueOf(handle),
        "not a handle of this simulated NVML", null);
  }

  private Gpu physical(NvmlFunction function, DeviceHandle handle) {
    Object d = anyDevice(function, handle);
    if (d instanceof Gpu gpu) {
      return gpu;
    }
    throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, handle.toString(), "a MIG device", null);
  }

  private ComputeInst migDevice(NvmlFunction function, DeviceHandle handle) {
    Object d = anyDevice(function, handle);
    if (d instanceof ComputeInst ci) {
      return ci;
    }
    throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, handle.toString(), "not a MIG device", null);
  }

  private Gpu migCapable(NvmlFunction function, DeviceHandle handle) {
    Gpu gpu = physical(function, handle);
    if (gpu.model == null) {
      throw new NvmlException(NvmlReturn.NOT_SUPPORTED, function, gpu.label(), gpu.name + " has no MIG", null);
    }
    return gpu;
  }

  private Gpu migEnabled(NvmlFunction function, DeviceHandle handle) {
    Gpu gpu = migCapable(function, handle);
    if (!gpu.migCurrent) {
      throw new NvmlException(NvmlReturn.NOT_SUPPORTED, function, gpu.label(), "MIG mode is disabled", null);
    }
    return gpu;
  }

  private GpuInst gpuInstance(NvmlFunction function, GpuInstanceHandle handle) {
    if (initReferences == 0) {
      throw new NvmlException(NvmlReturn.UNINITIALIZED, function, String.valueOf(handle));
    }
    if (handle == null || !(handle.ref() instanceof GpuInst gi)) {
      throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, String.valueOf(handle),
          "not a handle of this simulated NVML", null);
    }
    enter(function, gi.gpu, gi.label());
    if (gi.destroyed) {
      throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, gi.label(), "GPU instance destroyed", null);
    }
    return gi;
  }

  private ComputeInst computeInstance(NvmlFunction function, ComputeInstanceHandle handle) {
    if (initReferences == 0) {
      throw new NvmlException(NvmlReturn.UNINITIALIZED, function, String.valueOf(handle));
    }
    if (handle == null || !(handle.ref() instanceof ComputeInst ci)) {
      throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, String.valueOf(handle),
          "not a handle of this simulated NVML", null);
    }
    enter(function, ci.gi.gpu, ci.label());
    if (ci.destroyed) {
      throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, ci.label(), "compute instance destroyed", null);
    }
    return ci;
  }

  private SimEventSet eventSet(NvmlFunction function, EventSet handle) {
    enter(function, null, String.valueOf(handle));
    if (handle == null || !(handle.ref() instanceof SimEventSet s) || s.freed) {
      throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, String.valueOf(handle),
          "not a live event set of this simulated NVML", null);
    }
    return s;
  }

  private static Profile profileById(NvmlFunction function, Gpu gpu, int profileId) {
    return gpu.model.profiles().stream().filter(p -> p.profileId() == profileId).findFirst().orElseThrow(() -> new NvmlException(NvmlReturn.INVALID_ARGUMENT,
        function, gpu.label(), "unknown GPU-instance profile id " + profileId, null));
  }

  private void queueEvent(Gpu gpu, long xid, int gpuInstanceId, int computeInstanceId) {
    for (SimEventSet s : eventSets) {
      Long mask = s.masks.get(gpu);
      if (mask != null && (mask & EventData.XID_CRITICAL_ERROR) != 0) {
        s.queue.add(new EventData(gpu.handle(), EventData.XID_CRITICAL_ERROR, xid, gpuInstanceId,
            computeInstanceId));
      }
    }
    eventQueued.signalAll();
  }

  private static String slices(Placement placement) {
    return placement.start() + ":" + placement.size();
  }

  private static Optional<Profile> profileByEnum(MigProfileTable.Model model, int giProfileEnum) {
    return model.profiles().stream().filter(p -> p.giProfileEnum() == giProfileEnum).findFirst();
  }

  /** Why NVML would refuse this (legal) placement now, or null when it fits. */
  private static String refusal(Gpu gpu, Profile p, Placement placement) {
    for (GpuInst gi : gpu.instances) {
      if (gi.placement.overlaps(placement)) {
        return "placement " + slices(placement) + " overlaps GPU instance " + gi.id + " (" + gi.profile.name()
            + " at " + slices(gi.placement) + ")";
      }
    }
    long sameProfile = gpu.instances.stream().filter(gi -> gi.profile == p).count();
    if (sameProfile >= p.maxCount()) {
      return p.name() + " already has its maximum of " + p.maxCount() + " instance(s)";
    }
    if (gpu.instances.size() >= gpu.model.maxGpuInstances()) {
      return "the GPU already has its maximum of " + gpu.model.maxGpuInstances() + " GPU instances";
    }
    if (p.mediaExtensions() && gpu.instances.stream().anyMatch(gi -> gi.profile.mediaExtensions())) {
      return "only one +me GPU instance per GPU";
    }
    return null;
  }

  private static int remainingCapacity(Gpu gpu, Profile p) {
    int fit = 0;
    int lastEnd = 0;
    List<Placement> byStart = p.placements().stream().sorted(Comparator.comparingInt(Placement::start)).toList();
    for (Placement pl : byStart) {
      boolean free = gpu.instances.stream().noneMatch(gi -> gi.placement.overlaps(pl));
      if (free && pl.start() >= lastEnd) {
        fit++;
        lastEnd = pl.end();
      }
    }
    long sameProfile = gpu.instances.stream().filter(gi -> gi.profile == p).count();
    long cap = Math.min(fit, Math.min(p.maxCount() - sameProfile, gpu.model.maxGpuInstances() - gpu.instances.size()));
    if (p.mediaExtensions()) {
      cap = gpu.instances.stream().anyMatch(gi -> gi.profile.mediaExtensions()) ? 0 : Math.min(cap, 1);
    }
    return (int) Math.max(0, cap);
  }

  private static Placement freeComputePlacement(GpuInst gi, int slices) {
    for (int start = 0; start + slices <= gi.profile.computeSlices(); start++) {
      Placement candidate = new Placement(start, slices);
      if (gi.computeInstances.stream().noneMatch(ci -> ci.placement.overlaps(candidate))) {
        return candidate;
      }
    }
    return null;
  }

  private static int freeSlot(Gpu gpu) {
    for (int i = 0; i < gpu.migSlots.length; i++) {
      if (gpu.migSlots[i] == null) {
        return i;
      }
    }
    return -1;
  }

  private static boolean hasComputeInstance(GpuInst gi, int id) {
    return gi.computeInstances.stream().anyMatch(ci -> ci.id == id);
  }

  private record FailureKey(NvmlFunction function, int gpuIndex) {}

  private static final class Failure {
    int remaining;
    final NvmlReturn code;

    Failure(int remaining, NvmlReturn code) {
      this.remaining = remaining;
      this.code = code;
    }
  }

  private record Proc(int pid, long usedBytes, Gpu gpu, ComputeInst ci) {}

  private static final class SimEventSet {
    final int id;
    final Map<Gpu, Long> masks = new HashMap<>();
    final ArrayDeque<EventData> queue = new ArrayDeque<>();
    boolean freed;

    SimEventSet(int id) {
      this.id = id;
    }
  }

  private static final class Gpu {
    final int index;
    final String uuid;
    final String name;
    final long memoryBytes;
    final boolean unifiedMemory;
    final int numaNode;
    final int pciDeviceId;
    final MigProfileTable.Model model;
    final boolean migChangeRequiresReset;
    final List<GpuInst> instances = new ArrayList<>();
    final ComputeInst[] migSlots;
    boolean migCurrent;
    boolean migPending;
    boolean lost;

    Gpu(int index, String uuid, String name, SimulatedModels.Model model, SimulatedGpu spec) {
      this.index = index;
      this.uuid = uuid;
      this.name = name;
      this.memoryBytes = (spec.memoryMiB() > 0 ? spec.memoryMiB() : model.memoryMiB()) << 20;
      this.unifiedMemory = spec.unifiedMemory();
      this.numaNode = spec.numaNode();
      this.model = model.mig();
      this.pciDeviceId = model.pciDeviceId();
      this.migChangeRequiresReset = spec.migChangeRequiresReset();
      this.migSlots = new ComputeInst[model.mig() == null ? 0 : model.mig().computeSlicesTotal()];
      this.migCurrent = spec.migEnabled();
      this.migPending = spec.migPendingEnabled();
    }

    String label() {
      return "GPU " + index + " (" + uuid + ")";
    }

    DeviceHandle handle() {
      return new DeviceHandle(this, label());
    }
  }

  private static final class GpuInst {
    final Gpu gpu;
    final int id;
    final Profile profile;
    final Placement placement;
    final List<ComputeInst> computeInstances = new ArrayList<>();
    boolean destroyed;

    GpuInst(Gpu gpu, int id, Profile profile, Placement placement) {
      this.gpu = gpu;
      this.id = id;
      this.profile = profile;
      this.placement = placement;
    }

    String label() {
      return gpu.label() + " GI " + id;
    }

    GpuInstanceHandle handle() {
      return new GpuInstanceHandle(this, label());
    }
  }

  private static final class ComputeInst {
    final GpuInst gi;
    final int id;
    final int profileId;
    final int slices;
    final Placement placement;
    final String uuid;
    final int slot;
    boolean destroyed;

    ComputeInst(GpuInst gi, int id, int profileId, int slices, Placement placement, String uuid, int slot) {
      this.gi = gi;
      this.id = id;
      this.profileId = profileId;
      this.slices = slices;
      this.placement = placement;
      this.uuid = uuid;
      this.slot = slot;
    }

    String name() {
      String profile = slices == gi.profile.computeSlices() ? gi.profile.name() : slices + "c." + gi.profile.name();
      return gi.gpu.name + " MIG " + profile;
    }

    String label() {
      return gi.label() + " CI " + id + " (" + uuid + ")";
    }

    DeviceHandle handle() {
      return new DeviceHandle(this, label());
    }

    ComputeInstanceHandle ciHandle() {
      return new ComputeInstanceHandle(this, label());
    }
  }

  /** Collects the GPUs of a simulated node. */
  public static final class Builder {
    private final List<SimulatedGpu> specs = new ArrayList<>();
    private String driverVersion = "550.54.15";

    private Builder() {}

    /**
     * Adds one GPU (next NVML index). Fails with an {@link IllegalArgumentException} naming the model when it is
     * unknown (listing the known ones) or when MIG is requested on a model without MIG.
     */
    public Builder gpu(SimulatedGpu gpu) {
      SimulatedModels.Resolved resolved = SimulatedModels.builtIn().resolve(gpu.model());
      if ((gpu.migEnabled() || gpu.migPendingEnabled()) && resolved.model().mig() == null) {
        throw new IllegalArgumentException("GPU model '" + gpu.model() + "' has no MIG; MIG-capable models: "
            + SimulatedModels.builtIn().describeMigModels());
      }
      specs.add(gpu);
      return this;
    }

    /** Adds {@code count} default GPUs of a model. */
    public Builder gpus(String model, int count) {
      for (int i = 0; i < count; i++) {
        gpu(SimulatedGpu.of(model));
      }
      return this;
    }

    /** The driver version string to report. */
    public Builder driverVersion(String version) {
      this.driverVersion = version;
      return this;
    }

    /** The simulated NVML; needs at least one GPU and distinct UUIDs. */
    public SimulatedNvml build() {
      List<Gpu> gpus = new ArrayList<>();
      Set<String> uuids = new HashSet<>();
      for (SimulatedGpu spec : specs) {
        int index = gpus.size();
        SimulatedModels.Resolved resolved = SimulatedModels.builtIn().resolve(spec.model());
        String uuid = spec.uuid() != null ? spec.uuid()
            : "GPU-" + UUID.nameUUIDFromBytes(("hamij-simulated-gpu-" + index).getBytes(StandardCharsets.UTF_8));
        if (!uuids.add(uuid)) {
          throw new IllegalArgumentException("GPU " + index + ": UUID " + uuid + " is used twice");
        }
        gpus.add(new Gpu(index, uuid, resolved.nvmlName(), resolved.model(), spec));
      }
      if (gpus.isEmpty()) {
        throw new IllegalArgumentException("a simulated NVML needs at least one GPU");
      }
      return new SimulatedNvml(driverVersion, gpus);
    }
  }
}
