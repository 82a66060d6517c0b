package dev.hamij.api;

/**
 * The one exception thrown for malformed HAMi input: an annotation value, a configuration key, or a
 * snapshot field that does not parse or is out of range.
 *
 * <p>The message always names what was being read ({@link #subject()}: an annotation key or a
 * configuration key path), the object it belongs to ({@link #object()}: a node, a pod, a file),
 * and what was expected, so a person can fix the input without reading code.
 */
public final class HamiFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String subject;
  private final String object;

  /**
   * @param subject the annotation key or configuration key path that is wrong
   * @param object the node, pod or file the value belongs to (may be empty when unknown)
   * @param detail what is wrong and what was expected
   */
  public HamiFormatException(String subject, String object, String detail) {
    super(format(subject, object, detail));
    this.subject = subject;
    this.object = object == null ? "" : object;
  }

  /** Same as {@link #HamiFormatException(String, String, String)} with the underlying cause. */
  public HamiFormatException(String subject, String object, String detail, Throwable cause) {
    super(format(subject, object, detail), cause);
    this.subject = subject;
    this.object = object == null ? "" : object;
  }

  private static String format(String subject, String object, String detail) {
    String where = object == null || object.isEmpty() ? "" : object + ": ";
    return where + subject + ": " + detail;
  }

  /** The annotation key or configuration key path that is wrong. */
  public String subject() {
    return subject;
  }

  /** The node, pod or file the value belongs to; empty when unknown. */
  public String object() {
    return object;
  }

  /** Returns a copy of this exception attributed to {@code newObject} (e.g. a pod or node name). */
  public HamiFormatException withObject(String newObject) {
    String msg = getMessage();
    String prefix = object.isEmpty() ? "" : object + ": ";
    String detail = msg.substring(prefix.length() + subject.length() + 2);
    return new HamiFormatException(subject, newObject, detail, getCause());
  }
}
