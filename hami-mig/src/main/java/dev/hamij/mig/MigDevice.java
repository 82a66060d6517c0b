package dev.hamij.mig;

import dev.hamij.api.Placement;

/**
 * One realised MIG reservation: the reservation ({@code containerIndex}, {@code deviceIndex}, GPU, profile,
 * placement) and the runtime identity of the MIG device behind it.
 *
 * @param created true when this call created the instance, false when it reused one that already existed for the
 *     same reservation
 */
public record MigDevice(int containerIndex, int deviceIndex, String gpuUuid, String profile, Placement placement,
    String migUuid, int gpuInstanceId, int computeInstanceId, boolean created) {}
