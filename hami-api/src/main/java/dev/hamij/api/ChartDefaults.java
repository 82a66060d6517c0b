package dev.hamij.api;

import java.util.List;

/** HAMi Helm chart defaults for the MIG parts of the {@code nvidia:} section (scheduler.md §6.1, §6.2.1). */
final class ChartDefaults {
  private ChartDefaults() {}

  private static final List<String> A30 = List.of("A30");
  private static final List<String> A100_40GB = List.of("A100-SXM4-40GB", "A100-40GB-PCIe", "A100-PCIE-40GB");
  private static final List<String> A100_80GB = List.of("A100-SXM4-80GB", "A100-80GB-PCIe", "A100-PCIE-80GB");

  /**
   * Legacy geometries. Memory and counts are the chart's; {@code core} (added by v2.8 charts) is
   * the profile's share of the GPU's compute slices, truncated (1g of 7 = 14, of 4 = 25).
   */
  static final List<MigGeometry> KNOWN_MIG_GEOMETRIES = List.of(
      new MigGeometry(A30, List.of(
          List.of(new MigTemplate("1g.6gb", 6144, 4, 25)),
          List.of(new MigTemplate("2g.12gb", 12288, 2, 50)),
          List.of(new MigTemplate("4g.24gb", 24576, 1, 100)))),
      new MigGeometry(A100_40GB, List.of(
          List.of(new MigTemplate("1g.5gb", 5120, 7, 14)),
          List.of(new MigTemplate("2g.10gb", 10240, 3, 28), new MigTemplate("1g.5gb", 5120, 1, 14)),
          List.of(new MigTemplate("3g.20gb", 20480, 2, 42)),
          List.of(new MigTemplate("7g.40gb", 40960, 1, 100)))),
      new MigGeometry(A100_80GB, List.of(
          List.of(new MigTemplate("1g.10gb", 10240, 7, 14)),
          List.of(new MigTemplate("2g.20gb", 20480, 3, 28), new MigTemplate("1g.10gb", 10240, 1, 14)),
          List.of(new MigTemplate("3g.40gb", 40960, 2, 42)),
          List.of(new MigTemplate("7g.79gb", 80896, 1, 100)))));

  /** HEAD's dynamic-MIG allowlist. */
  static final List<MigAllowlistEntry> MIG_PROFILE_ALLOWLIST = List.of(
      new MigAllowlistEntry(A30, List.of("1g.6gb", "2g.12gb", "4g.24gb")),
      new MigAllowlistEntry(A100_40GB, List.of("1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb")),
      new MigAllowlistEntry(A100_80GB, List.of("1g.10gb", "2g.20gb", "3g.40gb", "7g.79gb")),
      new MigAllowlistEntry(List.of("H100-PCIE-80GB", "H100-SXM5-80GB"), List.of("1g.10gb", "2g.20gb", "3g.40gb", "7g.80gb")),
      new MigAllowlistEntry(List.of("H100-PCIE-94GB", "H100-SXM5-94GB"), List.of("1g.12gb", "2g.24gb", "3g.47gb", "7g.94gb")),
      new MigAllowlistEntry(List.of("H20", "H100 on GH200"), List.of("1g.12gb", "2g.24gb", "3g.48gb", "7g.96gb")),
      new MigAllowlistEntry(List.of("H200 NVL", "H200-SXM5"), List.of("1g.18gb", "2g.35gb", "3g.71gb", "7g.141gb")),
      new MigAllowlistEntry(List.of("B200"), List.of("1g.23gb", "2g.45gb", "3g.90gb", "7g.180gb")),
      new MigAllowlistEntry(List.of("RTX PRO 6000 Blackwell Server Edition"), List.of("1g.24gb", "2g.48gb", "4g.96gb")));
}
