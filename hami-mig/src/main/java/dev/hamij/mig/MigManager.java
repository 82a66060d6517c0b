package dev.hamij.mig;

import dev.hamij.nvml.Nvml;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Dynamic MIG on one node (node.md §4.3, reservation-first): realises the scheduler's reservations
 * ({@code hami.io/vgpu-mig-allocations}) as MIG instances at Allocate, and destroys them when their pods are gone.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #realise} creates exactly the reserved profile at exactly the reserved placement, GPU instance then
 *       compute instance, and finds the MIG device by its GPU-instance id. It is idempotent: an instance already held
 *       (or recorded in the pod and found intact) for the same reservation is reused, never created twice.
 *       Instances are owned by {@code (pod uid, containerIndex, deviceIndex)}: two reservations never share one.
 *       On any failure everything that call created, and only that, is destroyed (what NVML refuses to destroy is
 *       left to the reconciler) and a {@link MigException} explains why.
 *   <li>The runtime identity is written back to the pod with optimistic concurrency, retried after a conflict.
 *   <li>{@link #reconcileOnce} destroys instances whose reservations are gone; an instance still in use is skipped
 *       and retried, and a failure on one GPU never blocks another GPU or any Allocate. Its first successful run
 *       adopts existing instances that active reservations claim and cleans everything else on the managed GPUs.
 *   <li>Nothing is touched when the cluster cannot be read, nothing ever on GPUs excluded by {@code filterdevices},
 *       MIG mode is never changed unless {@link MigSettings#switchMigMode()} asks for it, and no GPU is ever reset.
 *   <li>Every create, adoption and destroy is logged (logger {@code dev.hamij.mig}) with GPU, profile, placement
 *       and pod.
 * </ul>
 *
 * <p>The app calls {@link #reconcileOnce} once before serving Allocate and then periodically (e.g. every 5 s).
 * Thread-safe: Allocates for different GPUs run in parallel; each GPU's mutations are serialised.
 */
public final class MigManager implements AutoCloseable {
  private final Nvml nvml;
  private final NodeGpus gpus;
  private final Ledger ledger;
  private final Realiser realiser;
  private final Reconciler reconciler;
  private final AtomicBoolean closed = new AtomicBoolean();

  private MigManager(Nvml nvml, MigSettings settings, MigCluster cluster) {
    this.nvml = nvml;
    this.gpus = new NodeGpus(nvml, settings);
    this.ledger = new Ledger();
    NvmlMig ops = new NvmlMig(nvml, settings.profileTable());
    Reaper reaper = new Reaper(gpus, ops, ledger);
    this.realiser = new Realiser(settings, gpus, ops, ledger, reaper, cluster);
    this.reconciler = new Reconciler(gpus, ops, ledger, reaper, cluster);
  }

  /**
   * A manager for the node's GPUs. Takes one NVML reference ({@link Nvml#init()}) until {@link #close()}. Touches
   * no GPU until {@link #realise} or {@link #reconcileOnce} is called.
   */
  public static MigManager create(Nvml nvml, MigSettings settings, MigCluster cluster) {
    nvml.init();
    try {
      return new MigManager(nvml, settings, cluster);
    } catch (RuntimeException e) {
      nvml.shutdown();
      throw e;
    }
  }

  /**
   * Realises the MIG reservations of one container.
   *
   * @param pod the pod being admitted
   * @param migAllocations the pod's {@code hami.io/vgpu-mig-allocations} value as read for this Allocate
   * @param containerIndex the container's index among init containers followed by regular containers
   * @param gpuUuids the GPU UUIDs of the container's entry in {@code hami.io/vgpu-devices-to-allocate}, in order
   * @return the MIG devices and the container environment ({@code NVIDIA_VISIBLE_DEVICES=MIG-…})
   * @throws MigException when the reservations cannot be realised or their identity not recorded
   */
  public ContainerMig realise(PodRef pod, String migAllocations, int containerIndex, List<String> gpuUuids) {
    return realiser.realise(pod, migAllocations, containerIndex, gpuUuids);
  }

  /** One reconcile round; never throws for cluster or NVML trouble, which the report describes. */
  public ReconcileReport reconcileOnce() {
    return reconciler.reconcileOnce();
  }

  /** True once the start-up adoption and clean-up has completed. */
  public boolean synced() {
    return reconciler.synced();
  }

  /** The instances this manager is responsible for now. */
  public List<ManagedInstance> instances() {
    return ledger.snapshot();
  }

  /**
   * GPUs on which no MIG instance can be created now, by UUID, with a reason naming the GPU: excluded by
   * {@code filterdevices}, without MIG, MIG mode disabled, or a MIG-mode change pending until a GPU reset.
   */
  public Map<String, String> unusableGpus() {
    return gpus.unusable();
  }

  /** Releases the NVML reference; MIG instances stay as they are. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      nvml.shutdown();
    }
  }
}
