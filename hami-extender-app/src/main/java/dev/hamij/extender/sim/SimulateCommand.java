package dev.hamij.extender.sim;

import dev.hamij.api.ConfigLoader;
import dev.hamij.api.HamiFormatException;
import dev.hamij.core.SchedulerConfig;
import dev.hamij.core.sim.SimCluster;
import dev.hamij.core.sim.SimPod;
import dev.hamij.core.sim.SimPolicy;
import dev.hamij.core.sim.SimResult;
import dev.hamij.core.sim.SimSummary;
import dev.hamij.core.sim.Simulation;
import dev.hamij.core.sim.Workload;
import dev.hamij.extender.SnapshotCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code simulate}: replays a workload on a cluster through the scheduling core for each policy and
 * seed, prints a summary table (one row per policy), and optionally writes an HTML report and JSON.
 * Exit code 0 on success, 2 on bad input.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"What-if simulation: replay a workload on a cluster through the real scheduling core, "
        + "one run per policy and seed, and compare allocation, fragmentation, pending pods and latency.",
        "The Alibaba openb trace (--trace-nodes/--trace-pods) is for research/study use only; cite Weng et al., "
            + "\"Beware of Fragmentation\", USENIX ATC '23, when showing results."})
public final class SimulateCommand implements Callable<Integer> {

  static final String CITATION = "Qizhen Weng, Lingyun Yang, Yinghao Yu, Wei Wang, Xiaochuan Tang, Guodong Yang, "
      + "Liping Zhang. \"Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient "
      + "Descent.\" USENIX ATC '23. https://www.usenix.org/conference/atc23/presentation/weng — trace: Alibaba "
      + "Cluster Trace Program, cluster-trace-gpu-v2023, https://github.com/alibaba/clusterdata";

  static final class ClusterSource {
    @Option(names = "--cluster", paramLabel = "YAML", description = "compact cluster description (pools of nodes)")
    Path cluster;

    @Option(names = "--trace-nodes", paramLabel = "CSV", description = "openb node list (sn,cpu_milli,memory_mib,gpu,model)")
    Path traceNodes;

    @Option(names = "--snapshot", paramLabel = "FILE",
        description = "cluster snapshot as for schedule: Nodes with register annotations, running Pods (they stay)")
    Path snapshot;
  }

  static final class WorkloadSource {
    @Option(names = "--workload", paramLabel = "YAML", description = "workload description (pods and/or generator)")
    Path workload;

    @Option(names = "--trace-pods", paramLabel = "CSV", description = "openb pod list (name,cpu_milli,memory_mib,num_gpu,gpu_milli,...)")
    Path tracePods;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  ClusterSource clusterSource;

  @ArgGroup(exclusive = true, multiplicity = "1")
  WorkloadSource workloadSource;

  @Option(names = "--policy", paramLabel = "P", split = ";",
      description = {"policy to run, repeatable (default: binpack, spread, fragmentation): binpack, spread, "
          + "fragmentation, hami-default, NODE/GPU (e.g. binpack/numa,binpack), ref:random-fit, ref:best-fit, "
          + "ref:fgd, ref:fgd-gpu; suffix @mig or @hami-core moves every GPU into that pool"})
  List<String> policies = new ArrayList<>();

  @Option(names = "--trace-mode", paramLabel = "MODE", defaultValue = "fgd",
      description = "fgd: the FGD paper's protocol (shuffle, clone to --target, no departures); "
          + "replay: the trace's creation/deletion times (default: ${DEFAULT-VALUE})")
  String traceMode;

  @Option(names = "--target", paramLabel = "PCT", defaultValue = "130",
      description = "fgd mode: total GPU demand to reach, %% of cluster capacity (default: ${DEFAULT-VALUE})")
  double targetPct;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "first seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--seeds", paramLabel = "N", defaultValue = "1", description = "number of seeds, from --seed on (default: ${DEFAULT-VALUE})")
  int seeds;

  @Option(names = "--tie", paramLabel = "RULE",
      description = "tie-break between equal nodes: name (the scheduler's: smallest node name) or seeded "
          + "(a fixed random node order per seed, the FGD protocol); default seeded for --trace-mode fgd, else name")
  String tie;

  @Option(names = "--queue", negatable = true,
      description = "unplaced pods wait and are retried after departures (default: on, off for --trace-mode fgd)")
  Boolean queue;

  @Option(names = "--check-every", paramLabel = "N", defaultValue = "0",
      description = "check the scheduler's invariants every N steps (0: never; default: ${DEFAULT-VALUE})")
  int checkEvery;

  @Option(names = "--no-reasons", description = "do not collect per-node failure reasons (faster on large runs)")
  boolean noReasons;

  @Option(names = "--split", paramLabel = "N", defaultValue = "10", description = "slots of GPUs moved to the hami-core pool by @hami-core (default: ${DEFAULT-VALUE})")
  int split;

  @Option(names = "--config", paramLabel = "YAML", description = "HAMi device-config.yaml (resource names, defaults, MIG geometries)")
  Path config;

  @Option(names = "--report", paramLabel = "HTML", description = "write a self-contained HTML report with charts")
  Path report;

  @Option(names = "--json", paramLabel = "FILE", description = "write all results as JSON")
  Path json;

  @Option(names = "--quiet", description = "no progress bar")
  boolean quiet;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      return run(out, err);
    } catch (InputError e) {
      err.println("simulate: " + e.getMessage());
      err.flush();
      return 2;
    }
  }

  /** Everything the reports need to know about one invocation. */
  record Outcome(String cluster, String workload, int nodes, int gpus, int pods, String tieRule, List<Long> seeds,
      boolean trace, String command, List<SimSummary> summaries) {}

  private int run(PrintWriter out, PrintWriter err) throws InputError {
    if (seeds < 1) {
      throw new InputError("--seeds: must be at least 1, got " + seeds);
    }
    if (!(targetPct > 0)) {
      throw new InputError("--target: must be positive, got " + targetPct);
    }
    if (!traceMode.equals("fgd") && !traceMode.equals("replay")) {
      throw new InputError("--trace-mode: \"" + traceMode + "\" is not fgd or replay");
    }
    List<SimPolicy> parsed = new ArrayList<>();
    for (String p : policies.isEmpty() ? List.of("binpack", "spread", "fragmentation") : policies) {
      try {
        parsed.add(SimPolicy.parse(p));
      } catch (IllegalArgumentException e) {
        throw new InputError("--policy: " + e.getMessage());
      }
    }
    SchedulerConfig base = SchedulerConfig.defaults();
    if (config != null) {
      try {
        base = SchedulerConfig.of(ConfigLoader.load(config));
      } catch (HamiFormatException | UncheckedIOException e) {
        throw new InputError("--config: " + e.getMessage(), e);
      }
    }
    boolean tracePods = workloadSource.tracePods != null;
    boolean fgd = tracePods && traceMode.equals("fgd");
    Simulation.TieRule tieRule;
    if (tie == null) {
      tieRule = fgd ? Simulation.TieRule.SEEDED_ORDER : Simulation.TieRule.NAME;
    } else if (tie.equals("name") || tie.equals("seeded")) {
      tieRule = tie.equals("name") ? Simulation.TieRule.NAME : Simulation.TieRule.SEEDED_ORDER;
    } else {
      throw new InputError("--tie: \"" + tie + "\" is not name or seeded");
    }
    Simulation.Options options = Simulation.Options.defaults().withTieRule(tieRule)
        .withQueue(queue != null ? queue : !fgd).withCheckEvery(Math.max(0, checkEvery)).withReasons(!noReasons)
        .withSplit(Math.max(1, split));

    SimCluster cluster;
    if (clusterSource.cluster != null) {
      cluster = ClusterFile.load(clusterSource.cluster);
    } else if (clusterSource.snapshot != null) {
      try {
        cluster = SnapshotCluster.load(clusterSource.snapshot);
      } catch (IllegalArgumentException e) {
        throw new InputError(e.getMessage(), e);
      }
    } else {
      cluster = SimCluster.of(OpenbTrace.readNodes(clusterSource.traceNodes));
    }
    List<OpenbTrace.Row> rows = tracePods ? OpenbTrace.readPods(workloadSource.tracePods) : List.of();
    WorkloadFile workloadFile = tracePods ? null : WorkloadFile.load(workloadSource.workload);

    List<Long> seedList = new ArrayList<>();
    for (int i = 0; i < seeds; i++) {
      seedList.add(seed + i);
    }
    Map<String, List<SimResult>> results = new LinkedHashMap<>();
    for (SimPolicy p : parsed) {
      results.put(p.spec(), new ArrayList<>());
    }
    int runs = seeds * parsed.size();
    ProgressBar bar = new ProgressBar(err, !quiet, runs);
    int run = 0;
    int pods = 0;
    for (long s : seedList) {
      Simulation.Options o = options.withSeed(s);
      Workload w;
      if (tracePods) {
        List<SimPod> original = rows.stream().map(OpenbTrace.Row::pod).toList();
        if (fgd) {
          Simulation probe = Simulation.of(cluster, Workload.of(original), base, o);
          long target = Math.round(cluster.gpuCount() * 1000L * targetPct / 100);
          w = Workload.inflated(original, probe.demand()::milli, target, s);
        } else {
          w = Workload.of(OpenbTrace.replay(rows));
        }
      } else {
        w = workloadFile.build(s);
      }
      pods = w.pods().size();
      Simulation sim = Simulation.of(cluster, w, base, o);
      for (SimPolicy p : parsed) {
        final int current = run;
        String label = p.spec() + " seed " + s;
        try {
          results.get(p.spec()).add(sim.run(p, (done, total) -> bar.update(current, label, done, total)));
        } catch (IllegalArgumentException e) {
          bar.finish();
          throw new InputError("policy " + p.spec() + ": " + e.getMessage(), e);
        }
        run++;
      }
    }
    bar.finish();
    List<SimSummary> summaries = new ArrayList<>();
    for (List<SimResult> r : results.values()) {
      summaries.add(SimSummary.of(r));
    }
    String clusterName = String.valueOf(clusterSource.cluster != null ? clusterSource.cluster
        : clusterSource.snapshot != null ? clusterSource.snapshot : clusterSource.traceNodes);
    String workloadName = tracePods ? workloadSource.tracePods + " (" + traceMode + (fgd ? ", target "
        + fmt(targetPct) + "%" : "") + ")" : workloadSource.workload.toString();
    Outcome outcome = new Outcome(clusterName, workloadName, cluster.nodes().size(), cluster.gpuCount(), pods,
        tieRule == Simulation.TieRule.NAME ? "smallest node name (the scheduler's rule)"
            : "fixed random node order per seed (FGD protocol)",
        seedList, clusterSource.traceNodes != null || tracePods, commandLine(), summaries);
    out.print(header(outcome));
    out.print(SummaryTable.render(summaries));
    if (outcome.trace()) {
      out.println();
      out.println("Trace results: cite " + CITATION);
    }
    out.flush();
    try {
      if (json != null) {
        JsonReport.write(outcome, json);
        out.println("JSON written to " + json);
      }
      if (report != null) {
        HtmlReport.write(outcome, report);
        out.println("Report written to " + report);
      }
    } catch (IOException e) {
      throw new InputError("cannot write the report: " + e.getMessage(), e);
    }
    out.flush();
    return 0;
  }

  static String header(Outcome o) {
    return "cluster:  " + o.cluster() + " (" + o.nodes() + " nodes, " + o.gpus() + " GPUs)\n"
        + "workload: " + o.workload() + " (" + o.pods() + " pods per run)\n"
        + "ties:     " + o.tieRule() + "; seeds " + o.seeds().get(0)
        + (o.seeds().size() > 1 ? ".." + o.seeds().get(o.seeds().size() - 1) : "") + "\n"
        + "alloc = GPU demand of the running pods, % of GPU capacity (at 100% of capacity arrived, mean over the\n"
        + "arrival period, peak); GPUs full/shared and frag (free GPU share that no request of the workload's mix\n"
        + "could use, F(M)) when the last pod arrived; failed = given up; pending = still waiting at the end;\n"
        + "wait = arrival to placement; p50/p99 = scheduler decision latency\n\n";
  }

  private String commandLine() {
    List<String> args = spec.commandLine().getParseResult() == null ? List.of()
        : new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
    if (!args.isEmpty() && args.get(0).equals("simulate")) {
      args = args.subList(1, args.size());
    }
    return "simulate " + String.join(" ", args);
  }

  static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
  }
}
