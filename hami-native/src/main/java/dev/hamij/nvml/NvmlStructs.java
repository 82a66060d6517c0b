package dev.hamij.nvml;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/** JNA mirrors of the NVML structs (64-bit layouts of node.md §8.2). Field names follow the C header. */
final class NvmlStructs {
  static final int UUID_BUFFER_SIZE = 96;
  static final int NAME_BUFFER_SIZE = 96;
  static final int DRIVER_VERSION_BUFFER_SIZE = 80;
  static final int GPU_INSTANCE_PROFILE_INFO_V2_VERSION = 0x02000098;

  private NvmlStructs() {}

  /** {@code nvmlMemory_t}, 24 bytes. */
  @FieldOrder({"total", "free", "used"})
  public static class MemoryT extends Structure {
    public long total;
    public long free;
    public long used;
  }

  /** {@code nvmlPciInfo_t}, 68 bytes. */
  @FieldOrder({"busIdLegacy", "domain", "bus", "device", "pciDeviceId", "pciSubSystemId", "busId"})
  public static class PciInfoT extends Structure {
    public byte[] busIdLegacy = new byte[16];
    public int domain;
    public int bus;
    public int device;
    public int pciDeviceId;
    public int pciSubSystemId;
    public byte[] busId = new byte[32];
  }

  /** {@code nvmlProcessInfo_t} (v2 layout, used by the {@code _v2}/{@code _v3} process queries), 24 bytes. */
  @FieldOrder({"pid", "usedGpuMemory", "gpuInstanceId", "computeInstanceId"})
  public static class ProcessInfoT extends Structure {
    public int pid;
    public long usedGpuMemory;
    public int gpuInstanceId;
    public int computeInstanceId;
  }

  /** {@code nvmlGpuInstancePlacement_t}, 8 bytes. */
  @FieldOrder({"start", "size"})
  public static class PlacementT extends Structure {
    public int start;
    public int size;
  }

  /** {@code nvmlGpuInstanceProfileInfo_t}, 48 bytes. */
  @FieldOrder({"id", "isP2pSupported", "sliceCount", "instanceCount", "multiprocessorCount", "copyEngineCount",
      "decoderCount", "encoderCount", "jpegCount", "ofaCount", "memorySizeMB"})
  public static class GpuInstanceProfileInfoT extends Structure {
    public int id;
    public int isP2pSupported;
    public int sliceCount;
    public int instanceCount;
    public int multiprocessorCount;
    public int copyEngineCount;
    public int decoderCount;
    public int encoderCount;
    public int jpegCount;
    public int ofaCount;
    public long memorySizeMB;
  }

  /** {@code nvmlGpuInstanceProfileInfo_v2_t}, 152 bytes; set {@code version} before the call. */
  @FieldOrder({"version", "id", "isP2pSupported", "sliceCount", "instanceCount", "multiprocessorCount",
      "copyEngineCount", "decoderCount", "encoderCount", "jpegCount", "ofaCount", "memorySizeMB", "name"})
  public static class GpuInstanceProfileInfoV2T extends Structure {
    public int version = GPU_INSTANCE_PROFILE_INFO_V2_VERSION;
    public int id;
    public int isP2pSupported;
    public int sliceCount;
    public int instanceCount;
    public int multiprocessorCount;
    public int copyEngineCount;
    public int decoderCount;
    public int encoderCount;
    public int jpegCount;
    public int ofaCount;
    public long memorySizeMB;
    public byte[] name = new byte[NAME_BUFFER_SIZE];
  }

  /** {@code nvmlGpuInstanceInfo_t}, 24 bytes. */
  @FieldOrder({"device", "id", "profileId", "placement"})
  public static class GpuInstanceInfoT extends Structure {
    public Pointer device;
    public int id;
    public int profileId;
    public PlacementT placement;
  }

  /** {@code nvmlComputeInstanceProfileInfo_t}, 36 bytes. */
  @FieldOrder({"id", "sliceCount", "instanceCount", "multiprocessorCount", "sharedCopyEngineCount",
      "sharedDecoderCount", "sharedEncoderCount", "sharedJpegCount", "sharedOfaCount"})
  public static class ComputeInstanceProfileInfoT extends Structure {
    public int id;
    public int sliceCount;
    public int instanceCount;
    public int multiprocessorCount;
    public int sharedCopyEngineCount;
    public int sharedDecoderCount;
    public int sharedEncoderCount;
    public int sharedJpegCount;
    public int sharedOfaCount;
  }

  /** {@code nvmlComputeInstanceInfo_t}, 32 bytes. */
  @FieldOrder({"device", "gpuInstance", "id", "profileId", "placement"})
  public static class ComputeInstanceInfoT extends Structure {
    public Pointer device;
    public Pointer gpuInstance;
    public int id;
    public int profileId;
    public PlacementT placement;
  }

  /** {@code nvmlEventData_t}, 32 bytes. */
  @FieldOrder({"device", "eventType", "eventData", "gpuInstanceId", "computeInstanceId"})
  public static class EventDataT extends Structure {
    public Pointer device;
    public long eventType;
    public long eventData;
    public int gpuInstanceId;
    public int computeInstanceId;
  }
}
