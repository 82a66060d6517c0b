package dev.hamij.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Registered nodes by name: an open-addressing table (linear probing, Fibonacci hashing) built for
 * looking up thousands of freshly decoded candidate names per decision. A lookup never dereferences
 * the registered name objects, which live scattered over the heap: each slot keeps the name's hash
 * next to the offset of its characters in one compact arena, so a lookup touches the table, the
 * arena and the candidate's own characters only. Not thread-safe: guarded by the scheduler's lock.
 */
final class NodeIndex {
  private static final int EMPTY = -1;
  /** Per slot: the name's String hash (high 32 bits) and its arena offset, or {@link #EMPTY} (low 32 bits). */
  private long[] table = emptyTable(16);
  private String[] keys = new String[16];
  private NodeState[] states = new NodeState[16];
  private float[] scores = new float[16];
  private int size;
  /** Every name as its length (two chars, high then low half) followed by its characters. */
  private char[] arena = new char[256];
  private int arenaUsed;
  private int arenaLive;

  /** Slot of {@code name}, or -1. */
  int slot(String name) {
    int h = name.hashCode();
    int mask = table.length - 1;
    for (int i = index(h, mask); ; i = (i + 1) & mask) {
      long t = table[i];
      int off = (int) t;
      if (off == EMPTY) {
        return -1;
      }
      if ((int) (t >>> 32) == h && sameName(off, name)) {
        return i;
      }
    }
  }

  NodeState state(int slot) {
    return states[slot];
  }

  /** The node score of the node in {@code slot} (same as {@code state(slot).score}). */
  float score(int slot) {
    return scores[slot];
  }

  NodeState get(String name) {
    int s = slot(name);
    return s < 0 ? null : states[s];
  }

  void put(String name, NodeState state) {
    int s = slot(name);
    if (s >= 0) {
      states[s] = state;
      scores[s] = state.score;
      return;
    }
    if (2 * (size + 1) > table.length) {
      rebuild(table.length * 2);
    } else if (arenaUsed + 2 + name.length() > arena.length && arenaLive < arenaUsed / 2) {
      rebuild(table.length); // mostly names of removed nodes: compact instead of growing
    }
    insert(name, state);
    size++;
  }

  void remove(String name) {
    int s = slot(name);
    if (s < 0) {
      return;
    }
    arenaLive -= 2 + name.length();
    int mask = table.length - 1;
    clear(s);
    size--;
    for (int i = (s + 1) & mask; (int) table[i] != EMPTY; i = (i + 1) & mask) {
      long t = table[i];
      String k = keys[i];
      NodeState v = states[i];
      float score = scores[i];
      clear(i);
      int j = index((int) (t >>> 32), mask);
      while ((int) table[j] != EMPTY) {
        j = (j + 1) & mask;
      }
      table[j] = t;
      keys[j] = k;
      states[j] = v;
      scores[j] = score;
    }
  }

  /** All registered nodes, in no particular order. */
  List<NodeState> values() {
    List<NodeState> out = new ArrayList<>(size);
    for (NodeState s : states) {
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  /** All registered node names, sorted. */
  String[] sortedNames() {
    String[] out = new String[size];
    int n = 0;
    for (String k : keys) {
      if (k != null) {
        out[n++] = k;
      }
    }
    Arrays.sort(out);
    return out;
  }

  /** Size of the name arena in chars (for tests: removed names do not make it grow for ever). */
  int arenaChars() {
    return arena.length;
  }

  private boolean sameName(int off, String name) {
    int len = name.length();
    char[] a = arena;
    if (a[off] != (char) (len >>> 16) || a[off + 1] != (char) len) {
      return false;
    }
    for (int j = 0, p = off + 2; j < len; j++, p++) {
      if (a[p] != name.charAt(j)) {
        return false;
      }
    }
    return true;
  }

  private void insert(String name, NodeState state) {
    int len = name.length();
    if (arenaUsed + 2 + len > arena.length) {
      arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaUsed + 2 + len));
    }
    int off = arenaUsed;
    arena[off] = (char) (len >>> 16);
    arena[off + 1] = (char) len;
    name.getChars(0, len, arena, off + 2);
    arenaUsed += 2 + len;
    arenaLive += 2 + len;
    int h = name.hashCode();
    int mask = table.length - 1;
    int i = index(h, mask);
    while ((int) table[i] != EMPTY) {
      i = (i + 1) & mask;
    }
    table[i] = ((long) h << 32) | (off & 0xFFFFFFFFL);
    keys[i] = name;
    states[i] = state;
    scores[i] = state.score;
  }

  private void clear(int i) {
    table[i] = EMPTY & 0xFFFFFFFFL;
    keys[i] = null;
    states[i] = null;
  }

  /** Re-inserts every node into a table of {@code capacity} slots and a freshly packed arena. */
  private void rebuild(int capacity) {
    String[] oldKeys = keys;
    NodeState[] oldStates = states;
    table = emptyTable(capacity);
    keys = new String[capacity];
    states = new NodeState[capacity];
    scores = new float[capacity];
    arena = new char[Math.max(256, arenaLive * 2)];
    arenaUsed = 0;
    arenaLive = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != null) {
        insert(oldKeys[i], oldStates[i]);
      }
    }
  }

  private static long[] emptyTable(int capacity) {
    long[] t = new long[capacity];
    Arrays.fill(t, EMPTY & 0xFFFFFFFFL);
    return t;
  }

  /** Fibonacci hashing: String hashes of similar names (node-0001, node-0002, ...) spread evenly. */
  private static int index(int h, int mask) {
    return (h * 0x9E3779B9) >>> (32 - Integer.bitCount(mask)) & mask;
  }
}
