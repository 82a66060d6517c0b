package dev.hamij.nvml;

/** Frame-buffer memory of a device in bytes ({@code nvmlMemory_t}). */
public record MemoryInfo(long totalBytes, long freeBytes, long usedBytes) {
  /** Total memory in whole MiB (truncated). */
  public long totalMiB() {
    return totalBytes >>> 20;
  }
}
