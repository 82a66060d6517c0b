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

  @Test
  void behavesLikeAMap() {
    // names from a small pool collide in the table often; "Aa" and "BB" share a String hash
    Gen<List<Integer>> ops = Gen.listOf(Gen.choose(0, 399), 0, 400);
    Property.forAll(ops).seeds(100).maxSize(400).check(list -> {
      NodeIndex index = new NodeIndex();
      Map<String, NodeState> oracle = new HashMap<>();
      for (int op : list) {
        String name = op % 40 < 2 ? (op % 2 == 0 ? "Aa" : "BB") : "node-" + (op % 40);
        if (op >= 200) {
          index.remove(name);
          oracle.remove(name);
        } else {
          index.put(name, STATE);
          oracle.put(name, STATE);
        }
        for (int k = 0; k < 40; k++) {
          String probe = k < 2 ? (k == 0 ? "Aa" : "BB") : "node-" + k;
          assertThat(index.get(probe)).isSameAs(oracle.get(probe));
        }
      }
      assertThat(index.sortedNames()).containsExactlyElementsOf(new java.util.TreeSet<>(oracle.keySet()));
      assertThat(index.values()).hasSize(oracle.size());
    });
  }
}
