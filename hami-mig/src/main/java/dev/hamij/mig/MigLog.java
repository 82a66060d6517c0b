package dev.hamij.mig;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/** The MIG manager's log (logger {@code dev.hamij.mig}): every create, adoption and destroy, with GPU and pod. */
final class MigLog {
  private static final Logger LOG = System.getLogger("dev.hamij.mig");

  private MigLog() {}

  static void created(ManagedInstance m) {
    LOG.log(Level.INFO, () -> "created MIG instance " + m.describe());
  }

  static void adopted(ManagedInstance m, String how) {
    LOG.log(Level.INFO, () -> "adopted MIG instance " + m.describe() + " (" + how + ")");
  }

  static void doomed(ManagedInstance m, String why) {
    LOG.log(Level.INFO, () -> "will destroy MIG instance " + m.describe() + ": " + why);
  }

  static void destroyed(ManagedInstance m, String why) {
    LOG.log(Level.INFO, () -> "destroyed MIG instance " + m.describe() + " (" + why + ")");
  }

  static void forgotten(ManagedInstance m, String why) {
    LOG.log(Level.WARNING, () -> "no longer tracking MIG instance " + m.describe() + ": " + why);
  }

  static void inUse(ManagedInstance m) {
    LOG.log(Level.INFO, () -> "MIG instance " + m.describe() + " still in use; destroy retried later");
  }

  static void quarantined(ManagedInstance m, String why) {
    LOG.log(Level.WARNING, () -> "quarantined MIG instance " + m.describe() + ": " + why);
  }

  static void warn(String message) {
    LOG.log(Level.WARNING, message);
  }

  static void info(String message) {
    LOG.log(Level.INFO, message);
  }

  static void modeSwitched(NodeGpus.Gpu gpu) {
    LOG.log(Level.WARNING, () -> "enabled MIG mode on " + gpu.label() + " (MIG-mode switching is turned on)");
  }
}
