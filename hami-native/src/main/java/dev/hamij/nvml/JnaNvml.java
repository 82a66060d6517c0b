package dev.hamij.nvml;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.hamij.api.Placement;
import dev.hamij.nvml.NvmlStructs.ComputeInstanceInfoT;
import dev.hamij.nvml.NvmlStructs.ComputeInstanceProfileInfoT;
import dev.hamij.nvml.NvmlStructs.EventDataT;
import dev.hamij.nvml.NvmlStructs.GpuInstanceInfoT;
import dev.hamij.nvml.NvmlStructs.GpuInstanceProfileInfoT;
import dev.hamij.nvml.NvmlStructs.GpuInstanceProfileInfoV2T;
import dev.hamij.nvml.NvmlStructs.MemoryT;
import dev.hamij.nvml.NvmlStructs.PciInfoT;
import dev.hamij.nvml.NvmlStructs.PlacementT;
import dev.hamij.nvml.NvmlStructs.ProcessInfoT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Nvml} on the real driver library ({@code libnvidia-ml.so.1}) through JNA.
 *
 * <p>Nothing native is touched until the first {@link #init()}: building, testing and running on a machine without
 * a driver is fine, and a missing library surfaces as an {@link NvmlException} with code {@code LIBRARY_NOT_FOUND},
 * never as an {@link UnsatisfiedLinkError}. The symbols every R470+ driver exports are direct-mapped; the newer ones
 * ({@code nvmlDeviceGetGpuInstanceProfileInfoV}, {@code nvmlDeviceGetComputeRunningProcesses_v3}) are looked up
 * individually with a fallback to their older version. One process binds one library and calls {@code nvmlInit_v2}
 * once: {@link #init()}/{@link #shutdown()} count references and only the first/last reach the driver.
 */
public final class JnaNvml implements Nvml {
  /** The driver library name resolved by the dynamic loader. */
  public static final String DEFAULT_LIBRARY = "libnvidia-ml.so.1";

  private static final String SYSTEM = "system";
  private static final int MIG_ENABLE = 1;
  private static final int MAX_INSTANCES_PER_QUERY = 32;
  private static final int PROCESS_QUERY_ATTEMPTS = 5;
  private static final Map<String, JnaNvml> INSTANCES = new HashMap<>();
  private static final Object BIND_LOCK = new Object();
  private static String boundLibrary;
  private static NativeLibrary nativeLibrary;

  private static final Path SYSFS = Path.of("/sys");

  private final String library;
  private final Map<String, Optional<Function>> optionalFunctions = new ConcurrentHashMap<>();
  private final Map<Pointer, DeviceHandle> eventDevices = new ConcurrentHashMap<>();
  private int references;
  private volatile boolean initialized;

  private JnaNvml(String library) {
    this.library = library;
  }

  /** The process-wide binding of {@link #DEFAULT_LIBRARY}. */
  public static JnaNvml system() {
    return open(DEFAULT_LIBRARY);
  }

  /**
   * The process-wide binding of a library given by name or absolute path (e.g. under a driver root). Loading is
   * deferred to {@link #init()}; a process can load only one NVML library, so {@code init} of a second, different
   * library fails.
   */
  public static JnaNvml open(String library) {
    synchronized (INSTANCES) {
      return INSTANCES.computeIfAbsent(library, JnaNvml::new);
    }
  }

  /** The library this binding loads. */
  public String library() {
    return library;
  }

  // ------------------------------------------------------------------------------------------------ lifecycle

  @Override
  public synchronized void init() {
    if (references == 0) {
      bind(library);
      check(NvmlNative.nvmlInit_v2(), NvmlFunction.INIT, SYSTEM);
      initialized = true;
    }
    references++;
  }

  @Override
  public synchronized void shutdown() {
    if (references == 0) {
      throw new NvmlException(NvmlReturn.UNINITIALIZED, NvmlFunction.SHUTDOWN, SYSTEM);
    }
    references--;
    if (references == 0) {
      initialized = false;
      eventDevices.clear();
      check(NvmlNative.nvmlShutdown(), NvmlFunction.SHUTDOWN, SYSTEM);
    }
  }

  private static void bind(String library) {
    synchronized (BIND_LOCK) {
      if (boundLibrary != null) {
        if (!boundLibrary.equals(library)) {
          throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, NvmlFunction.INIT, SYSTEM,
              "this process already uses NVML from " + boundLibrary + " and cannot also load " + library, null);
        }
        return;
      }
      NativeLibrary lib;
      try {
        lib = NativeLibrary.getInstance(library);
      } catch (LinkageError e) {
        throw new NvmlException(NvmlReturn.LIBRARY_NOT_FOUND, NvmlFunction.INIT, SYSTEM, "cannot load " + library
            + " (no NVIDIA driver on this machine, or the driver is not visible in this container): "
            + firstLine(e.getMessage()), e);
      }
      try {
        Native.register(NvmlNative.class, lib);
      } catch (LinkageError e) {
        throw new NvmlException(NvmlReturn.FUNCTION_NOT_FOUND, NvmlFunction.INIT, SYSTEM, library
            + " lacks an NVML function this binding needs (driver older than R470?): " + firstLine(e.getMessage()),
            e);
      }
      nativeLibrary = lib;
      boundLibrary = library;
    }
  }

  private static String firstLine(String text) {
    if (text == null) {
      return "";
    }
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }

  // ---------------------------------------------------------------------------------------------------- system

  @Override
  public String driverVersion() {
    requireInit(NvmlFunction.DRIVER_VERSION, SYSTEM);
    byte[] buf = new byte[NvmlStructs.DRIVER_VERSION_BUFFER_SIZE];
    check(NvmlNative.nvmlSystemGetDriverVersion(buf, buf.length), NvmlFunction.DRIVER_VERSION, SYSTEM);
    return cString(buf);
  }

  @Override
  public int deviceCount() {
    requireInit(NvmlFunction.DEVICE_COUNT, SYSTEM);
    IntByReference count = new IntByReference();
    check(NvmlNative.nvmlDeviceGetCount_v2(count), NvmlFunction.DEVICE_COUNT, SYSTEM);
    return count.getValue();
  }

  @Override
  public DeviceHandle deviceByIndex(int index) {
    String label = "GPU " + index;
    requireInit(NvmlFunction.DEVICE_BY_INDEX, label);
    PointerByReference out = new PointerByReference();
    check(NvmlNative.nvmlDeviceGetHandleByIndex_v2(index, out), NvmlFunction.DEVICE_BY_INDEX, label);
    return new DeviceHandle(out.getValue(), label);
  }

  @Override
  public Optional<DeviceHandle> deviceByUuid(String uuid) {
    requireInit(NvmlFunction.DEVICE_BY_UUID, uuid);
    PointerByReference out = new PointerByReference();
    int rc = NvmlNative.nvmlDeviceGetHandleByUUID(uuid, out);
    if (rc == NvmlReturn.NOT_FOUND.code()) {
      return Optional.empty();
    }
    check(rc, NvmlFunction.DEVICE_BY_UUID, uuid);
    return Optional.of(new DeviceHandle(out.getValue(), uuid));
  }

  @Override
  public String uuid(DeviceHandle device) {
    Pointer p = pointer(NvmlFunction.UUID, device);
    byte[] buf = new byte[NvmlStructs.UUID_BUFFER_SIZE];
    check(NvmlNative.nvmlDeviceGetUUID(p, buf, buf.length), NvmlFunction.UUID, device.toString());
    return cString(buf);
  }

  @Override
  public String name(DeviceHandle device) {
    Pointer p = pointer(NvmlFunction.NAME, device);
    byte[] buf = new byte[NvmlStructs.NAME_BUFFER_SIZE];
    check(NvmlNative.nvmlDeviceGetName(p, buf, buf.length), NvmlFunction.NAME, device.toString());
    return cString(buf);
  }

  @Override
  public int index(DeviceHandle device) {
    IntByReference out = new IntByReference();
    check(NvmlNative.nvmlDeviceGetIndex(pointer(NvmlFunction.INDEX, device), out), NvmlFunction.INDEX,
        device.toString());
    return out.getValue();
  }

  @Override
  public int minorNumber(DeviceHandle device) {
    IntByReference out = new IntByReference();
    check(NvmlNative.nvmlDeviceGetMinorNumber(pointer(NvmlFunction.MINOR_NUMBER, device), out),
        NvmlFunction.MINOR_NUMBER, device.toString());
    return out.getValue();
  }

  @Override
  public MemoryInfo memoryInfo(DeviceHandle device) {
    MemoryT m = new MemoryT();
    check(NvmlNative.nvmlDeviceGetMemoryInfo(pointer(NvmlFunction.MEMORY_INFO, device), m),
        NvmlFunction.MEMORY_INFO, device.toString());
    return new MemoryInfo(m.total, m.free, m.used);
  }

  @Override
  public PciInfo pciInfo(DeviceHandle device) {
    PciInfoT pci = new PciInfoT();
    check(NvmlNative.nvmlDeviceGetPciInfo_v3(pointer(NvmlFunction.PCI_INFO, device), pci), NvmlFunction.PCI_INFO,
        device.toString());
    return new PciInfo(cString(pci.busId), pci.domain, pci.bus, pci.device, pci.pciDeviceId, pci.pciSubSystemId);
  }

  @Override
  public int numaNode(DeviceHandle device) {
    return readNumaNode(SYSFS, pciInfo(device).sysfsBusId());
  }

  /** {@code <sysfs>/bus/pci/devices/<busId>/numa_node}; negative, unreadable or garbled gives -1. */
  static int readNumaNode(Path sysfs, String sysfsBusId) {
    Path file = sysfs.resolve("bus").resolve("pci").resolve("devices").resolve(sysfsBusId).resolve("numa_node");
    try {
      int node = Integer.parseInt(Files.readString(file, StandardCharsets.US_ASCII).trim());
      return node < 0 ? -1 : node;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public TopologyLevel topologyCommonAncestor(DeviceHandle first, DeviceHandle second) {
    IntByReference level = new IntByReference();
    Pointer a = pointer(NvmlFunction.TOPOLOGY_COMMON_ANCESTOR, first);
    Pointer b = pointer(NvmlFunction.TOPOLOGY_COMMON_ANCESTOR, second);
    check(NvmlNative.nvmlDeviceGetTopologyCommonAncestor(a, b, level), NvmlFunction.TOPOLOGY_COMMON_ANCESTOR,
        first + " and " + second);
    return TopologyLevel.of(level.getValue());
  }

  @Override
  public List<ProcessInfo> computeRunningProcesses(DeviceHandle device) {
    NvmlFunction f = NvmlFunction.COMPUTE_RUNNING_PROCESSES;
    Pointer p = pointer(f, device);
    Function query = optionalFunction(f.symbol())
        .or(() -> optionalFunction("nvmlDeviceGetComputeRunningProcesses_v2"))
        .orElseThrow(() -> new NvmlException(NvmlReturn.FUNCTION_NOT_FOUND, f, device.toString()));
    int structSize = new ProcessInfoT().size();
    IntByReference count = new IntByReference(0);
    Memory buffer = null;
    for (int attempt = 0; attempt < PROCESS_QUERY_ATTEMPTS; attempt++) {
      int rc = query.invokeInt(new Object[] {p, count, buffer});
      if (rc == NvmlReturn.SUCCESS.code()) {
        List<ProcessInfo> out = new ArrayList<>();
        for (int i = 0; i < count.getValue(); i++) {
          ProcessInfoT info = Structure.newInstance(ProcessInfoT.class, buffer.share((long) i * structSize));
          info.read();
          out.add(new ProcessInfo(info.pid, info.usedGpuMemory, info.gpuInstanceId, info.computeInstanceId));
        }
        return List.copyOf(out);
      }
      if (rc != NvmlReturn.INSUFFICIENT_SIZE.code()) {
        check(rc, f, device.toString());
      }
      int capacity = count.getValue() + 8;
      buffer = new Memory((long) capacity * structSize);
      count.setValue(capacity);
    }
    throw new NvmlException(NvmlReturn.INSUFFICIENT_SIZE, f, device.toString(),
        "process list kept growing during " + PROCESS_QUERY_ATTEMPTS + " attempts", null);
  }

  // ---------------------------------------------------------------------------------------------------- events

  @Override
  public EventSet createEventSet() {
    requireInit(NvmlFunction.EVENT_SET_CREATE, SYSTEM);
    PointerByReference out = new PointerByReference();
    check(NvmlNative.nvmlEventSetCreate(out), NvmlFunction.EVENT_SET_CREATE, SYSTEM);
    return new EventSet(out.getValue(), "event set " + out.getValue());
  }

  @Override
  public void freeEventSet(EventSet set) {
    check(NvmlNative.nvmlEventSetFree(pointer(NvmlFunction.EVENT_SET_FREE, set)), NvmlFunction.EVENT_SET_FREE,
        set.toString());
  }

  @Override
  public long supportedEventTypes(DeviceHandle device) {
    LongByReference out = new LongByReference();
    check(NvmlNative.nvmlDeviceGetSupportedEventTypes(pointer(NvmlFunction.SUPPORTED_EVENT_TYPES, device), out),
        NvmlFunction.SUPPORTED_EVENT_TYPES, device.toString());
    return out.getValue();
  }

  @Override
  public void registerEvents(DeviceHandle device, long eventTypes, EventSet set) {
    Pointer d = pointer(NvmlFunction.REGISTER_EVENTS, device);
    check(NvmlNative.nvmlDeviceRegisterEvents(d, eventTypes, pointer(NvmlFunction.REGISTER_EVENTS, set)),
        NvmlFunction.REGISTER_EVENTS, device.toString());
    eventDevices.put(d, device);
  }

  @Override
  public Optional<EventData> waitForEvent(EventSet set, int timeoutMs) {
    EventDataT data = new EventDataT();
    int rc = NvmlNative.nvmlEventSetWait_v2(pointer(NvmlFunction.EVENT_SET_WAIT, set), data, timeoutMs);
    if (rc == NvmlReturn.TIMEOUT.code()) {
      return Optional.empty();
    }
    check(rc, NvmlFunction.EVENT_SET_WAIT, set.toString());
    Pointer device = data.device == null ? new Pointer(0) : data.device;
    DeviceHandle handle = eventDevices.getOrDefault(device, new DeviceHandle(device, "device " + device));
    return Optional.of(new EventData(handle, data.eventType, data.eventData, data.gpuInstanceId,
        data.computeInstanceId));
  }

  // ------------------------------------------------------------------------------------------------------- MIG

  @Override
  public MigMode migMode(DeviceHandle device) {
    IntByReference current = new IntByReference();
    IntByReference pending = new IntByReference();
    check(NvmlNative.nvmlDeviceGetMigMode(pointer(NvmlFunction.MIG_MODE, device), current, pending),
        NvmlFunction.MIG_MODE, device.toString());
    return new MigMode(current.getValue() == MIG_ENABLE, pending.getValue() == MIG_ENABLE);
  }

  @Override
  public NvmlReturn setMigMode(DeviceHandle device, boolean enabled) {
    IntByReference activation = new IntByReference();
    check(NvmlNative.nvmlDeviceSetMigMode(pointer(NvmlFunction.SET_MIG_MODE, device), enabled ? MIG_ENABLE : 0,
        activation), NvmlFunction.SET_MIG_MODE, device.toString());
    return NvmlReturn.of(activation.getValue());
  }

  @Override
  public GpuInstanceProfileInfo gpuInstanceProfileInfo(DeviceHandle device, int profileEnum) {
    NvmlFunction f = NvmlFunction.GPU_INSTANCE_PROFILE_INFO;
    Pointer p = pointer(f, device);
    Optional<Function> v2 = optionalFunction("nvmlDeviceGetGpuInstanceProfileInfoV");
    if (v2.isPresent()) {
      GpuInstanceProfileInfoV2T info = new GpuInstanceProfileInfoV2T();
      int rc = v2.get().invokeInt(new Object[] {p, profileEnum, info});
      if (rc != NvmlReturn.ARGUMENT_VERSION_MISMATCH.code() && rc != NvmlReturn.FUNCTION_NOT_FOUND.code()) {
        check(rc, f, device + " profile enum " + profileEnum);
        return new GpuInstanceProfileInfo(info.id, info.isP2pSupported != 0, info.sliceCount, info.instanceCount,
            info.multiprocessorCount, info.copyEngineCount, info.decoderCount, info.encoderCount, info.jpegCount,
            info.ofaCount, info.memorySizeMB, cString(info.name));
      }
    }
    GpuInstanceProfileInfoT info = new GpuInstanceProfileInfoT();
    check(NvmlNative.nvmlDeviceGetGpuInstanceProfileInfo(p, profileEnum, info), f,
        device + " profile enum " + profileEnum);
    return new GpuInstanceProfileInfo(info.id, info.isP2pSupported != 0, info.sliceCount, info.instanceCount,
        info.multiprocessorCount, info.copyEngineCount, info.decoderCount, info.encoderCount, info.jpegCount,
        info.ofaCount, info.memorySizeMB, "");
  }

  @Override
  public List<Placement> gpuInstancePossiblePlacements(DeviceHandle device, int profileId) {
    NvmlFunction f = NvmlFunction.GPU_INSTANCE_POSSIBLE_PLACEMENTS;
    Pointer p = pointer(f, device);
    String label = device + " profile id " + profileId;
    IntByReference count = new IntByReference(0);
    check(NvmlNative.nvmlDeviceGetGpuInstancePossiblePlacements_v2(p, profileId, null, count), f, label);
    int[] pairs = new int[2 * count.getValue()];
    if (pairs.length == 0) {
      return List.of();
    }
    check(NvmlNative.nvmlDeviceGetGpuInstancePossiblePlacements_v2(p, profileId, pairs, count), f, label);
    List<Placement> out = new ArrayList<>();
    for (int i = 0; i < count.getValue(); i++) {
      out.add(new Placement(pairs[2 * i], pairs[2 * i + 1]));
    }
    return List.copyOf(out);
  }

  @Override
  public int gpuInstanceRemainingCapacity(DeviceHandle device, int profileId) {
    NvmlFunction f = NvmlFunction.GPU_INSTANCE_REMAINING_CAPACITY;
    IntByReference count = new IntByReference();
    check(NvmlNative.nvmlDeviceGetGpuInstanceRemainingCapacity(pointer(f, device), profileId, count), f,
        device + " profile id " + profileId);
    return count.getValue();
  }

  @Override
  public GpuInstanceHandle createGpuInstanceWithPlacement(
      DeviceHandle device, int profileId, Placement placement) {
    NvmlFunction f = NvmlFunction.CREATE_GPU_INSTANCE_WITH_PLACEMENT;
    PlacementT pl = new PlacementT();
    pl.start = placement.start();
    pl.size = placement.size();
    PointerByReference out = new PointerByReference();
    String label = device + " profile id " + profileId + " at " + placement;
    check(NvmlNative.nvmlDeviceCreateGpuInstanceWithPlacement(pointer(f, device), profileId, pl, out), f, label);
    return new GpuInstanceHandle(out.getValue(), device + " GI at " + placement);
  }

  @Override
  public List<GpuInstanceHandle> gpuInstances(DeviceHandle device, int profileId) {
    NvmlFunction f = NvmlFunction.GPU_INSTANCES;
    Memory buffer = new Memory((long) MAX_INSTANCES_PER_QUERY * Native.POINTER_SIZE);
    IntByReference count = new IntByReference(MAX_INSTANCES_PER_QUERY);
    check(NvmlNative.nvmlDeviceGetGpuInstances(pointer(f, device), profileId, buffer, count), f,
        device + " profile id " + profileId);
    List<GpuInstanceHandle> out = new ArrayList<>();
    for (int i = 0; i < count.getValue(); i++) {
      out.add(new GpuInstanceHandle(buffer.getPointer((long) i * Native.POINTER_SIZE),
          device + " GI #" + i + " of profile id " + profileId));
    }
    return List.copyOf(out);
  }

  @Override
  public Optional<GpuInstanceHandle> gpuInstanceById(DeviceHandle device, int gpuInstanceId) {
    NvmlFunction f = NvmlFunction.GPU_INSTANCE_BY_ID;
    PointerByReference out = new PointerByReference();
    String label = device + " GI " + gpuInstanceId;
    int rc = NvmlNative.nvmlDeviceGetGpuInstanceById(pointer(f, device), gpuInstanceId, out);
    if (rc == NvmlReturn.NOT_FOUND.code()) {
      return Optional.empty();
    }
    check(rc, f, label);
    return Optional.of(new GpuInstanceHandle(out.getValue(), label));
  }

  @Override
  public GpuInstanceInfo gpuInstanceInfo(GpuInstanceHandle gpuInstance) {
    GpuInstanceInfoT info = new GpuInstanceInfoT();
    check(NvmlNative.nvmlGpuInstanceGetInfo(pointer(NvmlFunction.GPU_INSTANCE_INFO, gpuInstance), info),
        NvmlFunction.GPU_INSTANCE_INFO, gpuInstance.toString());
    DeviceHandle device = new DeviceHandle(info.device, "parent of " + gpuInstance);
    return new GpuInstanceInfo(device, info.id, info.profileId,
        new Placement(info.placement.start, info.placement.size));
  }

  @Override
  public void destroyGpuInstance(GpuInstanceHandle gpuInstance) {
    check(NvmlNative.nvmlGpuInstanceDestroy(pointer(NvmlFunction.DESTROY_GPU_INSTANCE, gpuInstance)),
        NvmlFunction.DESTROY_GPU_INSTANCE, gpuInstance.toString());
  }

  @Override
  public ComputeInstanceProfileInfo computeInstanceProfileInfo(
      GpuInstanceHandle gpuInstance, int profileEnum, int engineProfile) {
    NvmlFunction f = NvmlFunction.COMPUTE_INSTANCE_PROFILE_INFO;
    ComputeInstanceProfileInfoT info = new ComputeInstanceProfileInfoT();
    check(NvmlNative.nvmlGpuInstanceGetComputeInstanceProfileInfo(pointer(f, gpuInstance), profileEnum,
        engineProfile, info), f, gpuInstance + " CI profile enum " + profileEnum);
    return new ComputeInstanceProfileInfo(info.id, info.sliceCount, info.instanceCount, info.multiprocessorCount,
        info.sharedCopyEngineCount, info.sharedDecoderCount, info.sharedEncoderCount, info.sharedJpegCount,
        info.sharedOfaCount);
  }

  @Override
  public ComputeInstanceHandle createComputeInstance(GpuInstanceHandle gpuInstance, int profileId) {
    NvmlFunction f = NvmlFunction.CREATE_COMPUTE_INSTANCE;
    PointerByReference out = new PointerByReference();
    check(NvmlNative.nvmlGpuInstanceCreateComputeInstance(pointer(f, gpuInstance), profileId, out), f,
        gpuInstance + " CI profile id " + profileId);
    return new ComputeInstanceHandle(out.getValue(), gpuInstance + " new CI of profile id " + profileId);
  }

  @Override
  public List<ComputeInstanceHandle> computeInstances(GpuInstanceHandle gpuInstance, int profileId) {
    NvmlFunction f = NvmlFunction.COMPUTE_INSTANCES;
    Memory buffer = new Memory((long) MAX_INSTANCES_PER_QUERY * Native.POINTER_SIZE);
    IntByReference count = new IntByReference(MAX_INSTANCES_PER_QUERY);
    check(NvmlNative.nvmlGpuInstanceGetComputeInstances(pointer(f, gpuInstance), profileId, buffer, count), f,
        gpuInstance + " CI profile id " + profileId);
    List<ComputeInstanceHandle> out = new ArrayList<>();
    for (int i = 0; i < count.getValue(); i++) {
      out.add(new ComputeInstanceHandle(buffer.getPointer((long) i * Native.POINTER_SIZE),
          gpuInstance + " CI #" + i + " of profile id " + profileId));
    }
    return List.copyOf(out);
  }

  @Override
  public Optional<ComputeInstanceHandle> computeInstanceById(GpuInstanceHandle gpuInstance, int computeInstanceId) {
    NvmlFunction f = NvmlFunction.COMPUTE_INSTANCE_BY_ID;
    PointerByReference out = new PointerByReference();
    String label = gpuInstance + " CI " + computeInstanceId;
    int rc = NvmlNative.nvmlGpuInstanceGetComputeInstanceById(pointer(f, gpuInstance), computeInstanceId, out);
    if (rc == NvmlReturn.NOT_FOUND.code()) {
      return Optional.empty();
    }
    check(rc, f, label);
    return Optional.of(new ComputeInstanceHandle(out.getValue(), label));
  }

  @Override
  public ComputeInstanceInfo computeInstanceInfo(ComputeInstanceHandle computeInstance) {
    NvmlFunction f = NvmlFunction.COMPUTE_INSTANCE_INFO;
    ComputeInstanceInfoT info = new ComputeInstanceInfoT();
    check(NvmlNative.nvmlComputeInstanceGetInfo_v2(pointer(f, computeInstance), info), f,
        computeInstance.toString());
    return new ComputeInstanceInfo(new DeviceHandle(info.device, "parent GPU of " + computeInstance),
        new GpuInstanceHandle(info.gpuInstance, "GPU instance of " + computeInstance), info.id, info.profileId,
        new Placement(info.placement.start, info.placement.size));
  }

  @Override
  public void destroyComputeInstance(ComputeInstanceHandle computeInstance) {
    check(NvmlNative.nvmlComputeInstanceDestroy(pointer(NvmlFunction.DESTROY_COMPUTE_INSTANCE, computeInstance)),
        NvmlFunction.DESTROY_COMPUTE_INSTANCE, computeInstance.toString());
  }

  @Override
  public boolean isMigDevice(DeviceHandle device) {
    IntByReference out = new IntByReference();
    check(NvmlNative.nvmlDeviceIsMigDeviceHandle(pointer(NvmlFunction.IS_MIG_DEVICE, device), out),
        NvmlFunction.IS_MIG_DEVICE, device.toString());
    return out.getValue() != 0;
  }

  @Override
  public int migGpuInstanceId(DeviceHandle migDevice) {
    IntByReference out = new IntByReference();
    check(NvmlNative.nvmlDeviceGetGpuInstanceId(pointer(NvmlFunction.MIG_GPU_INSTANCE_ID, migDevice), out),
        NvmlFunction.MIG_GPU_INSTANCE_ID, migDevice.toString());
    return out.getValue();
  }

  @Override
  public int migComputeInstanceId(DeviceHandle migDevice) {
    IntByReference out = new IntByReference();
    check(NvmlNative.nvmlDeviceGetComputeInstanceId(pointer(NvmlFunction.MIG_COMPUTE_INSTANCE_ID, migDevice), out),
        NvmlFunction.MIG_COMPUTE_INSTANCE_ID, migDevice.toString());
    return out.getValue();
  }

  @Override
  public int maxMigDeviceCount(DeviceHandle device) {
    IntByReference out = new IntByReference();
    check(NvmlNative.nvmlDeviceGetMaxMigDeviceCount(pointer(NvmlFunction.MAX_MIG_DEVICE_COUNT, device), out),
        NvmlFunction.MAX_MIG_DEVICE_COUNT, device.toString());
    return out.getValue();
  }

  @Override
  public Optional<DeviceHandle> migDeviceByIndex(DeviceHandle device, int index) {
    NvmlFunction f = NvmlFunction.MIG_DEVICE_BY_INDEX;
    PointerByReference out = new PointerByReference();
    String label = device + " MIG device " + index;
    int rc = NvmlNative.nvmlDeviceGetMigDeviceHandleByIndex(pointer(f, device), index, out);
    if (rc == NvmlReturn.NOT_FOUND.code()) {
      return Optional.empty();
    }
    check(rc, f, label);
    return Optional.of(new DeviceHandle(out.getValue(), label));
  }

  @Override
  public DeviceHandle parentOfMigDevice(DeviceHandle migDevice) {
    NvmlFunction f = NvmlFunction.PARENT_OF_MIG_DEVICE;
    PointerByReference out = new PointerByReference();
    check(NvmlNative.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(pointer(f, migDevice), out), f,
        migDevice.toString());
    return new DeviceHandle(out.getValue(), "parent of " + migDevice);
  }

  // -------------------------------------------------------------------------------------------------- internals

  private void requireInit(NvmlFunction function, String device) {
    if (!initialized) {
      throw new NvmlException(NvmlReturn.UNINITIALIZED, function, device);
    }
  }

  private Pointer pointer(NvmlFunction function, NvmlHandle handle) {
    String label = String.valueOf(handle);
    requireInit(function, label);
    if (handle == null || !(handle.ref() instanceof Pointer p)) {
      throw new NvmlException(NvmlReturn.INVALID_ARGUMENT, function, label, "not a handle of the JNA binding", null);
    }
    return p;
  }

  private Optional<Function> optionalFunction(String symbol) {
    return optionalFunctions.computeIfAbsent(symbol, s -> {
      try {
        return Optional.of(nativeLibrary.getFunction(s));
      } catch (UnsatisfiedLinkError e) {
        return Optional.empty();
      }
    });
  }

  private static void check(int rc, NvmlFunction function, String device) {
    if (rc != NvmlReturn.SUCCESS.code()) {
      throw new NvmlException(NvmlReturn.of(rc), rc, function, device, NvmlNative.nvmlErrorString(rc), null);
    }
  }

  private static String cString(byte[] buf) {
    return Native.toString(buf, StandardCharsets.UTF_8);
  }
}
