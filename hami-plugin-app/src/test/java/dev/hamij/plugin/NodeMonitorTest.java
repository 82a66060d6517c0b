package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.plugin.RegionFileBuilder.Usage;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeMonitorTest {

  private static final String GPU_A = "GPU-8e2b1c7d-0000-1111-2222-333344445555";
  private static final String GPU_B = "GPU-1c7d8e2b-6666-7777-8888-999900001111";
  private static final long NOW = 1_767_225_600L;
  private static final long MIB = 1L << 20;

  @TempDir Path containers;
  private final Map<String, NodePods.Pod> pods = new HashMap<>();
  private PrometheusRegistry registry;
  private NodeMonitor monitor;

  @BeforeEach
  void setUp() {
    pods.put("uid-1", new NodePods.Pod("team-a", "trainer", Set.of("main", "sidecar")));
    pods.put("uid-2", new NodePods.Pod("team-b", "infer", Set.of("server")));
    monitor(false);
  }

  @Test
  void exportsEachContainerDeviceWithHamisNamesAndLabels() throws Exception {
    RegionFileBuilder.v1(2)
        .device(GPU_A, 3000 * MIB, 30).device(GPU_B, 3000 * MIB, 30)
        .process(11, 1, new Usage(1200 * MIB, 300 * MIB, 100 * MIB, 800 * MIB, 0, 25), Usage.of(10 * MIB, 5))
        .lastKernelTime(NOW - 7)
        .writeTo(containers.resolve("uid-1_main/8f3c.cache"));
    Files.createFile(containers.resolve("uid-1_main/libvgpu.so")); // the runtime's mount placeholder

    assertThat(monitor.refresh()).isEmpty();

    String text = scrape();
    String labels = "container=\"main\",device_uuid=\"" + GPU_A + "\",namespace=\"team-a\",pod=\"trainer\","
        + "vdevice_index=\"0\",zone=\"vGPU\"";
    assertThat(text)
        .contains("hami_vgpu_memory_used_bytes{" + labels + "} " + (double) (1200 * MIB))
        .contains("hami_vgpu_memory_limit_bytes{" + labels + "} " + (double) (3000 * MIB))
        .contains("hami_container_device_memory_bytes{" + labels + "} " + (double) (1200 * MIB))
        .contains("hami_container_device_utilization_ratio{" + labels + "} 25.0")
        .contains("hami_container_last_kernel_elapsed_seconds{" + labels + "} 7.0")
        .contains("hami_vgpu_memory_context_bytes{" + labels + "} " + (double) (300 * MIB))
        .contains("hami_vgpu_memory_module_bytes{" + labels + "} " + (double) (100 * MIB))
        .contains("hami_vgpu_memory_buffer_bytes{" + labels + "} " + (double) (800 * MIB))
        .contains("vdevice_index=\"1\"")
        .doesNotContain("Device_memory_desc_of_container");
  }

  @Test
  void exportsTheLegacyNamesOnRequest() throws Exception {
    monitor(true);
    RegionFileBuilder.v0().device(GPU_A, 2000 * MIB, 0)
        .process(3, 1, new Usage(500, 100, 150, 250, 7, 9))
        .writeTo(containers.resolve("uid-2_server/x.cache"));

    assertThat(monitor.refresh()).isEmpty();

    String text = scrape();
    String legacy = "ctrname=\"server\",deviceuuid=\"" + GPU_A + "\",podname=\"infer\",podnamespace=\"team-b\","
        + "vdeviceid=\"0\",zone=\"vGPU\"";
    assertThat(text)
        .contains("vGPU_device_memory_usage_in_bytes{" + legacy + "} 500.0")
        .contains("vGPU_device_memory_limit_in_bytes{" + legacy + "} " + (double) (2000 * MIB))
        .contains("Device_utilization_desc_of_container{" + legacy + "} 9.0")
        .contains("Device_memory_desc_of_container{context=\"100\",ctrname=\"server\",data=\"250\",deviceuuid=\""
            + GPU_A + "\",module=\"150\",offset=\"7\",podname=\"infer\",podnamespace=\"team-b\",vdeviceid=\"0\","
            + "zone=\"vGPU\"} 500.0")
        .doesNotContain("Device_last_kernel_of_container{") // v0 records no kernel time
        .doesNotContain("hami_container_last_kernel_elapsed_seconds{");
  }

  @Test
  void truncatedAndForeignFilesAreReportedAndSkippedWhileOthersAreExported() throws Exception {
    byte[] good = RegionFileBuilder.v1(2).device(GPU_A, MIB, 0).process(1, 1, Usage.of(42, 1)).build();
    Files.createDirectories(containers.resolve("uid-1_main"));
    Files.write(containers.resolve("uid-1_main/a.cache"), java.util.Arrays.copyOf(good, 100_000));
    RegionFileBuilder.v1(2).device(GPU_A, MIB, 0).process(1, 1, Usage.of(42, 1))
        .writeTo(containers.resolve("uid-1_sidecar/b.cache"));
    Files.createDirectories(containers.resolve("uid-2_server"));
    Files.writeString(containers.resolve("uid-2_server/c.cache"), "not a region at all, just some text");

    List<NodeMonitor.Skipped> skipped = monitor.refresh();

    assertThat(skipped).extracting(NodeMonitor.Skipped::file).containsExactlyInAnyOrder(
        containers.resolve("uid-1_main/a.cache"), containers.resolve("uid-2_server/c.cache"));
    assertThat(skipped).extracting(NodeMonitor.Skipped::reason).containsExactlyInAnyOrder(
        "unknown shared region: 100000 bytes, major_version 1",
        "initialized_flag is 544501614, not 19920718 (not a HAMi-core shared region, or not initialised yet)");
    assertThat(scrape()).contains("container=\"sidecar\"").doesNotContain("container=\"main\"")
        .doesNotContain("container=\"server\"");
  }

  @Test
  void aRegionThatShrinksAfterItWasMappedIsReportedNotFatal() throws Exception {
    Path file = RegionFileBuilder.v1(2).device(GPU_A, MIB, 0).process(1, 1, Usage.of(42, 1))
        .writeTo(containers.resolve("uid-1_main/r.cache"));
    assertThat(monitor.refresh()).isEmpty();
    assertThat(scrape()).contains("container=\"main\"");

    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(4096);
    }
    List<NodeMonitor.Skipped> skipped = monitor.refresh();

    assertThat(skipped).singleElement().satisfies(s -> {
      assertThat(s.file()).isEqualTo(file);
      assertThat(s.reason()).isEqualTo("unknown shared region: 4096 bytes, major_version 1");
    });
    assertThat(scrape()).doesNotContain("container=\"main\"");

    RegionFileBuilder.v1(2).device(GPU_A, MIB, 0).process(1, 1, Usage.of(43, 1)).writeTo(file);
    assertThat(monitor.refresh()).isEmpty();
    assertThat(scrape()).contains("hami_vgpu_memory_used_bytes{container=\"main\"").contains("} 43.0");
  }

  @Test
  void onlyRegularContainersOfPodsOnThisNodeAreExportedAndVanishedOnesLoseTheirSeries() throws Exception {
    RegionFileBuilder.v1(2).device(GPU_A, MIB, 0).process(1, 1, Usage.of(1, 1))
        .writeTo(containers.resolve("uid-1_main/r.cache"));
    RegionFileBuilder.v1(2).device(GPU_A, MIB, 0).process(1, 1, Usage.of(1, 1))
        .writeTo(containers.resolve("uid-1_init-download/r.cache"));   // not a regular container
    RegionFileBuilder.v1(2).device(GPU_A, MIB, 0).process(1, 1, Usage.of(1, 1))
        .writeTo(containers.resolve("uid-9_main/r.cache"));            // pod not on this node
    Files.createDirectories(containers.resolve("no-separator"));
    Files.createDirectories(containers.resolve("uid-2_server"));        // region not created yet

    assertThat(monitor.refresh()).isEmpty();
    assertThat(scrape()).contains("container=\"main\",device_uuid").contains("pod=\"trainer\"")
        .doesNotContain("init-download").doesNotContain("uid-9");

    TestFiles.deleteRecursively(containers.resolve("uid-1_main"));
    assertThat(monitor.refresh()).isEmpty();
    assertThat(scrape()).doesNotContain("container=\"main\"");
  }

  @Test
  void tooManyCacheFilesInOneDirectoryIsReported() throws Exception {
    Path dir = containers.resolve("uid-1_main");
    RegionFileBuilder.v1(2).device(GPU_A, MIB, 0).writeTo(dir.resolve("a.cache"));
    Files.createFile(dir.resolve("b.cache"));
    Files.createFile(dir.resolve("libvgpu.so"));

    assertThat(monitor.refresh()).singleElement().satisfies(s -> {
      assertThat(s.file()).isEqualTo(dir);
      assertThat(s.reason()).isEqualTo("3 cache or library files where at most 2 are expected");
    });
  }

  @Test
  void aMissingContainersDirectoryExportsNothingAndDoesNotFail() throws Exception {
    registry = new PrometheusRegistry();
    monitor = new NodeMonitor(containers.resolve("absent"), uid -> Optional.ofNullable(pods.get(uid)),
        new ContainerMetrics(registry, false), Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
    assertThat(monitor.refresh()).isEmpty();
    assertThat(scrape()).doesNotContain("container=");
  }

  private void monitor(boolean legacy) {
    registry = new PrometheusRegistry();
    monitor = new NodeMonitor(containers, uid -> Optional.ofNullable(pods.get(uid)),
        new ContainerMetrics(registry, legacy), Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
  }

  private String scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
