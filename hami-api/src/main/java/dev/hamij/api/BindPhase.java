package dev.hamij.api;

/**
 * Values of the pod annotation {@code hami.io/bind-phase} (scheduler.md §3.3): the scheduler writes
 * {@link #ALLOCATING} at bind, the device plugin {@link #SUCCESS} or {@link #FAILED}.
 */
public enum BindPhase {
  ALLOCATING(Annotations.PHASE_ALLOCATING),
  SUCCESS(Annotations.PHASE_SUCCESS),
  FAILED(Annotations.PHASE_FAILED);

  private final String value;

  BindPhase(String value) {
    this.value = value;
  }

  /** The annotation value ({@code allocating}, {@code success} or {@code failed}). */
  public String annotationValue() {
    return value;
  }

  /**
   * The phase an annotation value names.
   *
   * @param podRef {@code namespace/name} of the pod, for error messages
   * @throws HamiFormatException for {@code null} or any other value
   */
  public static BindPhase parse(String value, String podRef) {
    for (BindPhase p : values()) {
      if (p.value.equals(value)) {
        return p;
      }
    }
    throw new HamiFormatException(Annotations.BIND_PHASE, podRef,
        "expected allocating, success or failed, got " + (value == null ? "nothing" : "\"" + value + "\""));
  }
}
