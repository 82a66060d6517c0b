package dev.hamij.mig;

/**
 * The pod a MIG reservation belongs to. The uid tells two incarnations of a pod with the same name apart; MIG
 * instances are owned by {@code (uid, containerIndex, deviceIndex)}, never shared between pods.
 */
public record PodRef(String namespace, String name, String uid) {
  public PodRef {
    if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty() || uid == null || uid.isEmpty()) {
      throw new IllegalArgumentException("a pod reference needs a namespace, a name and a uid, got "
          + namespace + "/" + name + " uid " + uid);
    }
  }

  /** {@code namespace/name}, as used in HAMi's messages. */
  public String ref() {
    return namespace + "/" + name;
  }

  @Override
  public String toString() {
    return ref() + " (uid " + uid + ")";
  }
}
