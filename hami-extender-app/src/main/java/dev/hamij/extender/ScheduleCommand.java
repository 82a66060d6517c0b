package dev.hamij.extender;

import dev.hamij.api.ConfigLoader;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.HamiFormatException;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

/** {@code schedule}: one offline decision for a pod against a cluster snapshot. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
    description = {"Decide where one pod would go in a cluster snapshot, without any API server.",
        "Exit 0 when a decision was computed (fit or not), 2 for bad input."})
final class ScheduleCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--snapshot", required = true, paramLabel = "FILE",
      description = "Kubernetes List or multi-document YAML of Node, Pod and ResourceQuota objects.")
  Path snapshot;

  @Option(names = "--pod", required = true, paramLabel = "FILE", description = "The pod to schedule (YAML or JSON).")
  Path pod;

  @Option(names = "--device-config-file", paramLabel = "FILE", description = "HAMi device config YAML (default: chart defaults).")
  Path deviceConfig;

  @Option(names = "--node-scheduler-policy", defaultValue = "binpack", description = "binpack or spread (default: ${DEFAULT-VALUE}).")
  String nodePolicy;

  @Option(names = "--gpu-scheduler-policy", defaultValue = "spread",
      description = "binpack, spread, topology-aware, mutex, numa or a comma chain (default: ${DEFAULT-VALUE}).")
  String gpuPolicy;

  @Option(names = {"-o", "--output"}, defaultValue = "json", description = "json or text (default: ${DEFAULT-VALUE}).")
  String output;

  @Option(names = "--now", paramLabel = "UNIX_SECONDS",
      description = "Time written into hami.io/vgpu-time (default: the current time), for reproducible output.")
  Long now;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!output.equals("json") && !output.equals("text")) {
      err.println("error: -o: expected json or text, got \"" + output + "\"");
      return 2;
    }
    try {
      HamiConfig hami;
      try {
        hami = deviceConfig == null ? HamiConfig.defaults() : ConfigLoader.load(deviceConfig);
      } catch (HamiFormatException e) {
        throw new Snapshot.InvalidInput(e.getMessage().startsWith(String.valueOf(deviceConfig)) ? e.getMessage()
            : deviceConfig + ": " + e.getMessage(), e);
      }
      Settings settings = Settings.of(hami, new Settings.Policies(nodePolicy, gpuPolicy, "", true));
      Snapshot snap = Snapshot.load(snapshot);
      Pod p = Snapshot.loadPod(pod);
      Instant t = now == null ? Instant.now() : Instant.ofEpochSecond(now);
      ObjectNode result = OfflineDecision.decide(snap, snapshot, p, pod, settings, t);
      if (output.equals("json")) {
        out.println(ExtenderWire.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
      } else {
        out.print(OfflineDecision.text(result));
      }
      out.flush();
      return 0;
    } catch (Snapshot.InvalidInput e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return 2;
    }
  }
}
