package dev.hamij.nvidia;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HandshakeCodec;
import dev.hamij.api.RegisterCodec;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * The node annotations a register cycle writes (node.md §2.5, §10 item 3): {@code hami.io/node-nvidia-register} as
 * the v2.8+ JSON array, or for v2.5–v2.7 schedulers the legacy string together with the
 * {@code hami.io/node-handshake: Reported <time>} value they need at least every 30 s.
 */
public final class RegisterAnnotations {
  /** Which schedulers the node talks to. */
  public enum Format {
    /** v2.8+ schedulers: JSON register value, no handshake. */
    JSON,
    /** v2.5–v2.7 schedulers: legacy register string plus the {@code Reported} handshake. */
    LEGACY
  }

  private RegisterAnnotations() {}

  /**
   * The annotations to merge into the Node for these devices; {@code now} and {@code zone} give the handshake time.
   *
   * @throws dev.hamij.api.HamiFormatException when a device cannot be written in the chosen format
   */
  public static Map<String, String> of(List<GpuDevice> devices, Format format, Instant now, ZoneId zone) {
    if (format == Format.JSON) {
      return Map.of(Annotations.NODE_NVIDIA_REGISTER, RegisterCodec.encodeJson(devices));
    }
    return Map.of(Annotations.NODE_NVIDIA_REGISTER, RegisterCodec.encodeLegacy(devices),
        Annotations.NODE_HANDSHAKE, HandshakeCodec.reported(now, zone));
  }
}
