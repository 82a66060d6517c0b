package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegisterCodecTest {
  private static final String SPEC_JSON = "[{\"id\":\"GPU-0\",\"count\":10,\"devmem\":8192,\"devcore\":100,"
      + "\"type\":\"NVIDIA-Tesla P4\",\"mode\":\"hami-core\",\"health\":true},{\"id\":\"GPU-1\",\"index\":1,"
      + "\"count\":10,\"devmem\":8192,\"devcore\":100,\"type\":\"NVIDIA-Tesla P4\",\"numa\":1,\"mode\":\"hami-core\"}]";
  private static final List<GpuDevice> SPEC_DEVICES = List.of(
      GpuDevice.hamiCore("GPU-0", 0, 10, 8192, 100, "NVIDIA-Tesla P4", 0),
      GpuDevice.hamiCore("GPU-1", 1, 10, 8192, 100, "NVIDIA-Tesla P4", 1).withHealth(false));

  @Test
  void jsonSpecExampleIsReproducedByteForByte() {
    assertThat(RegisterCodec.encodeJson(SPEC_DEVICES)).isEqualTo(SPEC_JSON);
    assertThat(RegisterCodec.decode(SPEC_JSON, "node-a")).isEqualTo(SPEC_DEVICES);
  }

  @Test
  void jsonMigDeviceCarriesProfilesBeforeHealth() {
    MigProfile oneG = new MigProfile("1g.5gb", 4864, 15, 1, List.of(new Placement(0, 1), new Placement(1, 1)));
    GpuDevice mig = new GpuDevice("GPU-1c7d", 1, 7, 40960, 100, "NVIDIA A100-SXM4-40GB", 1, "mig", true, List.of(oneG));
    String json = RegisterCodec.encodeJson(List.of(mig));
    assertThat(json).isEqualTo("[{\"id\":\"GPU-1c7d\",\"index\":1,\"count\":7,\"devmem\":40960,\"devcore\":100,"
        + "\"type\":\"NVIDIA A100-SXM4-40GB\",\"numa\":1,\"mode\":\"mig\",\"migProfiles\":[{\"name\":\"1g.5gb\","
        + "\"memoryMB\":4864,\"core\":15,\"sliceCount\":1,\"placements\":[{\"start\":0,\"size\":1},{\"start\":1,\"size\":1}]}],"
        + "\"health\":true}]");
    assertThat(RegisterCodec.decode(json, "n")).containsExactly(mig);
  }

  @Test
  void jsonStringsAreEscapedLikeGo() {
    GpuDevice d = GpuDevice.hamiCore("GPU-<&>", 0, 1, 1, 1, "a\"b\\c\n\u0001\u2028", 0);
    assertThat(RegisterCodec.encodeJson(List.of(d)))
        .isEqualTo("[{\"id\":\"GPU-\\u003c\\u0026\\u003e\",\"count\":1,\"devmem\":1,\"devcore\":1,"
            + "\"type\":\"a\\\"b\\\\c\\n\\u0001\\u2028\",\"mode\":\"hami-core\",\"health\":true}]");
    assertThat(RegisterCodec.decode(RegisterCodec.encodeJson(List.of(d)), "n")).containsExactly(d);
  }

  @Test
  void jsonDecodeIgnoresUnknownKeysAndMatchesKeysLikeGo() {
    String v28 = "[{\"ID\":\"GPU-9\",\"count\":4,\"devmem\":100,\"devcore\":100,\"type\":\"T\",\"mode\":\"hami-core\","
        + "\"health\":true,\"devicepairscore\":{},\"instanceCount\":3,\"numa\":null,\"id\":null}]";
    assertThat(RegisterCodec.decode("  " + v28, "n"))
        .containsExactly(GpuDevice.hamiCore("GPU-9", 0, 4, 100, 100, "T", 0));
  }

  @Test
  void legacySpecExampleRoundTrips() {
    String legacy = "GPU-ebe7c3f7-303d-558d-435e-99a160631fe4,10,7680,100,NVIDIA-Tesla P4,0,true,0,hami-core:";
    GpuDevice d = GpuDevice.hamiCore("GPU-ebe7c3f7-303d-558d-435e-99a160631fe4", 0, 10, 7680, 100, "NVIDIA-Tesla P4", 0);
    assertThat(RegisterCodec.decode(legacy, "n")).containsExactly(d);
    assertThat(RegisterCodec.encodeLegacy(List.of(d))).isEqualTo(legacy);
    String v100 = "GPU-00552014-5c87-89ac-b1a6-7b53aa24b0ec,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true,0,hami-core:";
    assertThat(RegisterCodec.encodeLegacy(RegisterCodec.decode(v100, "n"))).isEqualTo(v100);
  }

  @Test
  void legacySevenFieldFormAndGoBooleans() {
    List<GpuDevice> devices = RegisterCodec.decode("GPU-a,10,1000,100,NVIDIA-T4,1,T::GPU-b,2,500,200,NVIDIA-T4,0,0,3,mig:", "n");
    assertThat(devices).containsExactly(
        GpuDevice.hamiCore("GPU-a", 0, 10, 1000, 100, "NVIDIA-T4", 1),
        new GpuDevice("GPU-b", 3, 2, 500, 200, "NVIDIA-T4", 0, "mig", false, List.of()));
    assertThat(RegisterCodec.decode(":", "n")).isEmpty();
  }

  @Test
  void legacyErrorsUseUpstreamWording() {
    assertError("GPU-a,10,1000,100,T,0,true", "node annotation missing device separator");
    assertError("GPU-a:", "malformed node annotation segment: \"GPU-a\"");
    assertError("GPU-a,10,1000:", "unexpected field count 3 in node annotation");
    assertError("GPU-a,x,1000,100,T,0,true:", "invalid count field: \"x\"");
    assertError("GPU-a,1,1e3,100,T,0,true:", "invalid memory field");
    assertError("GPU-a,1,1,99999999999,T,0,true:", "invalid core field");
    assertError("GPU-a,1,1,1,T, 0,true:", "invalid numa field");
    assertError("GPU-a,1,1,1,T,0,yes:", "invalid health field");
    assertError("GPU-a,1,1,1,T,0,true,x,hami-core:", "invalid index field");
    assertError("GPU-a,1,1,1,T,0,true,-1,hami-core:", "index field must not be negative: -1");
    assertError(",1,1,1,T,0,true:", "empty device id");
  }

  @Test
  void jsonErrorsNameNodeAndDevice() {
    assertError("[]", "no gpu found on node");
    assertError("null", "node annotation missing device separator");
    assertError("[{\"id\":\"GPU-0\"", "invalid JSON");
    assertError("[{\"id\":\"GPU-0\"}] x", "invalid JSON");
    assertError("[{\"count\":1}]", "device 0: field \"id\" must be a non-empty GPU UUID");
    assertError("[{\"id\":\"GPU-0\",\"count\":1.5}]", "device 0 (GPU-0): field \"count\" must be an integer");
    assertError("[{\"id\":\"GPU-0\",\"index\":-1}]", "field \"index\" must be an integer between 0 and");
    assertError("[{\"id\":\"GPU-0\",\"health\":\"true\"}]", "field \"health\" must be true or false");
    assertError("[{\"id\":\"GPU-0\",\"migProfiles\":[{\"name\":\"1g.5gb\",\"placements\":[{\"start\":0,\"size\":0}]}]}]",
        "placements[0]: field \"size\" must be positive");
    assertError("[1]", "device 0: expected a JSON object");
    assertThatThrownBy(() -> RegisterCodec.decode(null, "node-a"))
        .isInstanceOf(HamiFormatException.class).hasMessage("node-a: hami.io/node-nvidia-register: annos not found hami.io/node-nvidia-register");
  }

  @Test
  void encodersRefuseDevicesThatWouldNotDecodeBack() {
    GpuDevice comma = GpuDevice.hamiCore("GPU-a", 0, 1, 1, 1, "A,B", 0);
    assertThatThrownBy(() -> RegisterCodec.encodeLegacy(List.of(comma)))
        .isInstanceOf(HamiFormatException.class).hasMessageContaining("type must not contain ',' or ':'");
    GpuDevice negative = GpuDevice.hamiCore("GPU-a", -1, 1, 1, 1, "T", 0);
    assertThatThrownBy(() -> RegisterCodec.encodeJson(List.of(negative))).isInstanceOf(HamiFormatException.class);
  }

  private static void assertError(String value, String expected) {
    assertThatThrownBy(() -> RegisterCodec.decode(value, "node-a"))
        .isInstanceOf(HamiFormatException.class)
        .hasMessageStartingWith("node-a: hami.io/node-nvidia-register: ")
        .hasMessageContaining(expected);
  }

  /** Found by fuzzing: a JSON id with a separator was accepted, and every pod placed on that GPU then failed. */
  @Test
  void idsThatCannotBeWrittenIntoPodAnnotationsAreRefused() {
    for (String id : new String[] {"GPU-a,b", "GPU-a:b", "GPU-a;b"}) {
      assertThatThrownBy(() -> RegisterCodec.decode("[{\"id\":\"" + id + "\",\"count\":10,\"devmem\":1000,"
          + "\"devcore\":100,\"type\":\"T4\",\"health\":true}]", "node-a"))
          .isInstanceOf(HamiFormatException.class)
          .hasMessageContaining("node-a: hami.io/node-nvidia-register: device 0: field \"id\" must not contain");
    }
  }
}
