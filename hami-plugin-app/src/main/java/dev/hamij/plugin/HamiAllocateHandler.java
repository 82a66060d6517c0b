package dev.hamij.plugin;

import dev.hamij.nvidia.AllocationSettings;
import dev.hamij.nvidia.ContainerAllocation;
import dev.hamij.nvidia.ContainerAllocations;
import dev.hamij.nvidia.ContainerRequest;
import dev.hamij.nvidia.HostDirectory;
import dev.hamij.plugin.ContainerClaims.Claim;
import dev.hamij.plugin.PodBinding.BindingPod;
import dev.hamij.plugin.v1beta1.ContainerAllocateRequest;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import dev.hamij.plugin.v1beta1.DeviceSpec;
import dev.hamij.plugin.v1beta1.Mount;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Allocate for HAMi pods (node.md §2.7): finds the pod kubelet is admitting ({@link PodBinding}),
 * checks kubelet's request against it ({@link ContainerClaims}), builds each container's answer with
 * hami-nvidia's {@link ContainerAllocations} (or, on a MIG node, realises the MIG reservation first),
 * prepares the host directories the answer mounts, and only then records the containers as served.
 * Any failure after the pod is known marks it {@code bind-phase=failed} and releases the node lock.
 */
final class HamiAllocateHandler implements AllocateHandler {

  /** Realises a container's MIG reservations and returns its MIG device UUIDs, in device order. */
  @FunctionalInterface
  interface MigRealiser {
    List<String> realise(BindingPod pod, Claim claim);
  }

  /** rwxrwxrwt: anyone may create files, only a file's owner may delete or rename it. */
  private static final int SHARED_MODE = 01777;
  /** {@code S_IFMT} and {@code S_IFDIR} of {@code st_mode}. */
  private static final int FILE_TYPE = 0170000;
  private static final int DIRECTORY = 0040000;

  private final PodBinding binding;
  private final Supplier<ContainerClaims.NodeFacts> node;
  private final AllocationSettings settings;
  private final Function<String, Path> hostPath;
  private final MigRealiser mig;

  /**
   * @param node what the node offers right now
   * @param settings hami-core answer settings; their library is the file the plugin installed
   * @param hostPath where a host path the answer names is in this process's file system
   * @param mig the MIG realisation of a MIG node; null on a hami-core or mps node
   */
  HamiAllocateHandler(PodBinding binding, Supplier<ContainerClaims.NodeFacts> node, AllocationSettings settings,
      Function<String, Path> hostPath, MigRealiser mig) {
    this.binding = binding;
    this.node = node;
    this.settings = settings;
    this.hostPath = hostPath;
    this.mig = mig;
  }

  @Override
  public List<ContainerAllocateResponse> allocate(List<ContainerAllocateRequest> containers)
      throws AllocationException {
    List<List<String>> ids = containers.stream().map(c -> List.copyOf(c.getDevicesIdsList())).toList();
    BindingPod pod = binding.pendingPod(ids.stream().map(List::size).toList());
    try {
      List<Claim> claims = ContainerClaims.claim(pod, ids, node.get());
      List<ContainerAllocateResponse> answers = new ArrayList<>();
      for (Claim claim : claims) {
        answers.add(answer(pod, claim));
      }
      binding.served(pod, claims.stream().map(Claim::containerIndex).toList());
      return answers;
    } catch (AllocationException e) {
      binding.failed(pod, e.getMessage());
      throw e;
    } catch (RuntimeException e) {
      String message = String.valueOf(e.getMessage());
      String reason = message.contains(pod.ref()) ? message : "pod " + pod.ref() + ": " + message;
      binding.failed(pod, reason);
      throw new AllocationException(reason, e);
    }
  }

  private ContainerAllocateResponse answer(BindingPod pod, Claim claim) throws AllocationException {
    ContainerAllocation allocation;
    if (mig != null) {
      allocation = ContainerAllocations.mig(settings, mig.realise(pod, claim));
    } else {
      allocation = ContainerAllocations.hamiCore(settings, new ContainerRequest(pod.uid(),
          claim.container().name(), claim.container().env(), claim.devices()), UUID.randomUUID());
    }
    for (HostDirectory directory : allocation.hostDirectories()) {
      prepare(directory);
    }
    return toProto(allocation);
  }

  /**
   * Creates the directory writable by any user (containers run as arbitrary users): a container's own
   * directory (recreated, mounted into it alone) with mode 0777, a shared one ({@code /tmp/vgpulock})
   * with 1777, whose sticky bit keeps one container from deleting or replacing another's files.
   */
  private void prepare(HostDirectory directory) throws AllocationException {
    Path local = hostPath.apply(directory.path());
    try {
      if (directory.recreate()) {
        recreate(local);
        Files.setPosixFilePermissions(local, PosixFilePermissions.fromString("rwxrwxrwx")); // mkdir applied the umask
      } else if (!isSharedDirectory(local)) {
        Files.createDirectories(local);
        Files.setAttribute(local, "unix:mode", SHARED_MODE);
      }
    } catch (IOException e) {
      throw new AllocationException("cannot prepare host directory " + directory.path() + ": " + e, e);
    }
  }

  /** Whether {@code local} is a directory with mode 1777 already (one {@code stat}, the usual case). */
  private static boolean isSharedDirectory(Path local) throws IOException {
    try {
      int mode = (Integer) Files.getAttribute(local, "unix:mode");
      return (mode & FILE_TYPE) == DIRECTORY && (mode & 07777) == SHARED_MODE;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * Creates an empty directory at {@code local}, deleting whatever is there first. The usual case, a
   * new container, is one {@code mkdir} (no existence check that throws and fills a stack trace).
   */
  private static void recreate(Path local) throws IOException {
    try {
      Files.createDirectory(local);
    } catch (FileAlreadyExistsException e) {
      deleteRecursively(local);
      Files.createDirectory(local);
    } catch (NoSuchFileException e) {
      Files.createDirectories(local);
    }
  }

  /** Deletes a directory tree without following symbolic links. */
  private static void deleteRecursively(Path root) throws IOException {
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path directory, IOException failure) throws IOException {
        if (failure != null) {
          throw failure;
        }
        Files.delete(directory);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  static ContainerAllocateResponse toProto(ContainerAllocation allocation) {
    ContainerAllocateResponse.Builder out = ContainerAllocateResponse.newBuilder().putAllEnvs(allocation.envs());
    for (dev.hamij.nvidia.Mount m : allocation.mounts()) {
      out.addMounts(Mount.newBuilder().setContainerPath(m.containerPath()).setHostPath(m.hostPath())
          .setReadOnly(m.readOnly()));
    }
    for (dev.hamij.nvidia.DeviceSpec d : allocation.devices()) {
      out.addDevices(DeviceSpec.newBuilder().setContainerPath(d.containerPath()).setHostPath(d.hostPath())
          .setPermissions(d.permissions()));
    }
    return out.build();
  }
}
