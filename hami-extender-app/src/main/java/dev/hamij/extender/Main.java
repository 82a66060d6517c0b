package dev.hamij.extender;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Command-line entry point of the scheduler-side deployable. */
@Command(name = "hami-extender", mixinStandardHelpOptions = true, version = "hami-extender " + UsageMetrics.VERSION,
    description = "HAMi-compatible kube-scheduler extender, admission webhook and offline scheduling tools.",
    subcommands = {ServeCommand.class, ScheduleCommand.class, ManifestsCommand.class,
        dev.hamij.extender.sim.SimulateCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (also used by tests). */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      line.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
      return 2;
    });
    return cl;
  }
}
