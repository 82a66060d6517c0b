package dev.hamij.plugin;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * What {@code serve} runs on a GPU node, in this order: install the preload library (node.md §3.3),
 * then serve the device plugin and register it with kubelet. Registration is the readiness gate: a
 * library that cannot be installed and verified means no registration at all.
 */
final class NodeAgent implements AutoCloseable {

  private final InstalledLibrary library;
  private final DevicePluginAgent plugin;

  private NodeAgent(InstalledLibrary library, DevicePluginAgent plugin) {
    this.library = library;
    this.plugin = plugin;
  }

  /**
   * Installs the library from {@code librarySource}, then starts the device plugin.
   *
   * @param allocation builds the Allocate handler, which mounts exactly the installed library
   * @throws IOException when the library cannot be installed; nothing was started then
   */
  static NodeAgent start(PluginSettings settings, PreloadLibraryInstaller installer, Path librarySource,
      DeviceList devices, boolean preferredAllocation, Function<InstalledLibrary, AllocateHandler> allocation)
      throws IOException, InterruptedException {
    InstalledLibrary library = installer.install(librarySource);
    DevicePluginAgent plugin = new DevicePluginAgent(settings,
        new DevicePluginService(devices, allocation.apply(library), preferredAllocation));
    try {
      plugin.start();
    } catch (IOException | RuntimeException | InterruptedException e) {
      plugin.close();
      throw e;
    }
    return new NodeAgent(library, plugin);
  }

  InstalledLibrary library() {
    return library;
  }

  DevicePluginAgent plugin() {
    return plugin;
  }

  @Override
  public void close() {
    plugin.close();
  }
}
