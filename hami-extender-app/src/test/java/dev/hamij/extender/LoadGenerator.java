package dev.hamij.extender;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.RegisterCodec;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load tool for {@code serve --snapshot} (a documented command, not a CI test).
 *
 * <pre>
 * LoadGenerator snapshot --nodes 5000 --gpus 8 --out /tmp/cluster.yaml
 * LoadGenerator run --url http://127.0.0.1:8080 --nodes 5000 --candidates 5000 --threads 8 --seconds 30
 * </pre>
 *
 * {@code run} keeps {@code threads} clients busy with filter + bind of fresh one-GPU pods (1000–8000 MiB,
 * 0–30 % cores) against candidate lists of {@code candidates} nodes drawn at random, and prints the
 * client-side /filter latency percentiles and the sustained filter+bind rate. With {@code --server-pid}
 * (a local server on Linux) it also prints the server's CPU time per filter+bind pair, which does not
 * depend on how busy the machine is.
 */
public final class LoadGenerator {
  private LoadGenerator() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: LoadGenerator snapshot|run [--key value ...]");
      System.exit(2);
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "snapshot" -> snapshot(rest);
      case "run" -> run(rest);
      default -> {
        System.err.println("unknown command " + args[0]);
        System.exit(2);
      }
    }
  }

  private static String opt(String[] args, String key, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(key)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  static String nodeName(int i) {
    return String.format(Locale.ROOT, "node-%05d", i);
  }

  /** Writes a multi-document YAML of {@code nodes} nodes with {@code gpus} A100-80GB GPUs each. */
  static void snapshot(String[] args) throws IOException {
    int nodes = Integer.parseInt(opt(args, "--nodes", "5000"));
    int gpus = Integer.parseInt(opt(args, "--gpus", "8"));
    Path out = Path.of(opt(args, "--out", "cluster.yaml"));
    try (BufferedWriter w = Files.newBufferedWriter(out)) {
      for (int n = 0; n < nodes; n++) {
        List<GpuDevice> devices = new ArrayList<>();
        for (int g = 0; g < gpus; g++) {
          devices.add(GpuDevice.hamiCore(String.format(Locale.ROOT, "GPU-%05d-%02d", n, g), g, 10, 81920, 100,
              "NVIDIA A100-SXM4-80GB", g < gpus / 2 ? 0 : 1));
        }
        Node node = new NodeBuilder().withNewMetadata().withName(nodeName(n))
            .addToAnnotations("hami.io/node-nvidia-register", RegisterCodec.encodeJson(devices)).endMetadata()
            .withNewStatus().addToAllocatable("nvidia.com/gpu", new Quantity(Integer.toString(gpus * 10))).endStatus()
            .build();
        w.write("---\n");
        w.write(ExtenderWire.KUBE.asYaml(node).replaceFirst("^---\n", ""));
      }
    }
    System.out.println("wrote " + nodes + " nodes x " + gpus + " GPUs to " + out);
  }

  static void run(String[] args) throws Exception {
    String url = opt(args, "--url", "http://127.0.0.1:8080");
    int nodes = Integer.parseInt(opt(args, "--nodes", "5000"));
    int candidates = Integer.parseInt(opt(args, "--candidates", Integer.toString(nodes)));
    int threads = Integer.parseInt(opt(args, "--threads", "8"));
    int seconds = Integer.parseInt(opt(args, "--seconds", "30"));
    int warmup = Integer.parseInt(opt(args, "--warmup-seconds", "10"));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    AtomicLong podSeq = new AtomicLong();
    // pod names must not repeat across runs against the same server
    String run = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);

    System.out.println("warming up for " + warmup + " s ...");
    drive(http, url, nodes, candidates, threads, warmup, podSeq, "warm-" + run);
    System.out.println("measuring for " + seconds + " s with " + threads + " threads, " + candidates + " candidate nodes");
    String pid = opt(args, "--server-pid", null);
    long cpuBefore = pid == null ? 0 : cpuTicks(pid);
    Result r = drive(http, url, nodes, candidates, threads, seconds, podSeq, "load-" + run);
    long cpuAfter = pid == null ? 0 : cpuTicks(pid);
    long[] lat = r.filterNanos();
    Arrays.sort(lat);
    System.out.printf(Locale.ROOT, "filter+bind pairs: %d in %.1f s = %.0f per second (%d filters without a node, %d bind errors)%n",
        r.pairs(), r.seconds(), r.pairs() / r.seconds(), r.noFit(), r.bindErrors());
    System.out.printf(Locale.ROOT, "/filter latency (client side): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        pct(lat, 0.50), pct(lat, 0.90), pct(lat, 0.99), lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6);
    if (pid != null && r.pairs() > 0) {
      // /proc/<pid>/stat counts in clock ticks of 1/100 s on Linux
      double cpuMs = (cpuAfter - cpuBefore) * 10.0;
      System.out.printf(Locale.ROOT, "server CPU: %.2f ms per filter+bind pair (all server threads), "
          + "i.e. about %.0f pairs per second on 2 dedicated cores%n", cpuMs / r.pairs(), 2000.0 * r.pairs() / cpuMs);
    }
  }

  /** utime + stime of a process, in clock ticks. */
  private static long cpuTicks(String pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", pid, "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private record Result(long pairs, double seconds, long noFit, long bindErrors, long[] filterNanos) {}

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
  }

  private static Result drive(HttpClient http, String url, int nodes, int candidates, int threads, int seconds,
      AtomicLong podSeq, String prefix) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    long start = System.nanoTime();
    List<Future<long[]>> futures = new ArrayList<>();
    String[] quoted = new String[nodes]; // built once: the client's own CPU use competes with the server's
    for (int i = 0; i < nodes; i++) {
      quoted[i] = '"' + nodeName(i) + '"';
    }
    List<List<Long>> latencies = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<Long> mine = new ArrayList<>();
      latencies.add(mine);
      int seed = t;
      futures.add(pool.submit(() -> {
        Random random = new Random(seed * 7919L + prefix.hashCode());
        long pairs = 0;
        long noFit = 0;
        long bindErrors = 0;
        while (System.nanoTime() < end) {
          long id = podSeq.incrementAndGet();
          String name = prefix + "-" + id;
          String names = candidateNames(quoted, random, candidates);
          String pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name
              + "\",\"namespace\":\"load\",\"uid\":\"uid-" + name + "\"},\"spec\":{\"schedulerName\":\"hami-scheduler\","
              + "\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\","
              + "\"nvidia.com/gpumem\":\"" + (1000 + random.nextInt(8) * 1000) + "\",\"nvidia.com/gpucores\":\""
              + (random.nextInt(4) * 10) + "\"}}}]}}";
          long t0 = System.nanoTime();
          String filtered = post(http, url + "/filter", "{\"Pod\":" + pod + ",\"Nodes\":null,\"NodeNames\":[" + names + "]}");
          mine.add(System.nanoTime() - t0);
          int at = filtered.indexOf("\"NodeNames\":[\"");
          if (at < 0) {
            noFit++;
            continue;
          }
          String node = filtered.substring(at + 14, filtered.indexOf('"', at + 14));
          String bound = post(http, url + "/bind", "{\"PodName\":\"" + name + "\",\"PodNamespace\":\"load\",\"PodUID\":\"uid-"
              + name + "\",\"Node\":\"" + node + "\"}");
          if (bound.equals("{\"Error\":\"\"}")) {
            pairs++;
          } else {
            bindErrors++;
          }
        }
        return new long[] {pairs, noFit, bindErrors};
      }));
    }
    long pairs = 0;
    long noFit = 0;
    long bindErrors = 0;
    for (Future<long[]> f : futures) {
      long[] r = f.get();
      pairs += r[0];
      noFit += r[1];
      bindErrors += r[2];
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    long[] all = latencies.stream().flatMap(List::stream).mapToLong(Long::longValue).toArray();
    return new Result(pairs, elapsed, noFit, bindErrors, all);
  }

  /** {@code candidates} quoted node names, starting at a random node (kube-scheduler rotates its start too). */
  private static String candidateNames(String[] quoted, Random random, int candidates) {
    StringBuilder b = new StringBuilder(candidates * (quoted[0].length() + 1));
    int offset = random.nextInt(quoted.length);
    for (int i = 0; i < candidates; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(quoted[(offset + i) % quoted.length]);
    }
    return b.toString();
  }

  private static String post(HttpClient http, String url, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    return r.body();
  }
}
