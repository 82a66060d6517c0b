package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PairScoresCodecTest {
  @Test
  void specExampleDecodesAndEncodesWithSortedPeers() {
    String spec = "[{\"uuid\":\"GPU-0\",\"score\":{\"GPU-2\":20,\"GPU-1\":100}},{\"uuid\":\"GPU-1\",\"score\":{}}]";
    Map<String, Map<String, Integer>> scores = PairScoresCodec.decode(spec, "node-a");
    assertThat(scores).containsOnlyKeys("GPU-0", "GPU-1");
    assertThat(scores.get("GPU-0")).isEqualTo(Map.of("GPU-1", 100, "GPU-2", 20));
    Map<String, Map<String, Integer>> ordered = new LinkedHashMap<>(scores);
    assertThat(PairScoresCodec.encode(ordered))
        .isEqualTo("[{\"uuid\":\"GPU-0\",\"score\":{\"GPU-1\":100,\"GPU-2\":20}},{\"uuid\":\"GPU-1\",\"score\":{}}]");
    assertThat(PairScoresCodec.decode(null, "node-a")).isEmpty();
  }

  @Test
  void invalidValuesNameTheNode() {
    assertThatThrownBy(() -> PairScoresCodec.decode("[{\"uuid\":\"GPU-0\",\"score\":{\"GPU-1\":\"x\"}}]", "node-a"))
        .isInstanceOf(HamiFormatException.class)
        .hasMessageStartingWith("node-a: hami.io/node-nvidia-score: entry 0 (GPU-0): score for \"GPU-1\"");
    assertThatThrownBy(() -> PairScoresCodec.decode("[{\"uuid\":\"GPU-0\"},{\"uuid\":\"GPU-0\"}]", "n"))
        .isInstanceOf(HamiFormatException.class).hasMessageContaining("duplicate uuid");
    assertThatThrownBy(() -> PairScoresCodec.decode("", "n"))
        .isInstanceOf(HamiFormatException.class).hasMessageContaining("invalid JSON");
  }
}
