package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GoBoolTest {
  @Test
  void acceptsExactlyGoVocabulary() {
    for (String t : new String[] {"1", "t", "T", "TRUE", "true", "True"}) {
      assertThat(GoBool.parse(t)).as(t).contains(true);
    }
    for (String f : new String[] {"0", "f", "F", "FALSE", "false", "False"}) {
      assertThat(GoBool.parse(f)).as(f).contains(false);
    }
    for (String bad : new String[] {"yes", "tRUE", " true", "", "2"}) {
      assertThat(GoBool.parse(bad)).as(bad).isEmpty();
    }
    assertThat(GoBool.parse(null)).isEmpty();
  }
}
