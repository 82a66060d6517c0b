package dev.hamij.extender;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a PEM certificate chain and private key as kubernetes.io/tls secrets and cert-manager write
 * them: PKCS#8 ({@code PRIVATE KEY}), PKCS#1 RSA ({@code RSA PRIVATE KEY}) or SEC1 EC
 * ({@code EC PRIVATE KEY}). Encrypted keys are refused with a clear message.
 */
final class PemKeys {
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
  private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
  private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

  private PemKeys() {}

  /** A parsed key pair: the leaf certificate first. */
  record Material(PrivateKey key, X509Certificate[] chain) {}

  static Material parse(String certPem, String keyPem, String certFile, String keyFile) throws GeneralSecurityException {
    List<X509Certificate> chain = new ArrayList<>();
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    Matcher m = BLOCK.matcher(certPem);
    while (m.find()) {
      if (m.group(1).equals("CERTIFICATE")) {
        for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(decode(m.group(2))))) {
          chain.add((X509Certificate) c);
        }
      }
    }
    if (chain.isEmpty()) {
      throw new GeneralSecurityException(certFile + ": no PEM CERTIFICATE block found");
    }
    Matcher k = BLOCK.matcher(keyPem);
    while (k.find()) {
      String type = k.group(1);
      byte[] der = decode(k.group(2));
      switch (type) {
        case "PRIVATE KEY":
          return new Material(pkcs8(der, keyFile), chain.toArray(X509Certificate[]::new));
        case "RSA PRIVATE KEY":
          return new Material(pkcs8(wrapPkcs1(der), keyFile), chain.toArray(X509Certificate[]::new));
        case "EC PRIVATE KEY":
          return new Material(pkcs8(wrapSec1(der, keyFile), keyFile), chain.toArray(X509Certificate[]::new));
        case "ENCRYPTED PRIVATE KEY":
          throw new GeneralSecurityException(keyFile + ": encrypted private keys are not supported");
        default:
          // skip other blocks such as "EC PARAMETERS"
      }
    }
    throw new GeneralSecurityException(keyFile + ": no PEM PRIVATE KEY block found");
  }

  private static byte[] decode(String base64) throws GeneralSecurityException {
    try {
      return Base64.getMimeDecoder().decode(base64.getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("invalid base64 in PEM block", e);
    }
  }

  private static PrivateKey pkcs8(byte[] der, String file) throws GeneralSecurityException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String alg : new String[] {"RSA", "EC", "EdDSA", "RSASSA-PSS"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(spec);
      } catch (GeneralSecurityException ignored) {
        // try the next algorithm
      }
    }
    throw new GeneralSecurityException(file + ": unsupported or malformed private key");
  }

  /** PKCS#8 PrivateKeyInfo around a PKCS#1 RSAPrivateKey. */
  static byte[] wrapPkcs1(byte[] pkcs1) {
    byte[] algId = tlv(0x30, concat(RSA_OID, new byte[] {0x05, 0x00}));
    return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algId, tlv(0x04, pkcs1)));
  }

  /** PKCS#8 PrivateKeyInfo around a SEC1 ECPrivateKey, taking the curve from its [0] parameters. */
  static byte[] wrapSec1(byte[] sec1, String file) throws GeneralSecurityException {
    byte[] curve = findCurveOid(sec1, file);
    if (curve == null) {
      throw new GeneralSecurityException(file + ": EC PRIVATE KEY without named-curve parameters");
    }
    byte[] algId = tlv(0x30, concat(EC_OID, curve));
    return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algId, tlv(0x04, sec1)));
  }

  /** Walks ECPrivateKey ::= SEQUENCE { version, privateKey, [0] parameters OPTIONAL, ... }. */
  private static byte[] findCurveOid(byte[] der, String file) throws GeneralSecurityException {
    int[] pos = {0};
    if (der.length < 2 || der[0] != 0x30) {
      return null;
    }
    pos[0] = 1;
    int seqLen = length(der, pos, file);
    int end = Math.min(der.length, pos[0] + seqLen);
    while (pos[0] < end) {
      int tag = der[pos[0]++] & 0xff;
      int len = length(der, pos, file);
      if (tag == 0xa0) {
        int start = pos[0];
        return java.util.Arrays.copyOfRange(der, start, start + len);
      }
      pos[0] += len;
    }
    return null;
  }

  /** A DER length at {@code pos}, which must leave that many bytes after it. */
  private static int length(byte[] der, int[] pos, String file) throws GeneralSecurityException {
    if (pos[0] >= der.length) {
      throw new GeneralSecurityException(file + ": malformed EC PRIVATE KEY: truncated DER");
    }
    int first = der[pos[0]++] & 0xff;
    int len = first;
    if (first >= 0x80) {
      int n = first & 0x7f;
      if (n > 3 || pos[0] + n > der.length) {
        throw new GeneralSecurityException(file + ": malformed EC PRIVATE KEY: invalid DER length");
      }
      len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (der[pos[0]++] & 0xff);
      }
    }
    if (len > der.length - pos[0]) {
      throw new GeneralSecurityException(file + ": malformed EC PRIVATE KEY: DER length " + len + " past the end");
    }
    return len;
  }

  static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int len = value.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len);
    } else {
      out.write(0x83);
      out.write(len >> 16);
      out.write(len >> 8);
      out.write(len);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
