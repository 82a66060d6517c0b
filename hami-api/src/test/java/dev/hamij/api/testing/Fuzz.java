package dev.hamij.api.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.HamiFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded fuzz runner: feeds a decoder many generated inputs (usually {@link Mutations} of valid
 * values) and allows exactly two outcomes per input — it returns, or it throws the decoder's
 * documented error whose message passes the given check (it names what is wrong). Anything else
 * fails the run: another exception ({@code NullPointerException}, {@code ClassCastException},
 * {@code IndexOutOfBoundsException}, …), an {@link Error} such as {@code StackOverflowError}, or an
 * input that runs longer than the timeout (a hang; a watchdog thread times every single input).
 *
 * <pre>{@code
 * Fuzz.of("register", Mutations.text(AnnotationGens.register())).inputs(3000)
 *     .run(HamiFormatException.class, v -> RegisterCodec.decode(v, "node-a"), Fuzz.hamiFormat("node-a"));
 * }</pre>
 *
 * <p>Input {@code i} of a target is generated from a seed derived from the base seed, the target's
 * name and {@code i}, with sizes cycling through {@code 0..maxSize}: runs are deterministic. System
 * properties: {@code hamij.fuzz.inputs} (inputs per target, overriding the CI count — the soak uses
 * 1000000), {@code hamij.fuzz.baseSeed}, {@code hamij.fuzz.timeoutMs}, and {@code hamij.fuzz.seed} with
 * {@code hamij.fuzz.size} to replay the one input a failure report names. Up to ten distinct failures
 * (by exception type and throwing frame) are collected before the run fails with all of them; a hang
 * ends the run at once. Every run appends one summary line to {@code target/fuzz-report.txt}.
 *
 * @param <I> the input type
 */
public final class Fuzz<I> {
  /** Default base seed of the input seeds. */
  public static final long DEFAULT_BASE_SEED = 0x5EED_F022L;
  private static final int MAX_FAILURES = 10;

  /** Runs one input through the code under test. */
  @FunctionalInterface
  public interface Target<I> {
    void run(I input) throws Exception;
  }

  /** Checks a documented error: throws (e.g. an AssertJ failure) when its message does not name what is wrong. */
  @FunctionalInterface
  public interface Check<E> {
    void check(E error);
  }

  /** What a run did. */
  public record Report(String target, long inputs, long accepted, long rejected, Duration elapsed) {
    /** One line for logs and READMEs. */
    public String summary() {
      double secs = elapsed.toMillis() / 1000.0;
      return String.format(Locale.ROOT, "fuzz %-32s %,10d inputs  %5.1f%% accepted  %5.1f%% documented errors  "
          + "0 failures  %7.1f s  %,9.0f inputs/s", target, inputs, 100.0 * accepted / Math.max(1, inputs),
          100.0 * rejected / Math.max(1, inputs), secs, inputs / Math.max(secs, 0.001));
    }
  }

  private final String name;
  private final Gen<I> inputs;
  private int count = 2000;
  private int cap = Integer.MAX_VALUE;
  private int maxSize = 30;
  private Duration timeout = Duration.ofSeconds(10);

  private Fuzz(String name, Gen<I> inputs) {
    this.name = name;
    this.inputs = inputs;
  }

  /** A fuzz target named {@code name} (used in reports and in input seeds) over {@code inputs}. */
  public static <I> Fuzz<I> of(String name, Gen<I> inputs) {
    return new Fuzz<>(name, inputs);
  }

  /** Inputs per run unless {@code hamij.fuzz.inputs} says otherwise (default 2000). */
  public Fuzz<I> inputs(int ciCount) {
    this.count = ciCount;
    return this;
  }

  /** Never more than {@code max} inputs, whatever {@code hamij.fuzz.inputs} says (for targets that are slow by nature, e.g. over HTTP). */
  public Fuzz<I> atMost(int max) {
    this.cap = max;
    return this;
  }

  /** Largest generator size; sizes cycle through {@code 0..maxSize} (default 30). */
  public Fuzz<I> maxSize(int size) {
    this.maxSize = size;
    return this;
  }

  /** Longest time one input may take before the run fails as a hang (default 10 s). */
  public Fuzz<I> timeout(Duration perInput) {
    this.timeout = perInput;
    return this;
  }

  /** Checks that a {@link HamiFormatException} names {@code object} and a subject, and says what is wrong. */
  public static Check<HamiFormatException> hamiFormat(String object) {
    return e -> {
      assertThat(e.object()).as("object named by: %s", e.getMessage()).isEqualTo(object);
      assertThat(e.subject()).as("subject of: %s", e.getMessage()).isNotBlank();
      String prefix = (object.isEmpty() ? "" : object + ": ") + e.subject() + ": ";
      assertThat(e.getMessage()).startsWith(prefix);
      assertThat(e.getMessage().substring(prefix.length())).as("detail of: %s", e.getMessage()).isNotBlank();
    };
  }

  /** Checks only that the message is not blank. */
  public static <E extends Throwable> Check<E> nonBlankMessage() {
    return e -> assertThat(e.getMessage()).as("message of %s", e.getClass().getName()).isNotBlank();
  }

  /** Runs the inputs through code documented never to throw: every exception is a failure. */
  public Report runWithoutErrors(Target<I> target) {
    return run(NeverThrown.class, target, e -> { });
  }

  /** Stands for "no documented error" in {@link #runWithoutErrors}. */
  private static final class NeverThrown extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  /**
   * Runs the inputs. Each must return normally or throw {@code documented} passing {@code check}.
   *
   * @throws AssertionError listing every distinct failure with its seed, size and input
   */
  public <E extends Throwable> Report run(Class<E> documented, Target<I> target, Check<? super E> check) {
    Worker<E> worker = new Worker<>(documented, target, check);
    Thread thread = new Thread(worker, "fuzz-" + name);
    thread.setDaemon(true);
    long timeoutNanos = Long.getLong("hamij.fuzz.timeoutMs", timeout.toMillis()) * 1_000_000L;
    long start = System.nanoTime();
    thread.start();
    try {
      while (thread.isAlive()) {
        thread.join(100);
        long began = worker.startedAt;
        if (began != 0 && System.nanoTime() - began > timeoutNanos) {
          worker.stop = true;
          worker.failures.putIfAbsent("hang", new Failure(worker.seed, worker.size, worker.input,
              "no result after " + timeoutNanos / 1_000_000 + " ms (hang)", null));
          thread.interrupt();
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    if (!worker.failures.isEmpty()) {
      StringBuilder b = new StringBuilder("fuzz " + name + ": " + worker.failures.size()
          + " distinct failure(s) after " + worker.done + " inputs\n");
      worker.failures.values().forEach(f -> b.append(f.describe()).append('\n'));
      System.err.println(b);
      throw new AssertionError(b.toString());
    }
    Report report = new Report(name, worker.done, worker.accepted, worker.rejected, elapsed);
    System.out.println(report.summary());
    appendToReportFile(report.summary());
    return report;
  }

  private static void appendToReportFile(String line) {
    Path dir = Path.of("target");
    if (!Files.isDirectory(dir)) {
      return;
    }
    try {
      Files.writeString(dir.resolve("fuzz-report.txt"), line + System.lineSeparator(), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("fuzz report not written: " + e);
    }
  }

  private record Failure(long seed, int size, Object input, String what, Throwable cause) {
    String describe() {
      StringBuilder b = new StringBuilder();
      b.append("  ").append(what).append("\n    replay with: -Dhamij.fuzz.seed=").append(seed)
          .append(" -Dhamij.fuzz.size=").append(size).append("\n    input: ").append(render(input)).append('\n');
      if (cause != null) {
        StringWriter w = new StringWriter();
        cause.printStackTrace(new PrintWriter(w));
        String[] lines = w.toString().split("\n");
        for (int i = 0; i < Math.min(lines.length, 14); i++) {
          b.append("    ").append(lines[i]).append('\n');
        }
      }
      return b.toString();
    }
  }

  private final class Worker<E extends Throwable> implements Runnable {
    private final Class<E> documented;
    private final Target<I> target;
    private final Check<? super E> check;
    final Map<String, Failure> failures = Collections.synchronizedMap(new LinkedHashMap<>());
    volatile long startedAt;
    volatile long seed;
    volatile int size;
    volatile Object input;
    volatile boolean stop;
    volatile long done;
    long accepted;
    long rejected;

    Worker(Class<E> documented, Target<I> target, Check<? super E> check) {
      this.documented = documented;
      this.target = target;
      this.check = check;
    }

    @Override
    public void run() {
      Long pinned = Long.getLong("hamij.fuzz.seed");
      if (pinned != null) {
        one(pinned, Integer.getInteger("hamij.fuzz.size", maxSize));
        done = 1;
        return;
      }
      SplittableRandom seeds = new SplittableRandom(
          Long.getLong("hamij.fuzz.baseSeed", DEFAULT_BASE_SEED) ^ ((long) name.hashCode() << 32));
      int total = Math.min(cap, Integer.getInteger("hamij.fuzz.inputs", count));
      for (int i = 0; i < total && !stop && !Thread.currentThread().isInterrupted(); i++) {
        one(seeds.nextLong(), i % (maxSize + 1));
        done = i + 1;
      }
    }

    private void one(long s, int sz) {
      seed = s;
      size = sz;
      input = null;
      startedAt = System.nanoTime();
      try {
        I value = inputs.generate(new SplittableRandom(s), sz);
        input = value;
        target.run(value);
        accepted++;
      } catch (Throwable t) {
        if (documented.isInstance(t)) {
          try {
            check.check(documented.cast(t));
            rejected++;
          } catch (AssertionError | RuntimeException bad) {
            record("documented error with an unhelpful message: " + bad.getMessage(), t);
          }
        } else {
          record("undocumented " + t.getClass().getName() + ": " + t.getMessage(), t);
        }
      } finally {
        startedAt = 0;
      }
    }

    private void record(String what, Throwable t) {
      String key = t.getClass().getName() + " at " + throwingFrame(t);
      if (failures.size() < MAX_FAILURES) {
        failures.putIfAbsent(key, new Failure(seed, size, input, what, t));
      }
    }
  }

  private static String throwingFrame(Throwable t) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().startsWith("dev.hamij.") && !e.getClassName().startsWith("dev.hamij.api.testing.")) {
        return e.toString();
      }
    }
    return t.getStackTrace().length > 0 ? t.getStackTrace()[0].toString() : "?";
  }

  /** A Java-escaped, length-capped rendering of an input. */
  static String render(Object input) {
    if (input == null) {
      return "(not generated)";
    }
    if (input instanceof byte[] bytes) {
      StringBuilder b = new StringBuilder(bytes.length + " bytes: ");
      for (int i = 0; i < Math.min(bytes.length, 512); i++) {
        b.append(String.format(Locale.ROOT, "%02x", bytes[i] & 0xff));
      }
      return bytes.length > 512 ? b.append("…").toString() : b.toString();
    }
    if (input instanceof Object[] parts) {
      StringBuilder b = new StringBuilder("[");
      for (Object part : parts) {
        b.append(b.length() == 1 ? "" : ", ").append(render(part));
      }
      return b.append(']').toString();
    }
    String s = input.toString();
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < Math.min(s.length(), 2000); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
    return s.length() > 2000 ? b.append(" … (").append(s.length()).append(" chars)").toString() : b.toString();
  }
}
