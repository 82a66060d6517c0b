package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreloadLibraryInstallerTest {

  private static final String CONTAINER_LIBRARY = "/usr/local/vgpu/libvgpu.so";

  @TempDir Path temp;
  private Path host;
  private final Random random = new Random(42);
  private final ExecutorService readers = Executors.newSingleThreadExecutor();

  @BeforeEach
  void setUp() {
    host = temp.resolve("usr/local/vgpu");
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    readers.shutdownNow();
    assertThat(readers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void installsAContentAddressedLibraryAndThePreloadFileNamingTheContainerPath() throws Exception {
    byte[] payload = randomBytes(64 * 1024);

    InstalledLibrary installed = installer("v2.5.0").install(source("libvgpu.so", payload));

    String sha = PreloadLibraryInstaller.sha256(payload);
    assertThat(installed.sha256()).isEqualTo(sha);
    assertThat(installed.library()).isEqualTo(host.resolve("libvgpu.so.v2.5.0-" + sha.substring(0, 12)));
    assertThat(installed.library()).hasBinaryContent(payload);
    assertThat(Files.getPosixFilePermissions(installed.library()))
        .isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(installed.preloadFile()).isEqualTo(host.resolve("ld.so.preload"));
    assertThat(installed.preloadFile()).hasContent(CONTAINER_LIBRARY + "\n");
    assertThat(Files.getPosixFilePermissions(installed.preloadFile()))
        .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
    try (var files = Files.list(host)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(installed.library().getFileName().toString(), "ld.so.preload");
    }
  }

  @Test
  void aRestartWithTheSamePayloadTouchesNothing() throws Exception {
    byte[] payload = randomBytes(4096);
    InstalledLibrary first = installer("v1").install(source("lib", payload));
    BasicFileAttributes library = attributes(first.library());
    BasicFileAttributes preload = attributes(first.preloadFile());

    InstalledLibrary second = installer("v1").install(source("lib", payload));

    assertThat(second).isEqualTo(first);
    assertThat(attributes(second.library()).fileKey()).isEqualTo(library.fileKey());
    assertThat(attributes(second.library()).lastModifiedTime()).isEqualTo(library.lastModifiedTime());
    assertThat(attributes(second.preloadFile()).fileKey()).isEqualTo(preload.fileKey());
    assertThat(attributes(second.preloadFile()).lastModifiedTime()).isEqualTo(preload.lastModifiedTime());
  }

  @Test
  void aMappedLibraryKeepsItsInodeAndBytesAcrossAnUpgrade() throws Exception {
    byte[] old = randomBytes(256 * 1024);
    InstalledLibrary running = installer("v1").install(source("old", old));
    Object inode = attributes(running.library()).fileKey();
    try (FileChannel container = FileChannel.open(running.library(), StandardOpenOption.READ)) {
      MappedByteBuffer mapped = container.map(FileChannel.MapMode.READ_ONLY, 0, old.length);

      byte[] next = randomBytes(300 * 1024);
      InstalledLibrary upgraded = installer("v2").install(source("new", next));
      InstalledLibrary rebuilt = installer("v2").install(source("rebuilt", randomBytes(300 * 1024)));

      assertThat(upgraded.library()).isNotEqualTo(running.library()).hasBinaryContent(next);
      assertThat(rebuilt.library()).isNotEqualTo(upgraded.library());
      assertThat(running.library()).hasBinaryContent(old);
      assertThat(attributes(running.library()).fileKey()).isEqualTo(inode);
      assertThat(contentOf(mapped)).isEqualTo(old);
      assertThat(readAll(container)).isEqualTo(old);
    }
  }

  @Test
  void aChangedPreloadFileIsReplacedWhileOpenReadersKeepTheOldInode() throws Exception {
    byte[] payload = randomBytes(1024);
    InstalledLibrary first = installer("v1").install(source("lib", payload));
    Object inode = attributes(first.preloadFile()).fileKey();
    try (FileChannel container = FileChannel.open(first.preloadFile(), StandardOpenOption.READ)) {

      new PreloadLibraryInstaller(host, "v1", "/opt/hook/vgpu/libvgpu.so").install(source("lib", payload));

      assertThat(first.preloadFile()).hasContent("/opt/hook/vgpu/libvgpu.so\n");
      assertThat(attributes(first.preloadFile()).fileKey()).isNotEqualTo(inode);
      assertThat(new String(readAll(container), StandardCharsets.UTF_8)).isEqualTo(CONTAINER_LIBRARY + "\n");
    }
  }

  @Test
  void aTruncatedFileLeftUnderTheNameIsReplacedNotRewritten() throws Exception {
    byte[] payload = randomBytes(128 * 1024);
    InstalledLibrary installed = installer("v1").install(source("lib", payload));
    Files.delete(installed.library());
    byte[] partial = java.util.Arrays.copyOf(payload, 1000);
    Files.write(installed.library(), partial); // what an interrupted in-place copy leaves behind
    Object partialInode = attributes(installed.library()).fileKey();
    try (FileChannel holder = FileChannel.open(installed.library(), StandardOpenOption.READ)) {

      installer("v1").install(source("lib", payload));

      assertThat(installed.library()).hasBinaryContent(payload);
      assertThat(attributes(installed.library()).fileKey()).isNotEqualTo(partialInode);
      assertThat(readAll(holder)).isEqualTo(partial);
    }
  }

  @Test
  void aReaderNeverSeesAPartialLibraryWhileItIsInstalled() throws Exception {
    byte[] payload = randomBytes(4 * 1024 * 1024);
    Path source = source("lib", payload);
    Path library = installer("v1").install(source).library();
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger fullReads = new AtomicInteger();
    Set<Integer> wrongLengths = ConcurrentHashMap.newKeySet();
    CountDownLatch readerRunning = new CountDownLatch(1);
    Future<?> reader = readers.submit(() -> {
      readerRunning.countDown();
      while (!done.get()) {
        try {
          byte[] seen = Files.readAllBytes(library);
          if (java.util.Arrays.equals(seen, payload)) {
            fullReads.incrementAndGet();
          } else {
            wrongLengths.add(seen.length);
          }
        } catch (NoSuchFileException e) {
          // not installed at this instant: a container would not start, never start half-armed
        }
      }
      return null;
    });
    readerRunning.await();

    for (int round = 0; round < 15; round++) {
      Files.delete(library); // a fresh host: the next install writes the file again
      installer("v1").install(source);
    }
    done.set(true);
    reader.get(10, TimeUnit.SECONDS);

    assertThat(wrongLengths).isEmpty();
    assertThat(fullReads.get()).isPositive();
  }

  @Test
  void aReaderNeverSeesAnEmptyOrPartialPreloadFileWhileItChanges() throws Exception {
    Path source = source("lib", randomBytes(1024));
    List<String> contents = List.of("/usr/local/vgpu/libvgpu.so\n", "/opt/a/much/longer/hook/path/vgpu/libvgpu.so\n");
    Path preload = new PreloadLibraryInstaller(host, "v1", contents.get(0).strip()).install(source).preloadFile();
    AtomicBoolean done = new AtomicBoolean();
    Set<String> wrong = ConcurrentHashMap.newKeySet();
    AtomicInteger reads = new AtomicInteger();
    CountDownLatch readerRunning = new CountDownLatch(1);
    Future<?> reader = readers.submit(() -> {
      readerRunning.countDown();
      while (!done.get()) {
        String seen = Files.readString(preload);
        reads.incrementAndGet();
        if (!contents.contains(seen)) {
          wrong.add(seen);
        }
      }
      return null;
    });
    readerRunning.await();

    for (int round = 0; round < 100; round++) {
      new PreloadLibraryInstaller(host, "v1", contents.get(round % 2 == 0 ? 1 : 0).strip()).install(source);
    }
    done.set(true);
    reader.get(10, TimeUnit.SECONDS);

    assertThat(wrong).isEmpty();
    assertThat(reads.get()).isPositive();
  }

  @Test
  void removesTemporaryFilesLeftByAKilledInstallButNotFreshOnes() throws Exception {
    Files.createDirectories(host);
    Path old = Files.write(host.resolve(".libvgpu.so.v1-0123456789ab.tmp-17-cafe0001"), new byte[10]);
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(PreloadLibraryInstaller.LEFTOVER_AGE).minusSeconds(60)));
    Path fresh = Files.write(host.resolve(".ld.so.preload.tmp-18-cafe0002"), new byte[10]);
    Path foreign = Files.write(host.resolve(".other.tmp-1-2"), new byte[10]);
    Files.setLastModifiedTime(foreign, FileTime.from(Instant.EPOCH));

    installer("v1").install(source("lib", randomBytes(100)));

    assertThat(old).doesNotExist();
    assertThat(fresh).exists();
    assertThat(foreign).exists();
  }

  @Test
  void rejectsAMissingSourceAndBadSettingsWithAClearMessage() {
    assertThatThrownBy(() -> installer("v1").install(temp.resolve("missing.so")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("preload library source " + temp.resolve("missing.so") + " is not a regular file");
    assertThatThrownBy(() -> installer("../v1"))
        .hasMessageContaining("version '../v1' must match");
    assertThatThrownBy(() -> new PreloadLibraryInstaller(host, "v1", "relative/libvgpu.so"))
        .hasMessageContaining("containerLibraryPath 'relative/libvgpu.so' must be an absolute path");
  }

  @Test
  void refusesToReplaceSomethingThatIsNotARegularFile() throws Exception {
    Files.createDirectories(host.resolve("ld.so.preload"));
    assertThatThrownBy(() -> installer("v1").install(source("lib", randomBytes(10))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("ld.so.preload: a file of another kind is in the way");
  }

  private PreloadLibraryInstaller installer(String version) {
    return new PreloadLibraryInstaller(host, version, CONTAINER_LIBRARY);
  }

  private Path source(String name, byte[] payload) throws IOException {
    Path dir = Files.createDirectories(temp.resolve("image"));
    return Files.write(dir.resolve(name), payload);
  }

  private byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return bytes;
  }

  private static BasicFileAttributes attributes(Path file) throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class);
  }

  private static byte[] contentOf(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.capacity()];
    buffer.duplicate().position(0).get(bytes);
    return bytes;
  }

  private static byte[] readAll(FileChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate((int) channel.size());
    channel.read(buffer, 0);
    return buffer.array();
  }
}
