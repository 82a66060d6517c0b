package dev.hamij.core;

import java.math.BigDecimal;
import java.math.BigInteger;

/** Kubernetes quantity strings ({@code 2}, {@code 8000}, {@code 1.5}, {@code 16Gi}, {@code 500m}, {@code 1e3}) as exact numbers. */
final class Quantities {
  private Quantities() {}

  /** The exact value of a quantity string, or null when it is not a valid Kubernetes quantity. */
  static BigDecimal parse(String s) {
    if (s == null) {
      return null;
    }
    String q = s.trim();
    int i = 0;
    int n = q.length();
    if (n == 0) {
      return null;
    }
    boolean negative = false;
    if (q.charAt(0) == '+' || q.charAt(0) == '-') {
      negative = q.charAt(0) == '-';
      i++;
    }
    int numStart = i;
    int digits = 0;
    boolean dot = false;
    while (i < n) {
      char c = q.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
      i++;
    }
    if (digits == 0) {
      return null;
    }
    BigDecimal number = new BigDecimal(q.substring(numStart, i).equals(".") ? "0" : fixDot(q.substring(numStart, i)));
    String suffix = q.substring(i);
    BigDecimal value;
    switch (suffix) {
      case "" -> value = number;
      case "n" -> value = number.scaleByPowerOfTen(-9);
      case "u" -> value = number.scaleByPowerOfTen(-6);
      case "m" -> value = number.scaleByPowerOfTen(-3);
      case "k" -> value = number.scaleByPowerOfTen(3);
      case "M" -> value = number.scaleByPowerOfTen(6);
      case "G" -> value = number.scaleByPowerOfTen(9);
      case "T" -> value = number.scaleByPowerOfTen(12);
      case "P" -> value = number.scaleByPowerOfTen(15);
      case "E" -> value = number.scaleByPowerOfTen(18);
      case "Ki" -> value = number.multiply(BigDecimal.valueOf(1L << 10));
      case "Mi" -> value = number.multiply(BigDecimal.valueOf(1L << 20));
      case "Gi" -> value = number.multiply(BigDecimal.valueOf(1L << 30));
      case "Ti" -> value = number.multiply(BigDecimal.valueOf(1L << 40));
      case "Pi" -> value = number.multiply(BigDecimal.valueOf(1L << 50));
      case "Ei" -> value = number.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(60)));
      default -> {
        if (suffix.length() < 2 || (suffix.charAt(0) != 'e' && suffix.charAt(0) != 'E')) {
          return null;
        }
        String exp = suffix.substring(1);
        if (!exp.matches("[+-]?[0-9]{1,3}")) {
          return null;
        }
        value = number.scaleByPowerOfTen(Integer.parseInt(exp));
      }
    }
    return negative ? value.negate() : value;
  }

  private static String fixDot(String s) {
    if (s.startsWith(".")) {
      return "0" + s;
    }
    if (s.endsWith(".")) {
      return s.substring(0, s.length() - 1);
    }
    return s;
  }

  /** The value as a long when the quantity is valid and an exact integer within long range; null otherwise. */
  static Long exactLong(String s) {
    BigDecimal v = parse(s);
    if (v == null) {
      return null;
    }
    try {
      return v.longValueExact();
    } catch (ArithmeticException e) {
      return null;
    }
  }
}
