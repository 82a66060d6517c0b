package dev.hamij.extender;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Polls files for content changes and calls back once per change. Polling by content (not inotify)
 * follows Kubernetes secret and ConfigMap mounts, which swap a symlink rather than write the file.
 */
final class FileWatcher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(FileWatcher.class.getName());

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "hami-file-watch");
    t.setDaemon(true);
    return t;
  });
  private final Duration period;

  FileWatcher(Duration period) {
    this.period = period;
  }

  /** Calls {@code onChange} whenever the combined content of {@code files} differs from the last seen one. */
  void watch(List<Path> files, Runnable onChange) {
    byte[][] last = {fingerprint(files)};
    timer.scheduleWithFixedDelay(() -> {
      byte[] now = fingerprint(files);
      if (now != null && !Arrays.equals(now, last[0])) {
        last[0] = now;
        try {
          onChange.run();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "reload of " + files + " failed", e);
        }
      }
    }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SHA-256 over the files' contents, or null while one of them cannot be read. */
  static byte[] fingerprint(List<Path> files) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path p : files) {
        md.update(Files.readAllBytes(p));
        md.update((byte) 0);
      }
      return md.digest();
    } catch (IOException e) {
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
