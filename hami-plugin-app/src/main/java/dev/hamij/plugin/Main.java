package dev.hamij.plugin;

import dev.hamij.api.HamiFormatException;
import dev.hamij.nvml.NvmlException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Command-line entry point of the node-side deployable. */
@Command(name = "hami-device-plugin", mixinStandardHelpOptions = true, version = "hami-device-plugin " + Main.VERSION,
    description = "HAMi-compatible kubelet device plugin for NVIDIA GPUs (hami-core and dynamic MIG).",
    subcommands = {CommandLine.HelpCommand.class, ServeCommand.class, DiscoverCommand.class,
        ManifestsCommand.class})
public final class Main implements Runnable {

  static final String VERSION = "0.1.0";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s: %5$s%6$s%n");
    }
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line; a failure caused by bad input, the file system or NVML is reported as one line
   * naming what is wrong, anything else with its stack trace.
   */
  static CommandLine commandLine() {
    return new CommandLine(new Main()).setExecutionExceptionHandler((e, command, parsed) -> {
      if (e instanceof UncheckedIOException && e.getCause() != null) {
        command.getErr().println(command.getCommandName() + ": " + e.getMessage() + ": " + e.getCause());
      } else if (e instanceof IllegalArgumentException || e.getClass() == IOException.class
          || e instanceof HamiFormatException || e instanceof NvmlException) {
        command.getErr().println(command.getCommandName() + ": " + e.getMessage());
      } else if (e instanceof IOException) {
        command.getErr().println(command.getCommandName() + ": " + e);
      } else {
        e.printStackTrace(command.getErr());
      }
      return 1;
    });
  }
}
