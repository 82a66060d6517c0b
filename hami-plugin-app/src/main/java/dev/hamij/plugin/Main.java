package dev.hamij.plugin;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Command-line entry point of the node-side deployable. */
@Command(name = "hami-device-plugin", mixinStandardHelpOptions = true, version = "hami-device-plugin " + Main.VERSION,
    description = "HAMi-compatible kubelet device plugin for NVIDIA GPUs (hami-core and dynamic MIG).",
    subcommands = {CommandLine.HelpCommand.class, ServeCommand.class})
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
   * The command line; a failure caused by bad input or the file system is reported as one line
   * naming what is wrong, anything else with its stack trace.
   */
  static CommandLine commandLine() {
    return new CommandLine(new Main()).setExecutionExceptionHandler((e, command, parsed) -> {
      if (e instanceof IllegalArgumentException || e.getClass() == java.io.IOException.class) {
        command.getErr().println(command.getCommandName() + ": " + e.getMessage());
      } else if (e instanceof java.io.IOException) {
        command.getErr().println(command.getCommandName() + ": " + e);
      } else {
        e.printStackTrace(command.getErr());
      }
      return 1;
    });
  }
}
