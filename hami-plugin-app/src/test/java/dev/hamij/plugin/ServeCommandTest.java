package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.HamiConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServeCommandTest {

  @Test
  void parsesTheFlagsWithKubeletsDefaults() {
    ServeCommand serve = parse("--node-name", "gpu-1");

    assertThat(serve.pluginDirectory).isEqualTo(Path.of("/var/lib/kubelet/device-plugins"));
    assertThat(serve.settings("gpu-1", HamiConfig.defaults()).plugin().resourceName()).isEqualTo("nvidia.com/gpu");
    if (System.getenv("HOOK_PATH") == null) {
      assertThat(serve.libraryHostDirectory()).isEqualTo(Path.of("/usr/local/vgpu"));
    }
    assertThat(parse("--hook-path", "/opt/hook").libraryHostDirectory()).isEqualTo(Path.of("/opt/hook/vgpu"));
    assertThat(serve.libraryVersion).isEqualTo(Main.VERSION);
    assertThat(serve.preferredAllocation).isFalse();
    if (System.getenv("KUBELET_SOCKET") == null) {
      assertThat(serve.kubeletSocketPath()).contains(Path.of("/var/lib/kubelet/device-plugins/kubelet.sock"));
    }
  }

  @Test
  void kubeletSocketCanBeMovedOrSwitchedOff() {
    assertThat(parse("--plugin-dir", "/x", "--kubelet-socket", "/y/k.sock").kubeletSocketPath())
        .contains(Path.of("/y/k.sock"));
    assertThat(parse("--kubelet-socket", "none").kubeletSocketPath()).isEqualTo(Optional.empty());
  }

  @Test
  void aMissingNodeNameIsOneClearError() {
    StringWriter err = new StringWriter();
    CommandLine line = Main.commandLine().setErr(new PrintWriter(err));

    int code = line.execute("serve", "--node-name", "");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString().strip()).isEqualTo("serve: --node-name (or env NODE_NAME) is required");
  }

  @Test
  void aLibraryThatCannotBeInstalledStopsServeWithOneClearError() throws Exception {
    Path dir = TestFiles.shortTempDirectory();
    try {
      StringWriter err = new StringWriter();
      int code = Main.commandLine().setErr(new PrintWriter(err)).execute("serve", "--node-name", "gpu-1",
          "--plugin-dir", dir.toString(), "--library-source", dir.resolve("missing.so").toString(),
          "--library-host-dir", dir.resolve("vgpu").toString());

      assertThat(code).isEqualTo(1);
      assertThat(err.toString().strip())
          .isEqualTo("serve: preload library source " + dir.resolve("missing.so") + " is not a regular file");
      assertThat(dir.resolve("nvidia-gpu.sock")).doesNotExist();
    } finally {
      TestFiles.deleteRecursively(dir);
    }
  }

  private static ServeCommand parse(String... args) {
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs(args);
    return serve;
  }
}
