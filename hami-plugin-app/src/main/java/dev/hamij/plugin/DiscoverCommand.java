package dev.hamij.plugin;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.MigProfile;
import dev.hamij.nvidia.DiscoveredGpu;
import dev.hamij.nvidia.GpuDiscovery;
import dev.hamij.nvidia.NodeInventory;
import dev.hamij.nvidia.RegisterAnnotations;
import dev.hamij.nvml.Nvml;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code discover}: one discovery pass, read-only: prints the node's GPUs as the plugin would
 * advertise and register them, and the node annotations the register loop would write.
 */
@Command(name = "discover", mixinStandardHelpOptions = true,
    description = "Print this node's GPUs and the register annotation the plugin would write (read-only).")
final class DiscoverCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin NodeOptions node;

  @Override
  public Integer call() {
    String nodeName = node.nodeName();
    HamiConfig config = node.config();
    RegisterAnnotations.Format format = node.registerFormat();
    Nvml nvml = node.nvml();
    nvml.init();
    NodeInventory inventory;
    try {
      inventory = GpuDiscovery.forNode(nvml, config, nodeName).discover();
    } finally {
      nvml.shutdown();
    }
    PrintWriter out = spec.commandLine().getOut();
    print(out, nodeName, config, inventory, format);
    out.flush();
    return 0;
  }

  static void print(PrintWriter out, String nodeName, HamiConfig config, NodeInventory inventory,
      RegisterAnnotations.Format format) {
    out.printf("node %s: mode %s, %d GPUs, %d devices for kubelet as %s (%d per GPU)%n", nodeName,
        config.operatingModeFor(nodeName), inventory.gpus().size(), inventory.advertisedDevices().size(),
        config.effectiveFor(nodeName).resourceNames().count(), inventory.splitCount());
    for (DiscoveredGpu gpu : inventory.gpus()) {
      GpuDevice d = gpu.device();
      out.printf("GPU %d  %s  %s  %d MiB  devcore %d  numa %s  count %d  %s  %s%n", d.index(), d.id(), d.type(),
          d.devmem(), d.devcore(), gpu.numaNode() < 0 ? "unknown" : Integer.toString(gpu.numaNode()), d.count(),
          d.health() ? "healthy" : "unhealthy", gpu.registered() ? "registered" : "not registered");
      for (MigProfile p : d.migProfiles()) {
        out.printf("  MIG %s  %d MiB  core %d  %d slices  placements %s%n", p.name(), p.memoryMB(), p.core(),
            p.sliceCount(), p.placements().stream().map(pl -> pl.start() + ":" + pl.size()).toList());
      }
    }
    for (String warning : inventory.warnings()) {
      out.println("warning: " + warning);
    }
    Map<String, String> annotations = new TreeMap<>(
        RegisterAnnotations.of(inventory.registeredDevices(), format, Instant.now(), ZoneId.systemDefault()));
    annotations.forEach((key, value) -> out.println(key + ": " + value));
  }
}
