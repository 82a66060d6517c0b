package dev.hamij.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.core.SchedulerConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddedSchedulerTest {

  private static List<String> run() {
    SchedulerConfig config = SchedulerConfig.builder().nodePolicy(SchedulerConfig.BINPACK)
        .gpuPolicy(SchedulerConfig.BINPACK).build();
    return new EmbeddedScheduler(config).run(EmbeddedScheduler.jobs());
  }

  @Test
  void everyJobRunsOnceAndTheLedgerEndsEmpty() {
    List<String> log = run();
    for (EmbeddedScheduler.Job j : EmbeddedScheduler.jobs()) {
      assertThat(log).filteredOn(l -> l.matches("t=\\d+\\s+" + j.name() + "\\s+-> .*")).hasSize(1);
      assertThat(log).filteredOn(l -> l.matches("t=\\d+\\s+" + j.name() + "\\s+finished")).hasSize(1);
    }
    assertThat(log.get(log.size() - 1)).isEqualTo("all 13 jobs finished; GPUs still booked: 0");
  }

  @Test
  void jobsLandWhereTheirKnobsSendThem() {
    List<String> log = run();
    assertThat(log).anyMatch(l -> l.matches("t=0\\s+embed-0\\s+-> infer-a: GPU-infer-a-\\d\\(4000 MiB, 25%\\)"));
    assertThat(log).anyMatch(l -> l.matches("t=0\\s+pretrain\\s+-> train: GPU-train-3.*GPU-train-0\\(81920 MiB, 100%\\)"));
    // the 8-GPU sweep cannot start while pretrain and finetune hold the training box
    assertThat(log).anyMatch(l -> l.startsWith("t=2  sweep     waits: {") && l.contains("train="));
    assertThat(log).anyMatch(l -> l.matches("t=\\d+\\s+sweep\\s+-> train:.*"));
    assertThat(run()).isEqualTo(log);
  }
}
