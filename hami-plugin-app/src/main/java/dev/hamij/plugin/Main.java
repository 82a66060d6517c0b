package dev.hamij.plugin;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Command-line entry point of the node-side deployable. */
@Command(name = "hami-device-plugin", mixinStandardHelpOptions = true, version = "hami-device-plugin 0.1.0",
    description = "HAMi-compatible kubelet device plugin for NVIDIA GPUs (hami-core and dynamic MIG).",
    subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
