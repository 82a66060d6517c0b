package dev.hamij.api.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Captures every java.util.logging record (SLF4J and System.Logger route there too) while open:
 * each as its formatted message, its parameters and its whole exception chain with stack traces, so
 * a test can assert that a secret never appears anywhere in a log. The given loggers are set to
 * {@link Level#ALL} while open and restored on {@link #close}.
 */
public final class LogCapture extends Handler implements AutoCloseable {
  private final List<String> texts = new CopyOnWriteArrayList<>();
  private final SimpleFormatter format = new SimpleFormatter();
  private final List<Logger> verbose = new ArrayList<>();
  private final List<Level> saved = new ArrayList<>();

  private LogCapture(String... verboseLoggers) {
    setLevel(Level.ALL);
    for (String name : verboseLoggers) {
      Logger l = Logger.getLogger(name);
      verbose.add(l);
      saved.add(l.getLevel());
      l.setLevel(Level.ALL);
    }
    Logger.getLogger("").addHandler(this);
  }

  /** Starts capturing at the root logger, with {@code verboseLoggers} (e.g. {@code io.fabric8}) at ALL. */
  public static LogCapture start(String... verboseLoggers) {
    return new LogCapture(verboseLoggers);
  }

  /** Every record so far, fully rendered. */
  public List<String> texts() {
    return List.copyOf(texts);
  }

  @Override
  public void publish(LogRecord r) {
    StringBuilder b = new StringBuilder(format.format(r));
    if (r.getParameters() != null) {
      for (Object p : r.getParameters()) {
        b.append(' ').append(p);
      }
    }
    if (r.getThrown() != null) {
      StringWriter w = new StringWriter();
      r.getThrown().printStackTrace(new PrintWriter(w));
      b.append(w);
    }
    texts.add(b.toString());
  }

  @Override
  public void flush() {}

  /** Stops capturing and restores the loggers' levels. */
  @Override
  public void close() {
    Logger.getLogger("").removeHandler(this);
    for (int i = 0; i < verbose.size(); i++) {
      verbose.get(i).setLevel(saved.get(i));
    }
  }
}
