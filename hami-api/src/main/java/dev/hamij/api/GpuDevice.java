package dev.hamij.api;

import java.util.List;

/**
 * One physical GPU as registered by a node's device plugin (scheduler.md §2.2).
 *
 * @param id GPU UUID
 * @param index NVML index
 * @param count slots: how many containers may share this GPU
 * @param devmem registered memory in MiB (after memory scaling)
 * @param devcore registered compute in percent (100 = the whole GPU, more with core scaling)
 * @param type model string, e.g. {@code NVIDIA A100-SXM4-40GB}
 * @param numa NUMA node
 * @param mode operating mode: {@link #MODE_HAMI_CORE}, {@link #MODE_MIG} or {@link #MODE_MPS}
 * @param health whether the device plugin reports the GPU healthy
 * @param migProfiles MIG profiles advertised for a GPU in MIG mode; empty otherwise
 */
public record GpuDevice(String id, int index, int count, int devmem, int devcore, String type, int numa,
    String mode, boolean health, List<MigProfile> migProfiles) {

  public static final String MODE_HAMI_CORE = "hami-core";
  public static final String MODE_MIG = "mig";
  public static final String MODE_MPS = "mps";

  public GpuDevice {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("GPU id must not be empty");
    }
    type = type == null ? "" : type;
    mode = mode == null ? "" : mode;
    migProfiles = migProfiles == null ? List.of() : List.copyOf(migProfiles);
  }

  /** A shareable hami-core GPU without MIG profiles. */
  public static GpuDevice hamiCore(String id, int index, int count, int devmem, int devcore, String type, int numa) {
    return new GpuDevice(id, index, count, devmem, devcore, type, numa, MODE_HAMI_CORE, true, List.of());
  }

  /** True when the GPU is in MIG mode. */
  public boolean isMig() {
    return MODE_MIG.equals(mode);
  }

  /** Same device with another health state. */
  public GpuDevice withHealth(boolean healthy) {
    return new GpuDevice(id, index, count, devmem, devcore, type, numa, mode, healthy, migProfiles);
  }
}
