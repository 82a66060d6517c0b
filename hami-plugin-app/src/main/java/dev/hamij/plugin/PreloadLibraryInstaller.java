package dev.hamij.plugin;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Installs HAMi-core's preload library and {@code ld.so.preload} into the host directory that
 * containers bind-mount (node.md §3.3), without ever changing a file that already exists there.
 *
 * <p>The library goes to the content-addressed name {@code libvgpu.so.<version>-<sha256[0:12]>}: a
 * restart with the same payload finds the file and touches nothing; different bytes get a different
 * name. Every write goes to a temporary file in the same directory, is fsynced, renamed atomically
 * onto its name and the directory fsynced: a process that opened or mapped the previous file keeps
 * its inode and bytes, and a reader opening the name sees the old or the new file, never a partial
 * one. Both files are read back and compared before {@link #install} returns.
 */
final class PreloadLibraryInstaller {

  private static final System.Logger LOG = System.getLogger(PreloadLibraryInstaller.class.getName());

  static final String LIBRARY_PREFIX = "libvgpu.so.";
  static final String PRELOAD_FILE = "ld.so.preload";
  /** Temporary files older than this are leftovers of a killed install and are removed. */
  static final Duration LEFTOVER_AGE = Duration.ofMinutes(10);

  private static final String TEMP_MARKER = ".tmp-";
  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");
  private static final int HASH_PREFIX_CHARS = 12;

  private final Path hostDirectory;
  private final String version;
  private final String containerLibraryPath;

  /**
   * @param hostDirectory where the files go, e.g. {@code /usr/local/vgpu}
   * @param version version of the payload, part of the installed name
   * @param containerLibraryPath where containers see the library, written into {@code ld.so.preload}
   */
  PreloadLibraryInstaller(Path hostDirectory, String version, String containerLibraryPath) {
    if (version == null || !VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException("preload library: version '" + version
          + "' must match " + VERSION.pattern());
    }
    if (containerLibraryPath == null || !containerLibraryPath.startsWith("/")
        || containerLibraryPath.contains("\n")) {
      throw new IllegalArgumentException("preload library: containerLibraryPath '" + containerLibraryPath
          + "' must be an absolute path on one line");
    }
    this.hostDirectory = hostDirectory;
    this.version = version;
    this.containerLibraryPath = containerLibraryPath;
  }

  /**
   * Installs the library read from {@code source} and the matching {@code ld.so.preload}.
   *
   * @throws IOException when a file cannot be read, written or verified; the plugin must then not
   *     register with kubelet
   */
  InstalledLibrary install(Path source) throws IOException {
    if (!Files.isRegularFile(source)) {
      throw new IOException("preload library source " + source + " is not a regular file");
    }
    byte[] payload = Files.readAllBytes(source);
    String sha256 = sha256(payload);
    Files.createDirectories(hostDirectory);
    deleteLeftovers();

    Path library = hostDirectory.resolve(LIBRARY_PREFIX + version + "-" + sha256.substring(0, HASH_PREFIX_CHARS));
    installFile(library, payload, "rwxr-xr-x");
    Path preload = hostDirectory.resolve(PRELOAD_FILE);
    byte[] preloadContent = (containerLibraryPath + "\n").getBytes(StandardCharsets.UTF_8);
    installFile(preload, preloadContent, "rw-r--r--");

    verify(library, payload);
    verify(preload, preloadContent);
    return new InstalledLibrary(library, preload, sha256);
  }

  /** Puts {@code content} at {@code target} unless it is already there. */
  private void installFile(Path target, byte[] content, String permissions) throws IOException {
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("cannot install " + target + ": a file of another kind is in the way");
      }
      if (sameContent(target, content)) {
        LOG.log(Level.INFO, target + " is already installed");
        return;
      }
    }
    Path temporary = hostDirectory.resolve("." + target.getFileName() + TEMP_MARKER
        + ProcessHandle.current().pid() + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
    try {
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString(permissions));
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
    syncDirectory();
    LOG.log(Level.INFO, "installed " + target);
  }

  private void verify(Path target, byte[] expected) throws IOException {
    if (!sameContent(target, expected)) {
      throw new IOException("verification of " + target + " failed: its content differs from what was"
          + " installed");
    }
  }

  private static boolean sameContent(Path file, byte[] expected) throws IOException {
    return Files.size(file) == expected.length && Arrays.equals(Files.readAllBytes(file), expected);
  }

  private void syncDirectory() throws IOException {
    try (FileChannel directory = FileChannel.open(hostDirectory, StandardOpenOption.READ)) {
      directory.force(true);
    }
  }

  private void deleteLeftovers() throws IOException {
    Instant cutoff = Instant.now().minus(LEFTOVER_AGE);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(hostDirectory, ".*" + TEMP_MARKER + "*")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        boolean ours = name.startsWith("." + LIBRARY_PREFIX) || name.startsWith("." + PRELOAD_FILE + TEMP_MARKER);
        if (ours && Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(cutoff)) {
          Files.deleteIfExists(file);
          LOG.log(Level.INFO, "removed " + file + ", left over by an interrupted install");
        }
      }
    }
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }
}
