package dev.hamij.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Property;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The open-addressing node index behaves like a map under any sequence of puts and removes. */
class NodeIndexTest {

  private static final NodeState STATE = NodeState.build(new NodeRegistration("n", List.of(Fx.gpu("g", 0, 1000)),
      java.util.Set.of(), Map.of(), new HashMap<>(), SchedulerConfig.defaults()), List.of());

  /**
   * Names from a small pool, so they collide in the table often: "Aa" and "BB" share a String hash,
   * others differ in length only, are not Latin-1, or are longer than a char can count.
   */
  private static String name(int k) {
    return switch (k) {
      case 0 -> "Aa";
      case 1 -> "BB";
      case 2 -> "node-1\u00e9\u4e2d";
      case 3 -> "n".repeat(70_000);
      case 4 -> "n".repeat(70_001);
      case 5 -> "";
      default -> "node-" + k;
    };
  }

  @Test
  void behavesLikeAMap() {
    Gen<List<Integer>> ops = Gen.listOf(Gen.choose(0, 399), 0, 400);
    Property.forAll(ops).seeds(100).maxSize(400).check(list -> {
      NodeIndex index = new NodeIndex();
      Map<String, NodeState> oracle = new HashMap<>();
      for (int op : list) {
        String name = name(op % 40);
        if (op >= 200) {
          index.remove(name);
          oracle.remove(name);
        } else {
          index.put(name, STATE);
          oracle.put(name, STATE);
        }
        for (int k = 0; k < 40; k++) {
          String probe = new String(name(k)); // a decoded candidate: equal contents, another object
          assertThat(index.get(probe)).isSameAs(oracle.get(probe));
        }
      }
      assertThat(index.sortedNames()).containsExactlyElementsOf(new java.util.TreeSet<>(oracle.keySet()));
      assertThat(index.values()).hasSize(oracle.size());
    });
  }

  @Test
  void churnOfRegisteredNamesKeepsLookupsExact() {
    // nodes come and go for a long time (autoscaling): the name arena is compacted, never leaks
    NodeIndex index = new NodeIndex();
    Map<String, NodeState> oracle = new java.util.LinkedHashMap<>();
    java.util.SplittableRandom r = new java.util.SplittableRandom(7);
    for (int step = 0; step < 200_000; step++) {
      String name = "pool-" + r.nextInt(50) + "-node-" + r.nextInt(1_000_000);
      index.put(name, STATE);
      oracle.put(name, STATE);
      String gone = oracle.keySet().iterator().next();
      if (oracle.size() > 40 && !gone.equals(name)) {
        index.remove(gone);
        oracle.remove(gone);
        assertThat(index.get(new String(gone))).isNull();
      }
      assertThat(index.get(new String(name))).isSameAs(STATE);
    }
    assertThat(index.sortedNames()).containsExactlyElementsOf(new java.util.TreeSet<>(oracle.keySet()));
    assertThat(index.arenaChars()).isLessThan(8 * 1024);
  }
}
