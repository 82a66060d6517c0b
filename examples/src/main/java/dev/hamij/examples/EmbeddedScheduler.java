package dev.hamij.examples;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.core.ClusterUsage;
import dev.hamij.core.Decision;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.PodSpec;
import dev.hamij.core.SchedulerConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Another scheduler embedding {@code hami-scheduling-core} as a library: a tiny batch system with its
 * own node inventory, a FIFO job queue and a clock. Each tick it releases finished jobs
 * ({@link GpuScheduler#release}), then offers queued jobs in order to {@link GpuScheduler#schedule}
 * and starts the ones that got GPUs; a job that does not fit waits, and the first time it waits its
 * per-node reasons are printed. No Kubernetes involved: jobs are described with the same resource
 * names ({@code nvidia.com/gpu}, {@code nvidia.com/gpumem}, {@code nvidia.com/gpucores}) and
 * annotations HAMi pods use.
 *
 * <p>Run it: {@code java -cp examples/target/classes:hami-scheduling-core/target/classes:hami-api/target/classes:...
 * dev.hamij.examples.EmbeddedScheduler}, or through the example's test.
 */
public final class EmbeddedScheduler {

  /** A job of the batch system: what it asks for, when it is submitted and for how many ticks it runs. */
  record Job(String name, int submit, int ticks, Map<String, String> limits, Map<String, String> annotations) {
    PodSpec spec() {
      return PodSpec.of("batch", name, "job-" + name, annotations, PodSpec.ContainerSpec.limits("main", limits));
    }
  }

  private final GpuScheduler scheduler;
  private final List<String> log = new ArrayList<>();

  EmbeddedScheduler(SchedulerConfig config) {
    this.scheduler = GpuScheduler.create(config);
    // The batch system's own inventory: two 4-GPU inference boxes and one 8-GPU training box.
    for (String box : List.of("infer-a", "infer-b")) {
      List<GpuDevice> gpus = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        gpus.add(GpuDevice.hamiCore("GPU-" + box + "-" + i, i, 10, 15360, 100, "NVIDIA Tesla T4", 0));
      }
      scheduler.upsertNode(box, gpus, Map.of());
    }
    List<GpuDevice> train = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      train.add(GpuDevice.hamiCore("GPU-train-" + i, i, 10, 81920, 100, "NVIDIA H100 80GB HBM3", i / 4));
    }
    scheduler.upsertNode("train", train, Map.of());
  }

  static Map<String, String> limits(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  /** The demo's jobs: slices of T4s, whole H100s, a NUMA-bound pair and one that waits for capacity. */
  static List<Job> jobs() {
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      jobs.add(new Job("embed-" + i, i / 2, 3 + i % 3,
          limits("nvidia.com/gpu", "1", "nvidia.com/gpumem", "4000", "nvidia.com/gpucores", "25"),
          Map.of("nvidia.com/use-gputype", "T4")));
    }
    jobs.add(new Job("pretrain", 0, 6, limits("nvidia.com/gpu", "4", "nvidia.com/gpucores", "100"),
        Map.of("nvidia.com/numa-bind", "true", "nvidia.com/use-gputype", "H100")));
    jobs.add(new Job("finetune", 1, 4, limits("nvidia.com/gpu", "2", "nvidia.com/gpumem", "40000"),
        Map.of("hami.io/gpu-scheduler-policy", "binpack")));
    jobs.add(new Job("sweep", 2, 3, limits("nvidia.com/gpu", "8", "nvidia.com/gpucores", "100"),
        Map.of("nvidia.com/use-gputype", "H100")));
    return jobs;
  }

  /** Runs the loop until every job finished; returns the transcript. */
  List<String> run(List<Job> jobs) {
    Deque<Job> queue = new ArrayDeque<>();
    Map<String, Integer> running = new LinkedHashMap<>();
    Map<String, Boolean> explained = new LinkedHashMap<>();
    int done = 0;
    for (int tick = 0; done < jobs.size(); tick++) {
      for (Map.Entry<String, Integer> e : new ArrayList<>(running.entrySet())) {
        if (e.getValue() == tick) {
          scheduler.release("job-" + e.getKey());
          running.remove(e.getKey());
          done++;
          log.add(String.format(Locale.ROOT, "t=%d  %-9s finished", tick, e.getKey()));
        }
      }
      for (Job j : jobs) {
        if (j.submit() == tick) {
          queue.add(j);
        }
      }
      for (Job j : new ArrayList<>(queue)) {
        Decision d = scheduler.schedule(j.spec());
        if (d.scheduled()) {
          queue.remove(j);
          running.put(j.name(), tick + j.ticks());
          StringBuilder gpus = new StringBuilder();
          for (ContainerDevice g : d.devices().all()) {
            gpus.append(' ').append(g.uuid()).append('(').append(g.usedmem()).append(" MiB, ").append(g.usedcores())
                .append("%)");
          }
          log.add(String.format(Locale.ROOT, "t=%d  %-9s -> %s:%s", tick, j.name(), d.node().orElseThrow(), gpus));
        } else if (d.outcome() != Decision.Outcome.UNSCHEDULABLE) {
          throw new IllegalStateException("job " + j.name() + ": " + d.outcome() + " " + d.error());
        } else if (explained.putIfAbsent(j.name(), true) == null) {
          log.add(String.format(Locale.ROOT, "t=%d  %-9s waits: %s", tick, j.name(), d.failedNodes()));
        }
      }
    }
    ClusterUsage usage = scheduler.usage();
    long busy = usage.nodes().stream().flatMap(n -> n.gpus().stream()).filter(g -> g.used() > 0).count();
    log.add("all " + jobs.size() + " jobs finished; GPUs still booked: " + busy);
    return log;
  }

  public static void main(String[] args) {
    SchedulerConfig config = SchedulerConfig.builder().nodePolicy(SchedulerConfig.BINPACK)
        .gpuPolicy(SchedulerConfig.BINPACK).build();
    new EmbeddedScheduler(config).run(jobs()).forEach(System.out::println);
  }
}
