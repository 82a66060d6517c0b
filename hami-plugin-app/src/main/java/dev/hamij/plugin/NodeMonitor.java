package dev.hamij.plugin;

import dev.hamij.plugin.SharedRegionReader.InvalidRegionException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads every container's HAMi-core shared region under {@code <containers>/<podUID>_<container>/}
 * and publishes the container metrics (node.md §6.2–6.4). Only containers of pods on this node, and
 * only their regular containers, are exported. A file that is truncated, foreign or of an unknown
 * layout is reported (logged once per file and reason, and returned by {@link #refresh}) and
 * skipped; no file can make a refresh fail.
 */
final class NodeMonitor {

  private static final System.Logger LOG = System.getLogger(NodeMonitor.class.getName());
  private static final String CACHE_SUFFIX = ".cache";
  private static final String LIBRARY_MARKER = "libvgpu.so";

  /** A region file that was not exported, and why. */
  record Skipped(Path file, String reason) {}

  private final Path containersDirectory;
  private final NodePods pods;
  private final ContainerMetrics metrics;
  private final Clock clock;
  private final Map<Path, Mapping> mappings = new HashMap<>();
  private final Map<Path, String> reported = new HashMap<>();

  NodeMonitor(Path containersDirectory, NodePods pods, ContainerMetrics metrics, Clock clock) {
    this.containersDirectory = containersDirectory;
    this.pods = pods;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Reads every region once and publishes the result; returns the files skipped as unreadable. */
  synchronized List<Skipped> refresh() {
    List<ContainerMetrics.Sample> samples = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    Map<Path, Mapping> live = new HashMap<>();
    for (Path directory : containerDirectories()) {
      String name = directory.getFileName().toString();
      int separator = name.indexOf('_');
      if (separator <= 0 || separator == name.length() - 1) {
        continue;
      }
      String container = name.substring(separator + 1);
      Optional<NodePods.Pod> pod = pods.byUid(name.substring(0, separator))
          .filter(p -> p.containers().contains(container));
      if (pod.isEmpty()) {
        continue;
      }
      Path file = directory;
      try {
        Optional<Path> found = regionFile(directory);
        if (found.isEmpty()) {
          continue; // the container has not created its region yet
        }
        file = found.get();
        Mapping mapping = map(file);
        live.put(file, mapping);
        SharedRegion region = mapping.read();
        for (SharedRegion.Device device : region.devices()) {
          samples.add(new ContainerMetrics.Sample(pod.get().namespace(), pod.get().name(), container,
              device, region.lastKernelTime()));
        }
      } catch (InvalidRegionException | IOException | InternalError e) {
        // InternalError: how the JVM reports a fault in a mapping whose file shrank under it.
        String reason = e instanceof InternalError ? "the file shrank while it was read" : e.getMessage();
        skipped.add(new Skipped(file, reason));
        if (!reason.equals(reported.put(file, reason))) {
          LOG.log(Level.WARNING, "node monitor: skipping " + file + ": " + reason);
        }
      }
    }
    mappings.keySet().retainAll(live.keySet());
    mappings.putAll(live);
    reported.keySet().removeIf(file -> skipped.stream().noneMatch(s -> s.file().equals(file)));
    metrics.publish(samples, clock.instant().getEpochSecond());
    return skipped;
  }

  private List<Path> containerDirectories() {
    List<Path> directories = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(containersDirectory, Files::isDirectory)) {
      entries.forEach(directories::add);
    } catch (IOException e) {
      if (!Objects.equals(reported.put(containersDirectory, e.toString()), e.toString())) {
        LOG.log(Level.WARNING, "node monitor: cannot list " + containersDirectory + ": " + e);
      }
    }
    return directories;
  }

  /**
   * The region file of a container directory: the first {@code *.cache} file whose name does not
   * contain {@code libvgpu.so}; more than two cache-or-library files is an error (node.md §6.2).
   */
  private static Optional<Path> regionFile(Path directory) throws IOException, InvalidRegionException {
    List<Path> candidates = new ArrayList<>();
    Path region = null;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.contains(LIBRARY_MARKER) || name.endsWith(CACHE_SUFFIX)) {
          candidates.add(file);
          if (region == null && name.endsWith(CACHE_SUFFIX) && !name.contains(LIBRARY_MARKER)
              && Files.isRegularFile(file)) {
            region = file;
          }
        }
      }
    }
    if (candidates.size() > 2) {
      throw new InvalidRegionException(candidates.size()
          + " cache or library files where at most 2 are expected");
    }
    return Optional.ofNullable(region);
  }

  /** The mapping of {@code file}, reused while the file keeps its inode and size. */
  private Mapping map(Path file) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    Mapping cached = mappings.get(file);
    if (cached != null && Objects.equals(cached.fileKey, attributes.fileKey())
        && cached.size == attributes.size()) {
      return cached;
    }
    long length = Math.min(attributes.size(), SharedRegionLayout.V1.size);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return new Mapping(file, attributes.fileKey(), attributes.size(),
          channel.map(FileChannel.MapMode.READ_ONLY, 0, length));
    }
  }

  /** One mapped region file; the mapping stays valid after the channel is closed. */
  private static final class Mapping {
    final Path file;
    final Object fileKey;
    final long size;
    final MappedByteBuffer buffer;

    Mapping(Path file, Object fileKey, long size, MappedByteBuffer buffer) {
      this.file = file;
      this.fileKey = fileKey;
      this.size = size;
      this.buffer = buffer;
    }

    SharedRegion read() throws InvalidRegionException, IOException {
      long now = Files.size(file);
      if (now < size) {
        throw new InvalidRegionException("the file shrank from " + size + " to " + now + " bytes");
      }
      return SharedRegionReader.read(buffer, SharedRegionReader.layoutOf(buffer, size));
    }
  }
}
