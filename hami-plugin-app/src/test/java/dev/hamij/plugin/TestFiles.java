package dev.hamij.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Short temporary directories (Unix socket paths are limited to 107 bytes) and their removal. */
final class TestFiles {

  private TestFiles() {}

  static Path shortTempDirectory() throws IOException {
    return Files.createTempDirectory(Path.of("/tmp"), "dp");
  }

  static void deleteRecursively(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
