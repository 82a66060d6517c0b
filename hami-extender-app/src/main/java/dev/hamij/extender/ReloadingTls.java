package dev.hamij.extender;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Serves TLS from a PEM certificate and key file and picks up new files without a restart: each new
 * handshake uses the latest pair that parsed; a pair that does not parse is reported and the previous
 * one stays in use.
 */
final class ReloadingTls {
  private static final Logger LOG = Logger.getLogger(ReloadingTls.class.getName());

  private final Path certFile;
  private final Path keyFile;
  private final AtomicInteger generation = new AtomicInteger();
  private final AtomicInteger rejected = new AtomicInteger();
  private final ConcurrentHashMap<String, PemKeys.Material> byAlias = new ConcurrentHashMap<>();
  private volatile String currentAlias;
  private final SSLContext context;

  private ReloadingTls(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
    this.certFile = certFile;
    this.keyFile = keyFile;
    install(read());
    context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {new Keys()}, null, null);
  }

  /** Loads the pair; fails when it does not parse. */
  static ReloadingTls load(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
    return new ReloadingTls(certFile, keyFile);
  }

  SSLContext context() {
    return context;
  }

  List<Path> files() {
    return List.of(certFile, keyFile);
  }

  /** Re-reads both files; keeps the current pair and returns false when the new one is unusable. */
  boolean reload() {
    try {
      install(read());
      LOG.info("TLS certificate reloaded from " + certFile);
      return true;
    } catch (IOException | GeneralSecurityException e) {
      rejected.incrementAndGet();
      LOG.warning("TLS certificate not reloaded, keeping the previous one: " + e.getMessage());
      return false;
    }
  }

  /** How many changed file pairs were refused so far. */
  int rejectedReloads() {
    return rejected.get();
  }

  /** The leaf certificate now served. */
  X509Certificate currentCertificate() {
    return byAlias.get(currentAlias).chain()[0];
  }

  private PemKeys.Material read() throws IOException, GeneralSecurityException {
    String cert = Files.readString(certFile, StandardCharsets.US_ASCII);
    String key = Files.readString(keyFile, StandardCharsets.US_ASCII);
    PemKeys.Material m = PemKeys.parse(cert, key, certFile.toString(), keyFile.toString());
    if (!m.chain()[0].getPublicKey().getAlgorithm().equals(m.key().getAlgorithm())) {
      throw new GeneralSecurityException(keyFile + ": key algorithm " + m.key().getAlgorithm()
          + " does not match the certificate's " + m.chain()[0].getPublicKey().getAlgorithm());
    }
    return m;
  }

  private void install(PemKeys.Material m) {
    String alias = "hami-" + generation.incrementAndGet();
    byAlias.put(alias, m);
    String previous = currentAlias;
    currentAlias = alias;
    // keep the previous pair for handshakes that chose its alias just before the swap
    byAlias.keySet().removeIf(a -> !a.equals(alias) && !a.equals(previous));
  }

  private final class Keys extends X509ExtendedKeyManager {
    private String aliasFor(String keyType) {
      String alias = currentAlias;
      PemKeys.Material m = byAlias.get(alias);
      return m != null && m.key().getAlgorithm().equalsIgnoreCase(keyType) ? alias : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return aliasFor(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return aliasFor(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      String a = aliasFor(keyType);
      return a == null ? null : new String[] {a};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      PemKeys.Material m = byAlias.get(alias);
      return m == null ? null : m.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      PemKeys.Material m = byAlias.get(alias);
      return m == null ? null : m.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }
}
