package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS from PEM files, reloaded when the files change; the PEM key formats. The test pairs under
 * {@code src/test/resources/tls} are self-signed for IP 127.0.0.1 and were made with OpenSSL:
 * {@code first} RSA (PKCS#8 and PKCS#1), {@code second} EC P-256 (PKCS#8 and SEC1).
 */
class TlsTest {
  @TempDir Path dir;

  private static String resource(String name) throws IOException {
    try (InputStream in = TlsTest.class.getResourceAsStream("/tls/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  static HttpClient trustingClient() throws GeneralSecurityException {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** The subject of the certificate a fresh handshake gets. */
  private static String servedCn(int port) throws Exception {
    HttpResponse<String> r = trustingClient().send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz"))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return ((X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0]).getSubjectX500Principal().getName();
  }

  @Test
  void servesHttpsAndPicksUpANewCertificateButKeepsTheOldOneWhenTheNewIsBroken() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    Files.writeString(cert, resource("first.crt"));
    Files.writeString(key, resource("first.key"));
    ExtenderRuntime.Options o = Fixtures.options(Extender.FilterMode.BEST_NODE);
    o = new ExtenderRuntime.Options(o.httpBind(), o.metricsBind(), cert, key, null, o.policies(), o.filterMode(),
        o.nodeLockTimeout(), o.podGroupLockWait(), false, false, o.leaseNamespace(), o.leaseName(), o.identity(), false,
        o.httpThreads(), o.trustedUsers(), o.readyWait(), o.healthInterval(), Duration.ofMillis(50), o.lease());
    try (ExtenderRuntime rt = ExtenderRuntime.start(o, new MemoryCluster(new Snapshot(List.of(), List.of(), List.of())), null)) {
      int port = rt.httpPort();
      assertThat(servedCn(port)).isEqualTo("CN=first");

      // half-written: the new EC key beside the old RSA certificate is no usable pair, the old one stays
      Files.writeString(key, resource("second.key"));
      assertThat(Fixtures.eventually(Duration.ofSeconds(5), () -> rt.tls().rejectedReloads() == 1)).isTrue();
      assertThat(servedCn(port)).isEqualTo("CN=first");

      Files.writeString(cert, resource("second.crt"));
      assertThat(Fixtures.eventually(Duration.ofSeconds(5), () -> {
        try {
          return servedCn(port).equals("CN=second");
        } catch (Exception e) {
          return false;
        }
      })).isTrue();
      assertThat(rt.tls().currentCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=second");
    }
  }

  @Test
  void readsPkcs1RsaAndSec1EcKeysAsTheirPkcs8Equivalents() throws Exception {
    RSAPrivateKey pkcs8 = (RSAPrivateKey) PemKeys.parse(resource("first.crt"), resource("first.key"), "c", "k").key();
    RSAPrivateKey pkcs1 = (RSAPrivateKey) PemKeys.parse(resource("first.crt"), resource("first-pkcs1.key"), "c", "k").key();
    assertThat(pkcs1.getModulus()).isEqualTo(pkcs8.getModulus());
    assertThat(pkcs1.getPrivateExponent()).isEqualTo(pkcs8.getPrivateExponent());

    ECPrivateKey ec8 = (ECPrivateKey) PemKeys.parse(resource("second.crt"), resource("second.key"), "c", "k").key();
    ECPrivateKey sec1 = (ECPrivateKey) PemKeys.parse(resource("second.crt"), resource("second-sec1.key"), "c", "k").key();
    assertThat(sec1.getS()).isEqualTo(ec8.getS());
    assertThat(sec1.getParams().getOrder()).isEqualTo(ec8.getParams().getOrder());
  }

  @Test
  void unusableFilesAreNamedInTheError() throws Exception {
    String key = resource("first.key").replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
    assertThatThrownBy(() -> PemKeys.parse(resource("first.crt"), key, "c", "tls.key"))
        .hasMessage("tls.key: encrypted private keys are not supported");
    assertThatThrownBy(() -> PemKeys.parse("nothing", resource("first.key"), "tls.crt", "k"))
        .hasMessage("tls.crt: no PEM CERTIFICATE block found");
    assertThatThrownBy(() -> PemKeys.parse(resource("first.crt"), "", "c", "tls.key"))
        .hasMessage("tls.key: no PEM PRIVATE KEY block found");
  }
}
