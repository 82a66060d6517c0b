package dev.hamij.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Placement;
import org.junit.jupiter.api.Test;

class NvmlBasicsTest {
  @Test
  void mapsReturnCodes() {
    assertThat(NvmlReturn.of(0)).isEqualTo(NvmlReturn.SUCCESS);
    assertThat(NvmlReturn.of(23)).isEqualTo(NvmlReturn.INSUFFICIENT_RESOURCES);
    assertThat(NvmlReturn.of(30)).isEqualTo(NvmlReturn.RESET_TYPE_NOT_SUPPORTED);
    assertThat(NvmlReturn.of(999)).isEqualTo(NvmlReturn.UNKNOWN);
    assertThat(NvmlReturn.of(31)).isEqualTo(NvmlReturn.UNRECOGNIZED);
    assertThat(NvmlReturn.of(-5)).isEqualTo(NvmlReturn.UNRECOGNIZED);
    for (NvmlReturn r : NvmlReturn.values()) {
      if (r != NvmlReturn.UNRECOGNIZED) {
        assertThat(NvmlReturn.of(r.code())).isEqualTo(r);
      }
    }
    assertThat(NvmlReturn.GPU_IS_LOST.meansDeviceUnhealthy()).isTrue();
    assertThat(NvmlReturn.NOT_SUPPORTED.meansDeviceUnhealthy()).isFalse();
  }

  @Test
  void exceptionNamesFunctionDeviceAndCode() {
    NvmlException e = new NvmlException(NvmlReturn.INSUFFICIENT_RESOURCES,
        NvmlFunction.CREATE_GPU_INSTANCE_WITH_PLACEMENT, "GPU 0 (GPU-1)", "overlap", null);
    assertThat(e).hasMessage("nvmlDeviceCreateGpuInstanceWithPlacement on GPU 0 (GPU-1): INSUFFICIENT_RESOURCES (23):"
        + " overlap");
    assertThat(e.code()).isEqualTo(NvmlReturn.INSUFFICIENT_RESOURCES);
    assertThat(e.function()).isEqualTo(NvmlFunction.CREATE_GPU_INSTANCE_WITH_PLACEMENT);
    assertThat(e.device()).isEqualTo("GPU 0 (GPU-1)");
    NvmlException unknown = new NvmlException(NvmlReturn.UNRECOGNIZED, 77, NvmlFunction.INIT, "system", null, null);
    assertThat(unknown.rawCode()).isEqualTo(77);
    assertThat(unknown).hasMessage("nvmlInit_v2 on system: UNRECOGNIZED (77)");
    assertThatThrownBy(() -> new NvmlException(NvmlReturn.SUCCESS, NvmlFunction.INIT, "system"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pciBusIdIsShortenedToTheSysfsName() {
    assertThat(new PciInfo("00000000:3B:00.0", 0, 0x3b, 0, 0, 0).sysfsBusId()).isEqualTo("0000:3b:00.0");
    assertThat(new PciInfo("0000:AF:00.0", 0, 0xaf, 0, 0, 0).sysfsBusId()).isEqualTo("0000:af:00.0");
    assertThat(new PciInfo("00000001:3B:00.0", 1, 0x3b, 0, 0, 0).sysfsBusId()).isEqualTo("0001:3b:00.0");
  }

  @Test
  void placementsOverlapOnlyWhenIntervalsIntersect() {
    Placement threeG = new Placement(4, 4);
    assertThat(threeG.overlaps(new Placement(3, 1))).isFalse();
    assertThat(threeG.overlaps(new Placement(3, 2))).isTrue();
    assertThat(threeG.overlaps(new Placement(7, 1))).isTrue();
    assertThat(threeG.overlaps(new Placement(0, 4))).isFalse();
    assertThatThrownBy(() -> new Placement(0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void plainSliceProfilesShareOneNumbering() {
    int[] slices = {1, 2, 3, 4, 7, 8, 6};
    for (int e = 0; e < slices.length; e++) {
      assertThat(SliceProfiles.slicesOf(e)).isEqualTo(slices[e]);
      assertThat(SliceProfiles.enumFor(slices[e])).isEqualTo(e);
    }
    assertThat(SliceProfiles.slicesOf(7)).isZero();
    assertThat(SliceProfiles.slicesOf(-1)).isZero();
    assertThat(SliceProfiles.enumFor(5)).isEqualTo(-1);
  }
}
