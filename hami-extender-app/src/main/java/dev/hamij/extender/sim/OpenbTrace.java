package dev.hamij.extender.sim;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.ResourceNames;
import dev.hamij.core.PodSpec;
import dev.hamij.core.sim.SimNode;
import dev.hamij.core.sim.SimPod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reader of the Alibaba GPU-sharing trace "openb" (cluster-trace-gpu-v2023, released with Weng et al.,
 * "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent",
 * USENIX ATC '23): a node list ({@code sn,cpu_milli,memory_mib,gpu,model}) and a pod list
 * ({@code name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time]}).
 * Columns are found by header name. A malformed row is rejected with its file, line and column.
 *
 * <p>Mapping to HAMi: every GPU is a hami-core GPU of type {@code NVIDIA-<model>} with 100% cores,
 * {@value #SLOTS} slots (so only memory and cores bind, as in the paper's single GPU dimension) and the
 * model's nominal memory in units of 1000 MiB (so percentages book exactly). A pod with
 * {@code num_gpu = 1} and {@code gpu_milli < 1000} asks for {@code gpumem-percentage} and {@code gpucores}
 * of {@code gpu_milli / 10} (rounded up) on one GPU; {@code num_gpu ≥ 1} with {@code gpu_milli = 1000},
 * and any {@code num_gpu > 1}, asks for that many whole GPUs (100% memory and cores); {@code gpu_spec}
 * ({@code A|B}) becomes the {@code nvidia.com/use-gputype} allow-list {@code A,B}; CPU and memory are
 * the pod's requests, checked against the node's.
 */
final class OpenbTrace {
  /** Slots registered per GPU. */
  static final int SLOTS = 100;
  /** Namespace of the trace's pods. */
  static final String NAMESPACE = "openb";

  private static final Map<String, Integer> MEMORY_GB = Map.of("T4", 16, "P100", 16, "V100M16", 16, "V100M32", 32,
      "A10", 24, "G1", 32, "G2", 32, "G3", 32);
  private static final int DEFAULT_MEMORY_GB = 32;

  private OpenbTrace() {}

  /** One pod row with the trace's times (seconds; NaN when absent). */
  record Row(SimPod pod, double creation, double deletion) {}

  static List<SimNode> readNodes(Path file) throws InputError {
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return readNodes(in, file.toString());
    } catch (IOException e) {
      throw new InputError(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  static List<Row> readPods(Path file) throws InputError {
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return readPods(in, file.toString());
    } catch (IOException e) {
      throw new InputError(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  static List<SimNode> readNodes(Reader in, String source) throws InputError, IOException {
    Csv csv = new Csv(in, source, List.of("sn", "cpu_milli", "memory_mib", "gpu", "model"));
    List<SimNode> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    while (csv.next()) {
      String name = csv.text("sn");
      if (name.isEmpty()) {
        throw csv.error("sn", "is empty");
      }
      if (!names.add(name)) {
        throw csv.error("sn", "node " + name + " appears twice");
      }
      long cpu = csv.whole("cpu_milli", Long.MAX_VALUE);
      long mem = csv.whole("memory_mib", Long.MAX_VALUE);
      int gpus = (int) csv.whole("gpu", 64);
      String model = csv.text("model");
      if (gpus > 0 && model.isEmpty()) {
        throw csv.error("model", "is empty but the node has " + gpus + " GPUs");
      }
      if (!model.matches("[A-Za-z0-9._-]*")) {
        throw csv.error("model", "\"" + model + "\" is not a GPU model name");
      }
      int memory = MEMORY_GB.getOrDefault(model.toUpperCase(Locale.ROOT), DEFAULT_MEMORY_GB) * 1000;
      List<GpuDevice> devices = new ArrayList<>();
      for (int i = 0; i < gpus; i++) {
        devices.add(GpuDevice.hamiCore("GPU-" + name + "-" + i, i, SLOTS, memory, 100, "NVIDIA-" + model, 0));
      }
      out.add(new SimNode(name, cpu, mem, devices, Map.of()));
    }
    return out;
  }

  static List<Row> readPods(Reader in, String source) throws InputError, IOException {
    Csv csv = new Csv(in, source, List.of("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"));
    ResourceNames names = ResourceNames.DEFAULT;
    List<Row> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    while (csv.next()) {
      String name = csv.text("name");
      if (name.isEmpty()) {
        throw csv.error("name", "is empty");
      }
      if (!seen.add(name)) {
        throw csv.error("name", "pod " + name + " appears twice");
      }
      long cpu = csv.whole("cpu_milli", Long.MAX_VALUE);
      long mem = csv.whole("memory_mib", Long.MAX_VALUE);
      int numGpu = (int) csv.whole("num_gpu", 64);
      int milli = (int) csv.whole("gpu_milli", 1000);
      if (numGpu == 0 && milli != 0) {
        throw csv.error("gpu_milli", milli + " but num_gpu is 0");
      }
      if (numGpu > 0 && milli == 0) {
        throw csv.error("gpu_milli", "0 but num_gpu is " + numGpu);
      }
      Map<String, String> limits = new LinkedHashMap<>();
      if (numGpu > 0) {
        int pct = numGpu > 1 ? 100 : (milli + 9) / 10;
        limits.put(names.count(), Integer.toString(numGpu));
        limits.put(names.memoryPercentage(), Integer.toString(pct));
        limits.put(names.cores(), Integer.toString(pct));
      }
      Map<String, String> requests = Map.of("cpu", cpu + "m", "memory", mem + "Mi");
      Map<String, String> annotations = new HashMap<>();
      String spec = csv.optionalText("gpu_spec");
      if (!spec.isEmpty()) {
        List<String> models = new ArrayList<>();
        for (String m : spec.split("\\|")) {
          if (!m.trim().matches("[A-Za-z0-9._-]+")) {
            throw csv.error("gpu_spec", "\"" + spec + "\" is not a |-separated list of GPU models");
          }
          models.add(m.trim());
        }
        annotations.put(Annotations.USE_GPU_TYPE, String.join(",", models));
      }
      PodSpec pod = PodSpec.of(NAMESPACE, name, name, annotations,
          new PodSpec.ContainerSpec("main", limits, requests));
      double creation = csv.optionalNumber("creation_time");
      double deletion = csv.optionalNumber("deletion_time");
      out.add(new Row(new SimPod(pod, cpu, mem, 0, SimPod.FOREVER), creation, deletion));
    }
    return out;
  }

  /**
   * The pods replayed on the trace's own clock: arrival at {@code creation_time}, leaving at
   * {@code deletion_time} (never, when it is missing or not after the creation). Note that the
   * trace's deletion times are not documented as true end times.
   */
  static List<SimPod> replay(List<Row> rows) {
    double origin = Double.POSITIVE_INFINITY;
    for (Row r : rows) {
      if (!Double.isNaN(r.creation())) {
        origin = Math.min(origin, r.creation());
      }
    }
    List<SimPod> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      SimPod p = r.pod();
      long arrival = Double.isNaN(r.creation()) ? 0 : Math.round((r.creation() - origin) * 1000);
      long duration = !Double.isNaN(r.deletion()) && !Double.isNaN(r.creation()) && r.deletion() > r.creation()
          ? Math.round((r.deletion() - r.creation()) * 1000) : SimPod.FOREVER;
      out.add(new SimPod(p.spec(), p.cpuMilli(), p.memoryMiB(), arrival, Math.max(1, duration)));
    }
    return out;
  }

  /** Minimal CSV cursor for these files: comma-separated, no quoting, header line first. */
  private static final class Csv {
    private final BufferedReader in;
    private final String source;
    private final Map<String, Integer> columns = new HashMap<>();
    private final int width;
    private String[] fields;
    private int line;

    Csv(Reader reader, String source, List<String> required) throws IOException, InputError {
      this.in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
      this.source = source;
      String header = in.readLine();
      line = 1;
      if (header == null) {
        throw new InputError(source + ":1: empty file, expected a header line " + String.join(",", required));
      }
      String[] names = header.strip().split(",", -1);
      for (int i = 0; i < names.length; i++) {
        columns.put(names[i].trim(), i);
      }
      for (String r : required) {
        if (!columns.containsKey(r)) {
          throw new InputError(source + ":1: header lacks column " + r + " (expected " + String.join(",", required)
              + ", found " + header.strip() + ")");
        }
      }
      width = names.length;
    }

    boolean next() throws IOException, InputError {
      String l;
      do {
        l = in.readLine();
        line++;
        if (l == null) {
          return false;
        }
      } while (l.isBlank());
      fields = l.strip().split(",", -1);
      if (fields.length != width) {
        throw new InputError(source + ":" + line + ": expected " + width + " fields, found " + fields.length);
      }
      return true;
    }

    InputError error(String column, String what) {
      return new InputError(source + ":" + line + ": " + column + ": " + what);
    }

    String text(String column) {
      return fields[columns.get(column)].trim();
    }

    String optionalText(String column) {
      Integer i = columns.get(column);
      return i == null ? "" : fields[i].trim();
    }

    long whole(String column, long max) throws InputError {
      String v = text(column);
      long x;
      try {
        x = Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw error(column, "\"" + v + "\" is not a whole number");
      }
      if (x < 0 || x > max) {
        throw error(column, x + " is out of range 0.." + max);
      }
      return x;
    }

    double optionalNumber(String column) throws InputError {
      String v = optionalText(column);
      if (v.isEmpty()) {
        return Double.NaN;
      }
      try {
        double d = Double.parseDouble(v);
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          throw new NumberFormatException();
        }
        return d;
      } catch (NumberFormatException e) {
        throw error(column, "\"" + v + "\" is not a number");
      }
    }
  }
}
