package dev.hamij.extender.sim;

import dev.hamij.api.ResourceNames;
import dev.hamij.core.PodSpec;
import dev.hamij.core.sim.SimPod;
import dev.hamij.core.sim.Workload;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A workload description: explicit pod templates with arrival times, counts and durations, and/or a
 * seeded Poisson generator drawing from weighted templates.
 *
 * <pre>
 * pods:
 *   - name: train           # copies are train-0, train-1, ...
 *     namespace: ml         # default "default"
 *     count: 4              # default 1
 *     arrival: 0s           # first copy (default 0s)
 *     interval: 30s         # between copies (default 0s)
 *     duration: 2h          # omitted: never leaves
 *     cpu: "8"
 *     memory: 32Gi
 *     gpu: 2                # nvidia.com/gpu
 *     gpumem: 20000         # MiB per GPU (nvidia.com/gpumem), or
 *     gpumemPercentage: 50  # nvidia.com/gpumem-percentage
 *     gpucores: 100         # nvidia.com/gpucores
 *     annotations: {nvidia.com/vgpu-mode: mig}
 *     limits: {}            # any other container limits, verbatim
 * generator:
 *   pods: 300
 *   meanInterval: 20s       # mean gap between arrivals
 *   start: 0s
 *   templates:
 *     - name: infer
 *       weight: 6
 *       meanDuration: 15m   # omitted: never leaves
 *       ...same resource keys as above
 * </pre>
 */
final class WorkloadFile {
  private static final Set<String> TOP = Set.of("pods", "generator");
  private static final Set<String> RESOURCES = Set.of("name", "namespace", "cpu", "memory", "gpu", "gpumem",
      "gpumemPercentage", "gpucores", "annotations", "limits");
  private static final Set<String> POD = union(RESOURCES, Set.of("count", "arrival", "interval", "duration"));
  private static final Set<String> TEMPLATE = union(RESOURCES, Set.of("weight", "meanDuration"));
  private static final Set<String> GENERATOR = Set.of("pods", "meanInterval", "start", "templates");

  private final List<SimPod> explicit;
  private final List<Workload.Template> templates;
  private final int generated;
  private final long meanInterval;
  private final long start;

  private WorkloadFile(List<SimPod> explicit, List<Workload.Template> templates, int generated, long meanInterval,
      long start) {
    this.explicit = explicit;
    this.templates = templates;
    this.generated = generated;
    this.meanInterval = meanInterval;
    this.start = start;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    java.util.HashSet<String> s = new java.util.HashSet<>(a);
    s.addAll(b);
    return Set.copyOf(s);
  }

  static WorkloadFile load(Path file) throws InputError {
    YamlFields top = YamlFields.load(file, TOP);
    List<SimPod> pods = new ArrayList<>();
    for (YamlFields p : top.list("pods", POD)) {
      SimPod proto = pod(p);
      long count = p.whole("count", 1, 0, 1_000_000);
      long arrival = p.duration("arrival", 0);
      long interval = p.duration("interval", 0);
      long duration = p.has("duration") ? Math.max(1, p.duration("duration", 0)) : SimPod.FOREVER;
      for (int i = 0; i < count; i++) {
        SimPod c = proto.copy(proto.spec().name() + "-" + i, proto.spec().uid() + "-" + i, arrival + i * interval);
        pods.add(new SimPod(c.spec(), c.cpuMilli(), c.memoryMiB(), c.arrivalMillis(), duration));
      }
    }
    List<Workload.Template> templates = new ArrayList<>();
    int generated = 0;
    long meanInterval = 0;
    long start = 0;
    YamlFields g = top.object("generator", GENERATOR);
    if (g != null) {
      generated = (int) g.whole("pods", Long.MIN_VALUE, 0, 10_000_000);
      meanInterval = g.duration("meanInterval", 0);
      start = g.duration("start", 0);
      for (YamlFields t : g.list("templates", TEMPLATE)) {
        SimPod proto = pod(t);
        templates.add(new Workload.Template(proto, t.number("weight", 1), t.duration("meanDuration", 0)));
      }
      if (templates.isEmpty() && generated > 0) {
        throw g.error("templates", "expected at least one template");
      }
    }
    if (pods.isEmpty() && generated == 0) {
      throw top.error("pods", "the workload has no pods (give pods: or generator:)");
    }
    WorkloadFile w = new WorkloadFile(pods, templates, generated, meanInterval, start);
    try {
      w.build(0);
    } catch (IllegalArgumentException e) {
      throw new InputError(file + ": " + e.getMessage(), e);
    }
    return w;
  }

  /** The explicit pods plus, with a generator, its pods drawn with {@code seed}. */
  Workload build(long seed) {
    Workload w = Workload.of(explicit);
    if (generated > 0) {
      w = w.plus(Workload.poisson(templates, generated, meanInterval, start, seed));
    }
    return w;
  }

  /** Whether the workload depends on the seed. */
  boolean seeded() {
    return generated > 0;
  }

  private static SimPod pod(YamlFields p) throws InputError {
    String name = p.text("name", null);
    if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
      throw p.error("name", "\"" + name + "\" is not a valid pod name (lower-case letters, digits, '-')");
    }
    String namespace = p.text("namespace", "default");
    ResourceNames names = ResourceNames.DEFAULT;
    Map<String, String> limits = new LinkedHashMap<>(p.strings("limits"));
    if (p.has("gpu")) {
      limits.put(names.count(), Long.toString(p.whole("gpu", 0, 0, 64)));
    }
    if (p.has("gpumem")) {
      limits.put(names.memory(), Long.toString(p.whole("gpumem", 0, 1, Integer.MAX_VALUE)));
    }
    if (p.has("gpumemPercentage")) {
      limits.put(names.memoryPercentage(), Long.toString(p.whole("gpumemPercentage", 0, 1, 100)));
    }
    if (p.has("gpucores")) {
      limits.put(names.cores(), Long.toString(p.whole("gpucores", 0, 0, 100)));
    }
    long cpu = p.quantity("cpu", 0, ClusterFile.MILLI);
    long memory = p.quantity("memory", 0, ClusterFile.PER_MIB);
    Map<String, String> requests = Map.of("cpu", cpu + "m", "memory", memory + "Mi");
    PodSpec spec = PodSpec.of(namespace, name, namespace + "-" + name, p.strings("annotations"),
        new PodSpec.ContainerSpec("main", limits, requests));
    return new SimPod(spec, cpu, memory, 0, SimPod.FOREVER);
  }
}
