package dev.hamij.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GpuModelCatalogTest {
  private final GpuModelCatalog catalog = GpuModelCatalog.builtIn();

  @Test
  void loadsEveryModelOfTheSpecFile() {
    assertThat(catalog.models()).extracting(GpuModel::key)
        .containsExactly("A30-24GB", "A100-40GB", "A100-80GB", "H100-80GB", "H200-141GB", "H100-NVL-94GB");
    GpuModel a100 = catalog.byKey("a100-40gb").orElseThrow();
    assertThat(a100.memorySlices()).isEqualTo(8);
    assertThat(a100.computeSlices()).isEqualTo(7);
    assertThat(a100.maxGpuInstances()).isEqualTo(7);
    assertThat(a100.hamiAllowlistModels()).contains("A100-SXM4-40GB", "A100-PCIE-40GB");
    MigProfileSpec threeG = a100.profile("3g.20gb").orElseThrow();
    assertThat(threeG.gpuInstanceProfileEnum()).isEqualTo(2);
    assertThat(threeG.profileId()).isEqualTo(9);
    assertThat(threeG.memoryMiB()).isEqualTo(19968);
    assertThat(threeG.memorySlices()).isEqualTo(4);
    assertThat(threeG.placements()).containsExactly(new InstancePlacement(0, 4), new InstancePlacement(4, 4));
    assertThat(a100.profile("1g.5gb+me").orElseThrow().mediaExtensions()).isTrue();
    assertThat(a100.profileByEnum(9).orElseThrow().name()).isEqualTo("1g.10gb");
    assertThat(a100.profileById(0).orElseThrow().name()).isEqualTo("7g.40gb");
    assertThat(a100.fullInstanceMultiprocessors()).isEqualTo(98);
  }

  @Test
  void findsModelsByTheNamesDriversReport() {
    assertThat(catalog.byNvmlName("NVIDIA A100-SXM4-40GB")).map(GpuModel::key).contains("A100-40GB");
    assertThat(catalog.byNvmlName("NVIDIA H100 80GB HBM3")).map(GpuModel::key).contains("H100-80GB");
    assertThat(catalog.byNvmlName("NVIDIA H200 NVL")).map(GpuModel::key).contains("H200-141GB");
    assertThat(catalog.byNvmlName("NVIDIA H100 NVL")).map(GpuModel::key).contains("H100-NVL-94GB");
    assertThat(catalog.byNvmlName("nvidia a100 80gb pcie")).map(GpuModel::key).contains("A100-80GB");
    assertThat(catalog.byNvmlName("NVIDIA A30X")).isEmpty();
    assertThat(catalog.byNvmlName("Tesla V100-PCIE-32GB")).isEmpty();
  }

  @Test
  void rejectsACatalogWhosePlacementsDoNotMatchTheProfileSize() {
    String json = """
        {"models":[{"key":"X","nvmlNames":["X"],"computeSlicesTotal":7,"memorySlicesTotal":8,"maxGpuInstances":7,
          "profiles":[{"name":"2g.10gb","memorySlices":2,"placements":[{"start":0,"size":1}]}]}]}""";
    assertThatThrownBy(() -> GpuModelCatalog.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("model X profile 2g.10gb placement 0:1");
  }
}
