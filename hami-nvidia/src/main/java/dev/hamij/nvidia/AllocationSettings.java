package dev.hamij.nvidia;

import dev.hamij.api.NvidiaConfig;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Node-wide inputs of {@link ContainerAllocations}: configuration, plugin environment and the host facts the plugin
 * established at start-up. Build with {@link #builder(String)}. Immutable.
 *
 * @param hookPath {@code HOOK_PATH}, the prefix of every HAMi-core path ({@code /usr/local})
 * @param hostLibraryPath the {@code libvgpu.so} file on the host that containers get (the one the plugin installed)
 * @param licensePresent whether {@code <hookPath>/vgpu/license} exists on the host (then license and validator are
 *     mounted)
 * @param deviceMemoryScaling {@code deviceMemoryScaling}; above 1 sets {@code CUDA_OVERSUBSCRIBE=true}
 * @param libCudaLogLevel {@code libCudaLogLevel}; empty = not set
 * @param disableCoreLimit {@code disableCoreLimit}
 * @param deviceListStrategy {@code DEVICE_LIST_STRATEGY}
 * @param passDeviceSpecs {@code PASS_DEVICE_SPECS}
 * @param devRoot {@code --dev-root}, host root of device nodes
 * @param controlDeviceNodes control device nodes that exist on the host, e.g. {@code /dev/nvidiactl}
 * @param gpuMinors minor number of each GPU by UUID, for {@code /dev/nvidia<minor>}
 * @param gdrcopyEnabled {@code --gdrcopy-enabled}
 * @param gdsEnabled {@code --gds-enabled}
 * @param mofedEnabled {@code --mofed-enabled}
 */
public record AllocationSettings(
    String hookPath,
    String hostLibraryPath,
    boolean licensePresent,
    double deviceMemoryScaling,
    String libCudaLogLevel,
    boolean disableCoreLimit,
    DeviceListStrategy deviceListStrategy,
    boolean passDeviceSpecs,
    String devRoot,
    List<String> controlDeviceNodes,
    Map<String, Integer> gpuMinors,
    boolean gdrcopyEnabled,
    boolean gdsEnabled,
    boolean mofedEnabled) {
  /** HAMi's default {@code HOOK_PATH}. */
  public static final String DEFAULT_HOOK_PATH = "/usr/local";

  public AllocationSettings {
    requireAbsolute("hookPath", hookPath);
    requireAbsolute("hostLibraryPath", hostLibraryPath);
    requireAbsolute("devRoot", devRoot);
    hookPath = withoutTrailingSlash(hookPath);
    devRoot = withoutTrailingSlash(devRoot);
    if (!(deviceMemoryScaling > 0) || !Double.isFinite(deviceMemoryScaling)) {
      throw new IllegalArgumentException("deviceMemoryScaling must be > 0, got " + deviceMemoryScaling);
    }
    Objects.requireNonNull(deviceListStrategy, "deviceListStrategy");
    libCudaLogLevel = libCudaLogLevel == null ? "" : libCudaLogLevel;
    controlDeviceNodes = List.copyOf(controlDeviceNodes);
    gpuMinors = Map.copyOf(gpuMinors);
  }

  private static void requireAbsolute(String field, String path) {
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("allocation settings: " + field + " must be an absolute path, got "
          + (path == null ? "nothing" : "'" + path + "'"));
    }
  }

  private static String withoutTrailingSlash(String path) {
    String p = path;
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p;
  }

  /** A builder starting from HAMi's defaults, with the installed library at {@code hostLibraryPath}. */
  public static Builder builder(String hostLibraryPath) {
    return new Builder(hostLibraryPath);
  }

  /** Collects {@link AllocationSettings}. */
  public static final class Builder {
    private String hookPath = DEFAULT_HOOK_PATH;
    private final String hostLibraryPath;
    private boolean licensePresent;
    private double deviceMemoryScaling = 1.0;
    private String libCudaLogLevel = "";
    private boolean disableCoreLimit;
    private DeviceListStrategy deviceListStrategy = DeviceListStrategy.ENVVAR;
    private boolean passDeviceSpecs;
    private String devRoot = "/";
    private List<String> controlDeviceNodes = List.of();
    private Map<String, Integer> gpuMinors = Map.of();
    private boolean gdrcopyEnabled;
    private boolean gdsEnabled;
    private boolean mofedEnabled;

    private Builder(String hostLibraryPath) {
      this.hostLibraryPath = hostLibraryPath;
    }

    /** Memory scaling, log level and core-limit switch from the node's effective configuration. */
    public Builder config(NvidiaConfig config) {
      this.deviceMemoryScaling = config.deviceMemoryScaling();
      this.libCudaLogLevel = config.libCudaLogLevel();
      this.disableCoreLimit = config.disableCoreLimit();
      return this;
    }

    /** {@code HOOK_PATH}. */
    public Builder hookPath(String path) {
      this.hookPath = path;
      return this;
    }

    /** Whether the host has a license file next to the library. */
    public Builder licensePresent(boolean present) {
      this.licensePresent = present;
      return this;
    }

    /** {@code DEVICE_LIST_STRATEGY}. */
    public Builder deviceListStrategy(DeviceListStrategy strategy) {
      this.deviceListStrategy = strategy;
      return this;
    }

    /**
     * {@code PASS_DEVICE_SPECS=true}: pass the existing control device nodes and each GPU's {@code /dev/nvidia<minor>}
     * from {@code devRoot}.
     */
    public Builder passDeviceSpecs(String root, List<String> existingControlNodes, Map<String, Integer> minors) {
      this.passDeviceSpecs = true;
      this.devRoot = root;
      this.controlDeviceNodes = existingControlNodes;
      this.gpuMinors = minors;
      return this;
    }

    /** {@code --gdrcopy-enabled}, {@code --gds-enabled}, {@code --mofed-enabled}. */
    public Builder networking(boolean gdrcopy, boolean gds, boolean mofed) {
      this.gdrcopyEnabled = gdrcopy;
      this.gdsEnabled = gds;
      this.mofedEnabled = mofed;
      return this;
    }

    /** The settings; invalid values fail with an {@link IllegalArgumentException} naming the field. */
    public AllocationSettings build() {
      return new AllocationSettings(hookPath, hostLibraryPath, licensePresent, deviceMemoryScaling, libCudaLogLevel,
          disableCoreLimit, deviceListStrategy, passDeviceSpecs, devRoot, controlDeviceNodes, gpuMinors,
          gdrcopyEnabled, gdsEnabled, mofedEnabled);
    }
  }
}
