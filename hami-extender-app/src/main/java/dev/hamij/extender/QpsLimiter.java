package dev.hamij.extender;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * client-go's {@code --kube-qps}/{@code --kube-burst} for the fabric8 client: a token bucket that
 * holds each API request until a token is free ({@code qps} tokens per second, at most {@code burst}
 * saved up).
 */
final class QpsLimiter implements Interceptor {
  private final double perNano;
  private final double burst;
  private final LongSupplier nanoTime;
  private double tokens;
  private long last;

  QpsLimiter(double qps, int burst) {
    this(qps, burst, System::nanoTime);
  }

  QpsLimiter(double qps, int burst, LongSupplier nanoTime) {
    this.perNano = qps / TimeUnit.SECONDS.toNanos(1);
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.nanoTime = nanoTime;
    this.last = nanoTime.getAsLong();
  }

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    long wait = reserve();
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  /** Takes a token (possibly one not yet earned) and returns how long to wait for it. */
  synchronized long reserve() {
    long now = nanoTime.getAsLong();
    tokens = Math.min(burst, tokens + (now - last) * perNano);
    last = now;
    tokens -= 1;
    return tokens >= 0 ? 0 : (long) (-tokens / perNano);
  }
}
