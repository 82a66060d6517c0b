package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code ExtenderArgs} decoding with the node names read from the token stream, as Go's decoder reads them. */
class ExtenderWireTest {
  private static final String POD = "{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\",\"uid\":\"u\"},"
      + "\"spec\":{\"containers\":[]}}";

  private static ExtenderWire.Args read(String json) throws ExtenderWire.BadRequest {
    return ExtenderWire.readArgs(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void nodeNamesKeepTheirOrderAndDuplicates() throws Exception {
    assertThat(read("{\"Pod\":" + POD + ",\"NodeNames\":[\"b\",\"a\",\"b\",\"n\\u00e9\"]}").nodeNames())
        .containsExactly("b", "a", "b", "n\u00e9");
    assertThat(read("{\"NodeNames\":[],\"Pod\":" + POD + "}").nodeNames()).isEmpty();
    assertThat(read("{\"Pod\":" + POD + ",\"NodeNames\":null}").nodeNames()).isNull();
    assertThat(read("{\"Pod\":" + POD + "}").nodeNames()).isNull();
  }

  @Test
  void keysMatchLikeGo() throws Exception {
    // any case matches; an exact match wins over another spelling; a repeated key keeps its last value
    assertThat(read("{\"pod\":" + POD + ",\"nodeNAMES\":[\"x\"]}").nodeNames()).containsExactly("x");
    assertThat(read("{\"nodenames\":[\"x\"],\"Pod\":" + POD + ",\"NodeNames\":[\"y\"]}").nodeNames()).containsExactly("y");
    assertThat(read("{\"Pod\":" + POD + ",\"NodeNames\":[\"x\"],\"NodeNames\":[\"z\"]}").nodeNames()).containsExactly("z");
  }

  @Test
  void malformedNodeNamesNameTheField() {
    assertThatThrownBy(() -> read("{\"Pod\":" + POD + ",\"NodeNames\":[\"a\",{\"x\":[1]},7]}"))
        .isInstanceOf(ExtenderWire.BadRequest.class).hasMessage("NodeNames: expected strings, got {\"x\":[1]}");
    assertThatThrownBy(() -> read("{\"Pod\":" + POD + ",\"NodeNames\":[\"a\",null]}"))
        .isInstanceOf(ExtenderWire.BadRequest.class).hasMessage("NodeNames: expected strings, got null");
    assertThatThrownBy(() -> read("{\"Pod\":" + POD + ",\"NodeNames\":\"a\"}"))
        .isInstanceOf(ExtenderWire.BadRequest.class).hasMessage("NodeNames: expected an array of node names");
    assertThatThrownBy(() -> read("{\"Pod\":" + POD + ",\"NodeNames\":[\"a\""))
        .isInstanceOf(ExtenderWire.BadRequest.class).hasMessageStartingWith("cannot decode request body: ");
    assertThatThrownBy(() -> read("{\"Pod\":" + POD + "} {}"))
        .isInstanceOf(ExtenderWire.BadRequest.class).hasMessageStartingWith("cannot decode request body: ");
    assertThatThrownBy(() -> read("[\"Pod\"]"))
        .isInstanceOf(ExtenderWire.BadRequest.class).hasMessage("cannot decode request body: expected a JSON object");
  }
}
