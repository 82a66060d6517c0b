package dev.hamij.extender.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report renders in a real headless browser (Debian package {@code chromium}): the DOM after
 * loading holds every chart with its data paths, and a screenshot shows each policy's line colour in
 * the chart area. Skipped only when no chromium binary is installed.
 */
class ReportBrowserTest {
  @TempDir
  Path dir;

  static String chromium() {
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        if (Files.isExecutable(Path.of(p, name))) {
          return Path.of(p, name).toString();
        }
      }
    }
    return null;
  }

  private String browse(String chromium, Path report, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--hide-scrollbars", "--user-data-dir=" + dir.resolve("profile")));
    cmd.addAll(List.of(extra));
    cmd.add(report.toUri().toString());
    Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("chromium.log").toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within 90 s");
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  @Test
  void theReportsChartsRenderInHeadlessChromium() throws Exception {
    String chromium = chromium();
    assumeTrue(chromium != null, "chromium is not installed (Debian: apt-get install -y chromium); skipping the browser check");
    Path report = dir.resolve("report.html");
    SimulateCommandTest.Run r = SimulateCommandTest.simulate("--cluster", "../examples/sim/cluster.yaml", "--workload",
        "../examples/sim/workload.yaml", "--seeds", "2", "--report", report.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    String html = Files.readString(report);
    assertThat(html).doesNotContain("<script").doesNotContain("src=\"http").doesNotContain("href=\"http")
        .doesNotContain("@import");

    String dom = browse(chromium, report, "--dump-dom");
    for (String id : List.of("chart-allocation", "chart-fragmentation", "chart-memory", "chart-cores", "chart-pending",
        "heat-0", "heat-1", "heat-2", "summary", "reasons", "mig")) {
      assertThat(dom).as("element #" + id).contains("id=\"" + id + "\"");
    }
    Matcher series = Pattern.compile("<path class=\"series\" data-label=\"([^\"]+)\" d=\"M[^\"]{20,}\"").matcher(dom);
    List<String> labels = new ArrayList<>();
    while (series.find()) {
      labels.add(series.group(1));
    }
    assertThat(labels).contains("binpack", "spread", "fragmentation", "ideal", "binpack pending");
    assertThat(dom).contains("class=\"band\"");

    Path shot = dir.resolve("shot.png");
    browse(chromium, report, "--window-size=1250,1500", "--screenshot=" + shot);
    BufferedImage img = ImageIO.read(shot.toFile());
    assertThat(img).as("screenshot").isNotNull();
    int[] palette = {0x1f77b4, 0xd62728, 0x2ca02c};
    for (int colour : palette) {
      assertThat(countNear(img, colour)).as("pixels of #%06x", colour).isGreaterThan(400);
    }
  }

  private static int countNear(BufferedImage img, int rgb) {
    int r0 = rgb >> 16 & 0xff;
    int g0 = rgb >> 8 & 0xff;
    int b0 = rgb & 0xff;
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int p = img.getRGB(x, y);
        int dr = (p >> 16 & 0xff) - r0;
        int dg = (p >> 8 & 0xff) - g0;
        int db = (p & 0xff) - b0;
        if (dr * dr + dg * dg + db * db < 900) {
          n++;
        }
      }
    }
    return n;
  }
}
