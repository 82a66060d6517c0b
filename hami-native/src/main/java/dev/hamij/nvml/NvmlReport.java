package dev.hamij.nvml;

import dev.hamij.api.Placement;
import java.util.List;
import java.util.StringJoiner;
import java.util.function.Supplier;

/**
 * A read-only, line-oriented report of what an {@link Nvml} sees: driver, then per GPU its UUID, name, memory, PCI bus,
 * NUMA node, minor and MIG mode, and in MIG mode every GPU-instance profile with its placements. Used to compare the
 * JNA binding with {@code nvidia-smi} on a real node ({@code java -cp ... dev.hamij.nvml.NvmlReport}); it never
 * changes MIG mode or creates instances. A failing call is printed in place of its value.
 */
public final class NvmlReport {
  private NvmlReport() {}

  /** Prints the report of the real driver ({@link JnaNvml#system()}); exit status 1 when NVML cannot start. */
  public static void main(String[] args) {
    Nvml nvml = JnaNvml.system();
    try {
      nvml.init();
    } catch (NvmlException e) {
      System.err.println(e.getMessage());
      System.exit(1);
      return;
    }
    try {
      System.out.print(of(nvml));
    } finally {
      nvml.shutdown();
    }
  }

  /** The report of an initialised {@link Nvml}. */
  public static String of(Nvml nvml) {
    StringBuilder out = new StringBuilder();
    out.append("driver ").append(attempt(nvml::driverVersion)).append('\n');
    int count = nvml.deviceCount();
    for (int i = 0; i < count; i++) {
      DeviceHandle gpu;
      try {
        gpu = nvml.deviceByIndex(i);
      } catch (NvmlException e) {
        out.append("gpu ").append(i).append(" error=").append(e.code()).append('\n');
        continue;
      }
      out.append("gpu ").append(i)
          .append(" uuid=").append(attempt(() -> nvml.uuid(gpu)))
          .append(" name=\"").append(attempt(() -> nvml.name(gpu))).append('"')
          .append(" memoryMiB=").append(attempt(() -> nvml.memoryInfo(gpu).totalMiB()))
          .append(" bus=").append(attempt(() -> nvml.pciInfo(gpu).busId()))
          .append(" numa=").append(attempt(() -> nvml.numaNode(gpu)))
          .append(" minor=").append(attempt(() -> nvml.minorNumber(gpu)));
      MigMode mode;
      try {
        mode = nvml.migMode(gpu);
      } catch (NvmlException e) {
        out.append(" mig=").append(e.code()).append('\n');
        continue;
      }
      out.append(" mig=").append(mode.currentEnabled() ? "enabled" : "disabled")
          .append('/').append(mode.pendingEnabled() ? "enabled" : "disabled").append('\n');
      if (mode.currentEnabled()) {
        appendProfiles(nvml, gpu, out);
      }
    }
    return out.toString();
  }

  private static void appendProfiles(Nvml nvml, DeviceHandle gpu, StringBuilder out) {
    for (int e = 0; e < Nvml.GPU_INSTANCE_PROFILE_COUNT; e++) {
      GpuInstanceProfileInfo info;
      try {
        info = nvml.gpuInstanceProfileInfo(gpu, e);
      } catch (NvmlException ex) {
        continue;
      }
      out.append("  profile enum=").append(e).append(" id=").append(info.id())
          .append(" name=").append(info.profileName().isEmpty() ? "?" : info.profileName())
          .append(" slices=").append(info.sliceCount()).append(" instances=").append(info.instanceCount())
          .append(" sms=").append(info.multiprocessorCount()).append(" memoryMiB=").append(info.memorySizeMB())
          .append(" placements=").append(attempt(() -> placements(nvml.gpuInstancePossiblePlacements(gpu, info.id()))))
          .append('\n');
    }
  }

  private static String placements(List<Placement> placements) {
    StringJoiner joined = new StringJoiner(",");
    placements.forEach(p -> joined.add(p.start() + ":" + p.size()));
    return joined.toString();
  }

  private static String attempt(Supplier<Object> call) {
    try {
      return String.valueOf(call.get());
    } catch (NvmlException e) {
      return "<" + e.code() + ">";
    }
  }
}
