package dev.hamij.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Registered nodes by name: an open-addressing table (linear probing) whose parallel arrays keep
 * each name's hash and node score next to each other, so scanning thousands of candidates touches
 * little memory besides the names themselves. Not thread-safe: guarded by the scheduler's lock.
 */
final class NodeIndex {
  private String[] keys = new String[16];
  private int[] hashes = new int[16];
  private NodeState[] states = new NodeState[16];
  private float[] scores = new float[16];
  private int size;

  /** Slot of {@code name}, or -1. */
  int slot(String name) {
    int h = name.hashCode();
    int mask = keys.length - 1;
    for (int i = spread(h) & mask; ; i = (i + 1) & mask) {
      String k = keys[i];
      if (k == null) {
        return -1;
      }
      if (hashes[i] == h && k.equals(name)) {
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
    if (2 * (size + 1) > keys.length) {
      grow();
    }
    insert(name, name.hashCode(), state);
    size++;
  }

  void remove(String name) {
    int s = slot(name);
    if (s < 0) {
      return;
    }
    int mask = keys.length - 1;
    keys[s] = null;
    states[s] = null;
    size--;
    for (int i = (s + 1) & mask; keys[i] != null; i = (i + 1) & mask) {
      String k = keys[i];
      NodeState v = states[i];
      keys[i] = null;
      states[i] = null;
      insert(k, hashes[i], v);
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

  private void insert(String name, int h, NodeState state) {
    int mask = keys.length - 1;
    int i = spread(h) & mask;
    while (keys[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = name;
    hashes[i] = h;
    states[i] = state;
    scores[i] = state.score;
  }

  private void grow() {
    String[] oldKeys = keys;
    int[] oldHashes = hashes;
    NodeState[] oldStates = states;
    keys = new String[oldKeys.length * 2];
    hashes = new int[oldKeys.length * 2];
    states = new NodeState[oldKeys.length * 2];
    scores = new float[oldKeys.length * 2];
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != null) {
        insert(oldKeys[i], oldHashes[i], oldStates[i]);
      }
    }
  }

  private static int spread(int h) {
    return h ^ (h >>> 16);
  }
}
