package dev.hamij.nvml;

/**
 * MIG mode of a GPU ({@code nvmlDeviceGetMigMode}). A change is {@code pending} until the GPU is reset; the GPU
 * behaves according to {@code current}.
 */
public record MigMode(boolean currentEnabled, boolean pendingEnabled) {
  /** True when a mode change waits for a GPU reset. */
  public boolean changePending() {
    return currentEnabled != pendingEnabled;
  }
}
