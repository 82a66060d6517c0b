package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PodDevicesCodecTest {
  @Test
  void specExampleRoundTripsWithContainerIndexesKept() {
    String spec = ";GPU-a,NVIDIA,1000,30:;GPU-a,NVIDIA,2000,20:GPU-b,NVIDIA,2000,20:;";
    PodDevices pod = new PodDevices(List.of(
        List.of(),
        List.of(ContainerDevice.nvidia("GPU-a", 1000, 30)),
        List.of(ContainerDevice.nvidia("GPU-a", 2000, 20), ContainerDevice.nvidia("GPU-b", 2000, 20))));
    assertThat(PodDevicesCodec.decode(spec, "default/p")).isEqualTo(pod);
    assertThat(PodDevicesCodec.encode(pod)).isEqualTo(spec);
  }

  @Test
  void nodeSpecExampleWithInitContainerFirst() {
    String value = ";GPU-a,NVIDIA,3000,30:GPU-b,NVIDIA,3000,30:;GPU-a,NVIDIA,5000,0:;";
    PodDevices pod = PodDevicesCodec.decode(value, "default/p", Annotations.DEVICES_TO_ALLOCATE);
    assertThat(pod.containers()).hasSize(3);
    assertThat(pod.containers().get(0)).isEmpty();
    assertThat(pod.containers().get(2)).containsExactly(ContainerDevice.nvidia("GPU-a", 5000, 0));
  }

  @Test
  void consumedEntriesAndEmptyValues() {
    assertThat(PodDevicesCodec.decode(";;", "p").containers()).containsExactly(List.of(), List.of());
    assertThat(PodDevicesCodec.decode("", "p")).isEqualTo(PodDevices.empty());
    assertThat(PodDevicesCodec.decode(null, "p")).isEqualTo(PodDevices.empty());
    assertThat(PodDevicesCodec.encode(PodDevices.empty())).isEmpty();
    assertThat(PodDevicesCodec.encode(new PodDevices(List.of(List.of())))).isEqualTo(";");
    // no trailing terminator: the last entry is still a container, as upstream reads it
    assertThat(PodDevicesCodec.decode("GPU-a,NVIDIA,1,2:", "p").containers())
        .containsExactly(List.of(ContainerDevice.nvidia("GPU-a", 1, 2)));
  }

  @Test
  void piecesWithoutCommaAndExtraFieldsAreIgnoredAndLegacyPlaceholderIsNoDevice() {
    assertThat(PodDevicesCodec.decode("junk:GPU-a,NVIDIA,1,2,extra:;", "p").containers())
        .containsExactly(List.of(ContainerDevice.nvidia("GPU-a", 1, 2)));
    assertThat(PodDevicesCodec.decode("GPU-a,NVIDIA,1,2:;,,0,0:;", "p").containers())
        .containsExactly(List.of(ContainerDevice.nvidia("GPU-a", 1, 2)), List.of());
    assertThat(PodDevicesCodec.decode("GPU-a[1-0],NVIDIA,10240,0:;", "p").all())
        .containsExactly(ContainerDevice.nvidia("GPU-a[1-0]", 10240, 0));
  }

  @Test
  void malformedDevicesFailWithUpstreamWordingAndPodName() {
    assertThatThrownBy(() -> PodDevicesCodec.decode(";GPU-a,NVIDIA,1000:;", "default/p", Annotations.DEVICES_TO_ALLOCATE))
        .isInstanceOf(HamiFormatException.class)
        .hasMessageStartingWith("default/p: hami.io/vgpu-devices-to-allocate: pod annotation format error, missing fields")
        .hasMessageContaining("container 1");
    assertThatThrownBy(() -> PodDevicesCodec.decode("GPU-a,NVIDIA,x,1:;", "default/p"))
        .isInstanceOf(HamiFormatException.class).hasMessageContaining("hami.io/vgpu-devices-allocated")
        .hasMessageContaining("usedmem must be a non-negative 32-bit integer, got \"x\"");
    assertThatThrownBy(() -> PodDevicesCodec.decode("GPU-a,NVIDIA,1,-5:;", "p"))
        .isInstanceOf(HamiFormatException.class).hasMessageContaining("usedcores");
    assertThatThrownBy(() -> PodDevicesCodec.decode(",NVIDIA,100,0:;", "p"))
        .isInstanceOf(HamiFormatException.class).hasMessageContaining("empty device uuid");
  }

  @Test
  void encoderRefusesSeparatorsInFields() {
    PodDevices bad = new PodDevices(List.of(List.of(new ContainerDevice("GPU;a", "NVIDIA", 1, 1))));
    assertThatThrownBy(() -> PodDevicesCodec.encode(bad)).isInstanceOf(HamiFormatException.class);
  }
}
