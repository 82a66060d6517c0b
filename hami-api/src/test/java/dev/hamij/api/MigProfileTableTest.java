package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MigProfileTableTest {
  private final MigProfileTable table = MigProfileTable.bundled();

  @Test
  void findsModelsByRealDriverNamesAndRegisteredTypes() {
    assertThat(table.forName("NVIDIA A100-SXM4-40GB")).get().extracting(MigProfileTable.Model::key).isEqualTo("A100-40GB");
    assertThat(table.forName("NVIDIA H100 80GB HBM3")).get().extracting(MigProfileTable.Model::key).isEqualTo("H100-80GB");
    assertThat(table.forName("NVIDIA-NVIDIA H200")).get().extracting(MigProfileTable.Model::key).isEqualTo("H200-141GB");
    assertThat(table.forName("NVIDIA A100 80GB PCIe")).get().extracting(MigProfileTable.Model::key).isEqualTo("A100-80GB");
    assertThat(table.forName("NVIDIA-Tesla P4")).isEmpty();
  }

  @Test
  void a100ProfilesCarryRealPlacements() {
    MigProfileTable.Model a100 = table.forKey("A100-40GB").orElseThrow();
    MigProfileTable.Profile threeG = a100.profile("3g.20gb").orElseThrow();
    assertThat(threeG.placements()).containsExactly(new Placement(0, 4), new Placement(4, 4));
    assertThat(a100.profile("1g.10gb").orElseThrow().computeSlices()).isEqualTo(1);
    assertThat(a100.profile("1g.10gb").orElseThrow().memorySlices()).isEqualTo(2);
    MigProfile advertised = a100.advertised(a100.profile("2g.10gb").orElseThrow());
    assertThat(advertised.core()).isEqualTo(29);
    assertThat(advertised.memoryMB()).isEqualTo(9856);
  }
}
