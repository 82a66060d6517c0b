package dev.hamij.nvml;

/**
 * An NVML event set ({@code nvmlEventSet_t}); free it with {@link Nvml#freeEventSet}. Opaque; valid only for the
 * {@link Nvml} that returned it.
 */
public final class EventSet extends NvmlHandle {
  EventSet(Object ref, String label) {
    super(ref, label);
  }
}
