package dev.hamij.plugin;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadFactory;

/**
 * gRPC over Unix domain sockets with the epoll transport of grpc-netty-shaded. Every server and
 * channel runs on the event loop group and executor the caller owns, so no library-global thread
 * pool is ever started behind the caller's back.
 */
final class UnixGrpc {

  /** {@code sun_path} holds 108 bytes including the terminating NUL. */
  static final int MAX_SOCKET_PATH_BYTES = 107;

  private static final String TEMP_MARKER = ".tmp-";

  private UnixGrpc() {}

  /** One event loop thread: enough for a device plugin (a handful of connections, tiny messages). */
  static EventLoopGroup newEventLoopGroup(ThreadFactory threads) {
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException(
          "Unix domain sockets need the native epoll transport, which is unavailable here: "
              + Epoll.unavailabilityCause());
    }
    return new EpollEventLoopGroup(1, threads);
  }

  /** Fails with a message naming the path when it does not fit in a Unix socket address. */
  static void checkSocketPath(Path socket) {
    int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    if (length > MAX_SOCKET_PATH_BYTES) {
      throw new IllegalArgumentException("Unix socket path " + socket + " is " + length
          + " bytes long; the limit is " + MAX_SOCKET_PATH_BYTES + " bytes");
    }
  }

  /**
   * Fails with a message naming the path when {@link #serve} cannot bind {@code socket}: the
   * socket and its temporary name must both fit in a Unix socket address.
   */
  static void checkServerSocketPath(Path socket) {
    checkSocketPath(socket);
    Path temporary = temporaryName(socket);
    int length = temporary.toString().getBytes(StandardCharsets.UTF_8).length;
    if (length > MAX_SOCKET_PATH_BYTES) {
      throw new IllegalArgumentException("Unix socket path " + socket + " is too long to be bound:"
          + " its temporary name " + temporary + " is " + length + " bytes long; the limit is "
          + MAX_SOCKET_PATH_BYTES + " bytes");
    }
  }

  private static Path temporaryName(Path socket) {
    return socket.resolveSibling("." + socket.getFileName() + TEMP_MARKER
        + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
  }

  /**
   * Serves {@code services} at {@code socket}. The socket is bound under a temporary name in the
   * same directory, restricted to mode 0600 and then renamed onto {@code socket}, replacing any stale
   * file there: whoever connects to {@code socket} always reaches a server that is fully started.
   */
  static Server serve(Path socket, EventLoopGroup group, Executor executor, BindableService... services)
      throws IOException {
    Objects.requireNonNull(socket.getParent(), "socket must have a parent directory");
    checkServerSocketPath(socket);
    Path temporary = temporaryName(socket);
    deleteLeftoverTemporaries(socket);
    Files.deleteIfExists(socket);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(temporary.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(group)
        .workerEventLoopGroup(group)
        .withChildOption(ChannelOption.SO_KEEPALIVE, null) // a TCP option; null removes it
        .executor(executor);
    for (BindableService service : services) {
      builder.addService(service);
    }
    Server server = builder.build().start();
    try {
      Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
      Files.move(temporary, socket, StandardCopyOption.ATOMIC_MOVE);
      return server;
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      Files.deleteIfExists(temporary);
      throw e;
    }
  }

  /** A channel to the server listening at {@code socket}. */
  static ManagedChannel dial(Path socket, EventLoopGroup group, Executor executor) {
    checkSocketPath(socket);
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .withOption(ChannelOption.SO_KEEPALIVE, null) // a TCP option; null removes it
        .eventLoopGroup(group)
        .executor(executor)
        .offloadExecutor(executor)
        .usePlaintext()
        .build();
  }

  /**
   * One incarnation of a file: inode and modification time. A socket deleted and bound again is a
   * different incarnation even when the file system reuses the inode number.
   */
  record Incarnation(Object fileKey, FileTime modified) {

    /** The incarnation of {@code file}, or {@code null} when there is no such file. */
    static Incarnation of(Path file) {
      try {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return new Incarnation(attributes.fileKey(), attributes.lastModifiedTime());
      } catch (IOException e) {
        return null;
      }
    }
  }

  /** Removes temporary socket names left behind by a process killed between bind and rename. */
  private static void deleteLeftoverTemporaries(Path socket) throws IOException {
    String prefix = "." + socket.getFileName() + TEMP_MARKER;
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(socket.getParent(), prefix + "*")) {
      for (Path leftover : leftovers) {
        Files.deleteIfExists(leftover);
      }
    }
  }
}
