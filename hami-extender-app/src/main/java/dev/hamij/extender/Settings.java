package dev.hamij.extender;

import dev.hamij.api.HamiConfig;
import dev.hamij.api.NvidiaConfig;
import dev.hamij.core.AdmissionPolicy;
import dev.hamij.core.SchedulerConfig;

/**
 * The configuration in effect: the device config file plus command-line flags, translated into the
 * core's {@link SchedulerConfig} and the webhook's {@link AdmissionPolicy.Settings}. Immutable; a
 * reload builds a new one.
 */
record Settings(HamiConfig hami, SchedulerConfig scheduler, AdmissionPolicy.Settings admission) {

  /** The flags that shape decisions (HAMi's names in {@link ExtenderFlags}). */
  record Policies(String nodePolicy, String gpuPolicy, String schedulerName, boolean forceOverwriteDefaultScheduler) {}

  static Settings of(HamiConfig hami, Policies p) {
    NvidiaConfig n = hami.nvidia();
    SchedulerConfig scheduler = SchedulerConfig.builder(n).nodePolicy(p.nodePolicy()).gpuPolicy(p.gpuPolicy()).build();
    AdmissionPolicy.Settings admission = new AdmissionPolicy.Settings(n.resourceNames(), n.defaultGPUNum(),
        n.gpuCorePolicy(), n.runtimeClassName(), n.overwriteEnv(), p.schedulerName(),
        p.forceOverwriteDefaultScheduler());
    return new Settings(hami, scheduler, admission);
  }
}
