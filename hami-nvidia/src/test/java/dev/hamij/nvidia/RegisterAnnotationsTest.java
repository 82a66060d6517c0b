package dev.hamij.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.GpuDevice;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegisterAnnotationsTest {
  private static final List<GpuDevice> DEVICES = List.of(
      GpuDevice.hamiCore("GPU-00552014-5c87-89ac-b1a6-7b53aa24b0ec", 0, 10, 32768, 100,
          "NVIDIA-Tesla V100-PCIE-32GB", 0));
  private static final Instant NOW = Instant.parse("2025-01-03T09:56:10.430Z");

  @Test
  void jsonByDefaultWithoutHandshake() {
    assertThat(RegisterAnnotations.of(DEVICES, RegisterAnnotations.Format.JSON, NOW, ZoneOffset.UTC))
        .containsExactly(Map.entry("hami.io/node-nvidia-register",
            "[{\"id\":\"GPU-00552014-5c87-89ac-b1a6-7b53aa24b0ec\",\"count\":10,\"devmem\":32768,\"devcore\":100,"
                + "\"type\":\"NVIDIA-Tesla V100-PCIE-32GB\",\"mode\":\"hami-core\",\"health\":true}]"));
  }

  @Test
  void legacyStringWithTheReportedHandshake() {
    assertThat(RegisterAnnotations.of(DEVICES, RegisterAnnotations.Format.LEGACY, NOW, ZoneOffset.UTC))
        .containsOnly(
            Map.entry("hami.io/node-nvidia-register", "GPU-00552014-5c87-89ac-b1a6-7b53aa24b0ec,10,32768,100,"
                + "NVIDIA-Tesla V100-PCIE-32GB,0,true,0,hami-core:"),
            Map.entry("hami.io/node-handshake", "Reported 2025-01-03 09:56:10.43 +0000 UTC"));
  }
}
