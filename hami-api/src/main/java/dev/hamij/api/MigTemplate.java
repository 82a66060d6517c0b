package dev.hamij.api;

/**
 * One template of a legacy MIG geometry (scheduler.md §6.1, {@code knownMigGeometries}): a profile
 * name, its memory in MiB, how many instances of it the geometry holds, and the cores booked per
 * instance (v2.8+; 0 when not given).
 */
public record MigTemplate(String name, int memory, int count, int core) {
  public MigTemplate {
    if (!MigProfileNames.isValid(name) || memory <= 0 || count < 1 || core < 0 || core > 100) {
      throw new IllegalArgumentException("invalid MIG template " + name + " memory=" + memory + " count=" + count
          + " core=" + core);
    }
  }
}
