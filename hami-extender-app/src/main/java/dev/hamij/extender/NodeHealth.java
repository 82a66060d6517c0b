package dev.hamij.extender;

import dev.hamij.api.HandshakeCodec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The scheduler side of HAMi's node handshake (scheduler.md §2.6, HEAD rules): decides whether a
 * node's NVIDIA agent is alive and which handshake value to write. v2.5-era agents that write
 * {@code Reported …} every 30 s get {@code Requesting_<now>} back and stay healthy; a {@code Requesting_}
 * older than 60 s with no allocatable GPUs means the agent went silent.
 *
 * <p>Unlike HEAD, a node found dead stays dead until it shows a sign of life (allocatable GPUs, a new
 * {@code Reported} handshake or a changed register annotation); HEAD re-registers it on the next
 * cycle and keeps sending pods to it for another minute each time.
 */
final class NodeHealth {
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(60);

  /**
   * @param healthy whether the node may keep its devices
   * @param handshake the handshake value to write now, or null for none
   */
  record Verdict(boolean healthy, String handshake) {}

  private final Clock clock;
  private final ZoneId zone;
  private final ConcurrentHashMap<String, Long> reported = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, String> dead = new ConcurrentHashMap<>();

  NodeHealth(Clock clock, ZoneId zone) {
    this.clock = clock;
    this.zone = zone;
  }

  /**
   * @param node node name
   * @param handshake current {@code hami.io/node-handshake} value (null when absent)
   * @param allocatable the node's allocatable count of the GPU resource (0 when absent)
   * @param register current {@code hami.io/node-nvidia-register} value (null when absent)
   */
  Verdict check(String node, String handshake, long allocatable, String register) {
    String reg = register == null ? "" : register;
    Instant now = clock.instant();
    HandshakeCodec.Handshake h = HandshakeCodec.parse(handshake, zone);
    String deadRegister = dead.get(node);
    if (deadRegister != null) {
      boolean alive = allocatable > 0 || h.kind() == HandshakeCodec.Kind.REPORTED || !deadRegister.equals(reg);
      if (!alive) {
        return new Verdict(false, null);
      }
      dead.remove(node);
    }
    boolean handshakeHealthy;
    String write = null;
    if (h.kind() == HandshakeCodec.Kind.REQUESTING) {
      handshakeHealthy = h.time().isEmpty() || now.isBefore(h.time().get().plus(HANDSHAKE_TIMEOUT)) || allocatable > 0;
    } else {
      handshakeHealthy = true;
      write = HandshakeCodec.requesting(now, zone);
    }
    long last = reported.getOrDefault(node, 0L);
    boolean healthy;
    if (allocatable == 0) {
      // a drop to zero allocatable GPUs means kubelet lost the agent's devices
      healthy = last == 0 && handshakeHealthy;
    } else {
      // allocatable GPUs prove kubelet still sees the agent's devices
      reported.put(node, allocatable);
      healthy = true;
    }
    if (!healthy) {
      dead.put(node, reg);
      reported.remove(node);
      write = null;
    }
    return new Verdict(healthy, write);
  }

  /** Forgets every node (the GPU resource name changed, so remembered counts mean nothing). */
  void reset() {
    reported.clear();
    dead.clear();
  }

  /** Forgets a deleted node. */
  void forget(String node) {
    reported.remove(node);
    dead.remove(node);
  }
}
