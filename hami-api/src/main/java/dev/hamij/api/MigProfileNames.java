package dev.hamij.api;

/** The MIG profile name rule shared by the configuration types. */
final class MigProfileNames {
  private MigProfileNames() {}

  /**
   * True for {@code <digits>g.<something>}: the part before the first {@code .} has at least two
   * characters, ends with {@code g} and is otherwise digits, and something follows the dot.
   */
  static boolean isValid(String name) {
    if (name == null) {
      return false;
    }
    int dot = name.indexOf('.');
    if (dot < 2 || dot == name.length() - 1 || name.charAt(dot - 1) != 'g') {
      return false;
    }
    for (int i = 0; i < dot - 1; i++) {
      if (name.charAt(i) < '0' || name.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  static final String EXPECTED = "a MIG profile name of the form <N>g.<memory>, e.g. 1g.5gb";
}
