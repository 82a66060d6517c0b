package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ContainerDeviceRequestTest {
  @Test
  void memoryIsMiBOrTruncatedPercentageOfTheDevice() {
    assertThat(ContainerDeviceRequest.memory(2, 4096, 0).memoryOn(8192)).isEqualTo(4096);
    assertThat(ContainerDeviceRequest.percentage(1, 50, 0).memoryOn(15109)).isEqualTo(7554);
    assertThat(ContainerDeviceRequest.percentage(1, 100, 100).memoryOn(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
    assertThat(ContainerDeviceRequest.memory(1, 0, 0).usesPercentage()).isFalse();
    assertThat(ContainerDeviceRequest.NONE.isEmpty()).isTrue();
    assertThatThrownBy(() -> ContainerDeviceRequest.percentage(1, 102, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ContainerDeviceRequest.memory(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
