package dev.hamij.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class XidPolicyTest {
  @Test
  void ignoresApplicationErrorsByDefault() {
    XidPolicy policy = XidPolicy.fromEnvironment(Map.of());
    assertThat(policy.healthChecksEnabled()).isTrue();
    for (long xid : new long[] {13, 31, 43, 45, 68, 109}) {
      assertThat(policy.isCritical(xid)).as("XID %d", xid).isFalse();
    }
    assertThat(policy.isCritical(48)).isTrue();
    assertThat(policy.isCritical(79)).isTrue();
    assertThat(policy.isCritical(999)).isTrue();
  }

  @Test
  void disableListsMoreXidsOrTurnsChecksOff() {
    XidPolicy more = XidPolicy.of(" 48, 79 ,junk", null);
    assertThat(more.isCritical(48)).isFalse();
    assertThat(more.isCritical(79)).isFalse();
    assertThat(more.isCritical(13)).isFalse();
    assertThat(more.isCritical(94)).isTrue();
    assertThat(XidPolicy.of("all", null).healthChecksEnabled()).isFalse();
    assertThat(XidPolicy.of("xids", null).healthChecksEnabled()).isFalse();
    assertThat(XidPolicy.of("ALL", null).isCritical(79)).isFalse();
  }

  @Test
  void enableOverridesBothLists() {
    XidPolicy forced = XidPolicy.fromEnvironment(Map.of("DP_DISABLE_HEALTHCHECKS", "48",
        "DP_ENABLE_HEALTHCHECKS", "13,48"));
    assertThat(forced.isCritical(13)).isTrue();
    assertThat(forced.isCritical(48)).isTrue();
    assertThat(forced.isCritical(31)).isFalse();
    XidPolicy onlyForced = XidPolicy.of("all", "79");
    assertThat(onlyForced.healthChecksEnabled()).isTrue();
    assertThat(onlyForced.isCritical(79)).isTrue();
    assertThat(onlyForced.isCritical(48)).isFalse();
    XidPolicy every = XidPolicy.of("all", "all");
    assertThat(every.healthChecksEnabled()).isTrue();
    assertThat(every.isCritical(13)).isTrue();
  }
}
