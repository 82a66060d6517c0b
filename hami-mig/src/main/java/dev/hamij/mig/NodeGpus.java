package dev.hamij.mig;

import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.MigMode;
import dev.hamij.nvml.Nvml;
import dev.hamij.nvml.NvmlException;
import dev.hamij.nvml.NvmlReturn;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The node's GPUs as NVML listed them when the manager started, which of them the manager may touch, and one lock
 * per GPU that every MIG mutation of that GPU holds.
 */
final class NodeGpus {

  /**
   * One GPU. {@code unmanagedReason} is null for a GPU the manager may touch; {@code unreachable} marks a GPU NVML
   * could not describe, which is probed again at every {@link #refresh()}.
   */
  static final class Gpu {
    final int index;
    final String uuid;
    final String name;
    final String unmanagedReason;
    final boolean unreachable;
    final ReentrantLock lock = new ReentrantLock();
    final Map<String, NvmlMig.Profile> profiles = new ConcurrentHashMap<>();

    Gpu(int index, String uuid, String name, String unmanagedReason, boolean unreachable) {
      this.index = index;
      this.uuid = uuid;
      this.name = name;
      this.unmanagedReason = unmanagedReason;
      this.unreachable = unreachable;
    }

    boolean managed() {
      return unmanagedReason == null;
    }

    String label() {
      return "GPU " + index + " (" + uuid + ")";
    }
  }

  private final Nvml nvml;
  private final MigSettings settings;
  private volatile List<Gpu> gpus;

  NodeGpus(Nvml nvml, MigSettings settings) {
    this.nvml = nvml;
    this.settings = settings;
    List<Gpu> found = new ArrayList<>();
    int count = nvml.deviceCount();
    for (int i = 0; i < count; i++) {
      found.add(discover(i));
    }
    this.gpus = List.copyOf(found);
  }

  /** Probes the GPUs NVML could not describe before; a GPU that answers now becomes managed (or excluded). */
  synchronized void refresh() {
    if (gpus.stream().noneMatch(g -> g.unreachable)) {
      return;
    }
    List<Gpu> next = new ArrayList<>();
    for (Gpu g : gpus) {
      next.add(g.unreachable ? discover(g.index) : g);
    }
    gpus = List.copyOf(next);
  }

  private Gpu discover(int index) {
    DeviceHandle dev;
    String uuid;
    String name;
    try {
      dev = nvml.deviceByIndex(index);
      uuid = nvml.uuid(dev);
      name = nvml.name(dev);
    } catch (NvmlException e) {
      return new Gpu(index, "GPU-index-" + index, "", "unreachable, probed again: " + e.getMessage(), true);
    }
    if (settings.filterDevices().excludes(uuid, index)) {
      return new Gpu(index, uuid, name, "excluded by filterdevices on node " + settings.nodeName(), false);
    }
    try {
      nvml.migMode(dev);
    } catch (NvmlException e) {
      if (e.code() == NvmlReturn.NOT_SUPPORTED) {
        return new Gpu(index, uuid, name, name + " has no MIG", false);
      }
      return new Gpu(index, uuid, name, "MIG mode unreadable, probed again: " + e.getMessage(), true);
    }
    return new Gpu(index, uuid, name, null, false);
  }

  List<Gpu> all() {
    return gpus;
  }

  List<Gpu> managed() {
    return gpus.stream().filter(Gpu::managed).toList();
  }

  Optional<Gpu> byUuid(String uuid) {
    return gpus.stream().filter(g -> g.uuid.equals(uuid)).findFirst();
  }

  /** Why a GPU UUID is not found: the node's GPUs NVML could not describe, if any. */
  String unreachableNote() {
    List<String> labels = gpus.stream().filter(g -> g.unreachable).map(g -> g.label() + ": " + g.unmanagedReason)
        .toList();
    return labels.isEmpty() ? "" : " (" + String.join("; ", labels) + ")";
  }

  DeviceHandle device(Gpu gpu) {
    return nvml.deviceByIndex(gpu.index);
  }

  /** MIG mode of a GPU as it matters for creating instances. */
  enum ModeState { READY, DISABLED, ENABLE_PENDING, DISABLE_PENDING }

  ModeState modeState(Gpu gpu) {
    MigMode mode = nvml.migMode(device(gpu));
    if (mode.currentEnabled()) {
      return mode.pendingEnabled() ? ModeState.READY : ModeState.DISABLE_PENDING;
    }
    return mode.pendingEnabled() ? ModeState.ENABLE_PENDING : ModeState.DISABLED;
  }

  /**
   * Makes sure MIG instances can be created on the GPU now. With {@link MigSettings#switchMigMode()} a disabled GPU
   * is switched on first; nothing here resets a GPU.
   *
   * @throws MigException naming the GPU and the reason otherwise
   */
  void ensureReady(Gpu gpu) {
    if (!gpu.managed()) {
      throw new MigException(gpu.label() + " is not managed by the MIG manager: " + gpu.unmanagedReason);
    }
    ModeState state = modeState(gpu);
    if (state == ModeState.DISABLED && settings.switchMigMode()) {
      NvmlReturn activation = nvml.setMigMode(device(gpu), true);
      state = modeState(gpu);
      if (state == ModeState.READY) {
        MigLog.modeSwitched(gpu);
        return;
      }
      throw new MigException(gpu.label() + ": MIG mode enable requested but not active (" + activation
          + "); the GPU needs a reset, which this software never performs");
    }
    if (state != ModeState.READY) {
      throw new MigException(explain(gpu, state));
    }
  }

  private String explain(Gpu gpu, ModeState state) {
    return switch (state) {
      case READY -> gpu.label() + ": MIG mode is enabled";
      case DISABLE_PENDING -> gpu.label() + ": MIG mode is being disabled (pending until a GPU reset); no new MIG"
          + " instances";
      case ENABLE_PENDING -> gpu.label() + ": MIG mode enable is pending and needs a GPU reset, which this software"
          + " never performs";
      case DISABLED -> gpu.label() + ": MIG mode is disabled; enable it (nvidia-smi -i " + gpu.index
          + " -mig 1) or turn on MIG-mode switching in the MIG manager settings";
    };
  }

  /** Every GPU that cannot take MIG instances now, with the reason. */
  Map<String, String> unusable() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Gpu gpu : gpus) {
      if (!gpu.managed()) {
        out.put(gpu.uuid, gpu.label() + ": " + gpu.unmanagedReason);
        continue;
      }
      try {
        ModeState state = modeState(gpu);
        if (state != ModeState.READY && !(state == ModeState.DISABLED && settings.switchMigMode())) {
          out.put(gpu.uuid, explain(gpu, state));
        }
      } catch (NvmlException e) {
        out.put(gpu.uuid, gpu.label() + ": " + e.getMessage());
      }
    }
    return out;
  }
}
