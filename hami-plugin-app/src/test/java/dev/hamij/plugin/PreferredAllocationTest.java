package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.plugin.v1beta1.ContainerPreferredAllocationRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreferredAllocationTest {

  private static final String A = "GPU-0fc3a1b2-1111-2222-3333-444455556666";
  private static final String B = "GPU-a1b2c3d4-7777-8888-9999-000011112222";
  private static final String C = "GPU-c0c0c0c0-7777-8888-9999-000011112222";

  @Test
  void choosesSlotsOfDistinctGpusInKubeletsOrder() {
    assertThat(choose(List.of(A + "-0", A + "-1", B + "-0", C + "-0"), List.of(), 2))
        .containsExactly(A + "-0", B + "-0");
  }

  @Test
  void keepsEveryMustIncludeIdAndAvoidsTheirGpus() {
    assertThat(choose(List.of(A + "-0", A + "-1", B + "-0", B + "-1", C + "-3"), List.of(B + "-1"), 3))
        .containsExactly(B + "-1", A + "-0", C + "-3");
  }

  @Test
  void sharesAGpuOnlyWhenTooFewGpusAreAvailable() {
    assertThat(choose(List.of(A + "-0", A + "-1", A + "-2", B + "-0"), List.of(), 3))
        .containsExactly(A + "-0", B + "-0", A + "-1");
  }

  @Test
  void answersExactlyTheMustIncludeIdsWhenTheyFillTheSize() {
    assertThat(choose(List.of(A + "-0", B + "-0"), List.of(B + "-0"), 1)).containsExactly(B + "-0");
    assertThat(choose(List.of(A + "-0"), List.of(), 0)).isEmpty();
  }

  @Test
  void rejectsImpossibleRequestsNamingTheField() {
    assertThatThrownBy(() -> choose(List.of(A + "-0"), List.of(B + "-0"), 1))
        .hasMessage("must_include_deviceIDs entry " + B + "-0 is not among available_deviceIDs");
    assertThatThrownBy(() -> choose(List.of(A + "-0", B + "-0"), List.of(A + "-0", B + "-0"), 1))
        .hasMessage("must_include_deviceIDs has 2 IDs, more than allocation_size 1");
    assertThatThrownBy(() -> choose(List.of(A + "-0"), List.of(), -1))
        .hasMessage("allocation_size -1 is outside 0..1 (the number of available_deviceIDs)");
  }

  private static List<String> choose(List<String> available, List<String> mustInclude, int size) {
    return PreferredAllocation.choose(ContainerPreferredAllocationRequest.newBuilder()
        .addAllAvailableDeviceIDs(available).addAllMustIncludeDeviceIDs(mustInclude)
        .setAllocationSize(size).build());
  }
}
