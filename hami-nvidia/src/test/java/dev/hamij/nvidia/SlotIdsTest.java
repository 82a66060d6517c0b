package dev.hamij.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SlotIdsTest {
  private static final String UUID = "GPU-0fc3a1b2-1111-2222-3333-444455556666";

  @Test
  void slotIdsRoundTripToTheirGpu() {
    assertThat(SlotIds.of(UUID, 7)).isEqualTo(UUID + "-7");
    assertThat(SlotIds.physicalDeviceId(SlotIds.of(UUID, 7))).isEqualTo(UUID);
    assertThat(SlotIds.physicalDeviceId(UUID)).isEqualTo(UUID);
  }

  @Test
  void followsUpstreamRules() {
    assertThat(SlotIds.physicalDeviceId(UUID + "::3")).isEqualTo(UUID);
    assertThat(SlotIds.physicalDeviceId(UUID + "-x")).isEqualTo(UUID + "-x");
    assertThat(SlotIds.physicalDeviceId(UUID + "-")).isEqualTo(UUID + "-");
    // short IDs (as in the spec's worked example) have too few dashes to be slot IDs
    assertThat(SlotIds.physicalDeviceId("GPU-a-3")).isEqualTo("GPU-a-3");
  }
}
