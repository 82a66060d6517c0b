package dev.hamij.plugin;

import static dev.hamij.plugin.NodeTestbed.GPU_0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.testing.LogCapture;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the node agent leaves on the host and in its logs: the plugin socket is private to root
 * ({@code 0600}); the library and {@code ld.so.preload} are read-only for others; no directory is
 * writable by others except the two a container must write as an arbitrary user — its own
 * per-container directory ({@code 0777}, mounted only into it) and the shared {@code /tmp/vgpulock}
 * ({@code 1777}: the sticky bit keeps one container from deleting another's lock files). And the
 * agent's bearer token never reaches a log record, even at the most verbose level of every logger.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class NodeSecurityTest {
  private static final String TOKEN = "sha256~bm9kZS1hZ2VudC1iZWFyZXItdG9rZW4tc2VjcmV0LTk5";

  static KubernetesClient client;

  @Test
  void hostFilesHaveRestrictivePermissionsAndTheTokenIsNeverLogged() throws Exception {
    LogCapture capture = LogCapture.start("dev.hamij", "io.fabric8");
    try (KubernetesClient agent = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
        .withOauthToken(TOKEN).build()).build()) {
      NodeTestbed bed = NodeTestbed.create(client, "sec-node", NodeTestbed.TWO_A100);
      bed.agentClient = agent;
      try {
        bed.startRuntime("nvidia: {}\n", b -> { });
        bed.schedule("ok", 1, GPU_0 + ",NVIDIA,1000,10:;");
        bed.lock("ok");
        bed.kubelet.admitContainer(1);
        // a refused Allocate and a pod that does not exist: the paths that log warnings with API errors
        assertThatThrownBy(() -> bed.kubelet.admitContainer(1)).isInstanceOf(StatusRuntimeException.class);

        assertThat(mode(bed.pluginDirectory.resolve("nvidia-gpu.sock"))).isEqualTo("rw-------");
        Path vgpu = bed.hostDirectory.resolve("vgpu");
        try (Stream<Path> files = Files.list(vgpu)) {
          for (Path f : files.toList()) {
            if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
              assertThat(mode(f)).as(f.toString()).matches("r[w-][x-]r-[x-]r-[x-]");
            }
          }
        }
        assertThat(mode(vgpu)).as("the library directory").doesNotMatch(".....w...|........w.");
        assertThat(mode(vgpu.resolve("containers"))).as("the containers directory").matches("rwxr-xr-x");
        assertThat(mode(bed.containerDirectory("ok", "main"))).as("the container's own directory").isEqualTo("rwxrwxrwx");
        assertThat(Integer.toOctalString((Integer) Files.getAttribute(bed.vgpuLock, "unix:mode") & 07777))
            .as("the shared vGPU lock directory").isEqualTo("1777");
      } finally {
        bed.close();
      }
    } finally {
      capture.close();
    }
    assertThat(capture.texts()).as("records captured").hasSizeGreaterThan(20);
    assertThat(capture.texts()).as("log records with the agent's token").noneMatch(t -> t.contains(TOKEN));
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }
}
