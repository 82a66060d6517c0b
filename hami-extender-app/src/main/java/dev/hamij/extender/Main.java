package dev.hamij.extender;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Command-line entry point of the scheduler-side deployable. */
@Command(name = "hami-extender", mixinStandardHelpOptions = true, version = "hami-extender 0.1.0",
    description = "HAMi-compatible kube-scheduler extender, admission webhook and offline scheduling tools.",
    subcommands = {CommandLine.HelpCommand.class, dev.hamij.extender.sim.SimulateCommand.class})
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
