package dev.hamij.plugin;

import dev.hamij.nvidia.AdvertisedDevice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import dev.hamij.plugin.v1beta1.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NodeAgentTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String SLOT = "GPU-0fc3a1b2-1111-2222-3333-444455556666-0";

  private Path directory;
  private Path host;
  private Path source;
  private FakeKubelet kubelet;
  private NodeAgent agent;

  @BeforeEach
  void setUp() throws Exception {
    directory = TestFiles.shortTempDirectory();
    host = Files.createTempDirectory("vgpu");
    source = Files.write(host.resolveSibling(host.getFileName() + "-libvgpu.so"), new byte[] {1, 2, 3, 4});
    kubelet = FakeKubelet.start(directory);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    kubelet.close();
    TestFiles.deleteRecursively(directory);
    TestFiles.deleteRecursively(host);
    Files.deleteIfExists(source);
  }

  @Test
  void installsAndVerifiesTheLibraryBeforeRegisteringAndAllocateMountsThatFile() throws Exception {
    List<String> seenAtRegistration = new CopyOnWriteArrayList<>();
    kubelet.onRegister(request -> {
      try (var files = Files.list(host)) {
        files.map(p -> p.getFileName().toString()).sorted().forEach(seenAtRegistration::add);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });

    agent = NodeAgent.start(settings(), installer(), source,
        new DeviceList(List.of(new AdvertisedDevice(SLOT, true, -1))), false,
        library -> containers -> List.of(ContainerAllocateResponse.newBuilder()
            .addMounts(Mount.newBuilder().setContainerPath("/usr/local/vgpu/libvgpu.so")
                .setHostPath(library.library().toString()).setReadOnly(true))
            .build()));
    kubelet.awaitRegistrations(1, TIMEOUT);

    String installedName = agent.library().library().getFileName().toString();
    assertThat(seenAtRegistration).containsExactly("ld.so.preload", installedName);
    assertThat(kubelet.allocate(List.of(SLOT)).getMounts(0).getHostPath())
        .isEqualTo(agent.library().library().toString());
  }

  @Test
  void aLibraryThatCannotBeInstalledMeansNoSocketAndNoRegistration() throws Exception {
    Files.delete(source);

    assertThatThrownBy(() -> NodeAgent.start(settings(), installer(), source, new DeviceList(List.of()), false,
            library -> containers -> List.of()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not a regular file");

    assertThat(directory.resolve("nvidia-gpu.sock")).doesNotExist();
    assertThat(kubelet.registrations()).isEmpty();
  }

  private PluginSettings settings() {
    return new PluginSettings(directory, Optional.of(kubelet.socket()), "nvidia.com/gpu", Duration.ofHours(1),
        true, Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofMillis(200));
  }

  private PreloadLibraryInstaller installer() {
    return new PreloadLibraryInstaller(host, "v1", "/usr/local/vgpu/libvgpu.so");
  }
}
