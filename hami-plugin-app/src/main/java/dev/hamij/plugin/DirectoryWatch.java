package dev.hamij.plugin;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Calls {@code onChange} whenever one of the watched files is created or deleted (or events were
 * lost). One thread, ended by {@link #close}. A directory that disappears and comes back is watched
 * again on the next {@link #rearm}.
 */
final class DirectoryWatch {

  private static final System.Logger LOG = System.getLogger(DirectoryWatch.class.getName());

  private final WatchService service;
  private final Set<Path> files;
  private final Runnable onChange;
  private final Map<Path, WatchKey> keys = new HashMap<>();
  private final Thread thread;

  /** Watches the parent directories of {@code files}. */
  DirectoryWatch(Set<Path> files, Runnable onChange, NamedThreads threads) throws IOException {
    this.service = FileSystems.getDefault().newWatchService();
    this.files = Set.copyOf(files);
    this.onChange = onChange;
    rearm();
    this.thread = threads.newThread(this::run);
    thread.start();
  }

  /** Registers every directory whose watch is missing or became invalid. */
  synchronized void rearm() {
    for (Path file : files) {
      Path directory = file.getParent();
      WatchKey key = keys.get(directory);
      if (key == null || !key.isValid()) {
        try {
          keys.put(directory, directory.register(service,
              StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE));
        } catch (IOException | ClosedWatchServiceException e) {
          keys.remove(directory);
          LOG.log(Level.DEBUG, "cannot watch " + directory + " (yet): " + e);
        }
      }
    }
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = service.take();
        boolean relevant = false;
        for (WatchEvent<?> event : key.pollEvents()) {
          relevant |= event.kind() == StandardWatchEventKinds.OVERFLOW
              || files.contains(((Path) key.watchable()).resolve((Path) event.context()));
        }
        relevant |= !key.reset();
        if (relevant) {
          onChange.run();
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed: done
    }
  }

  /** Stops watching and waits for the watch thread to end. */
  void close() throws InterruptedException {
    try {
      service.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "closing the directory watch failed", e);
    }
    thread.join();
  }
}
