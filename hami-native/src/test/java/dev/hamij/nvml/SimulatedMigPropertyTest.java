package dev.hamij.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.MigProfileTable;
import dev.hamij.api.MigProfileTable.Profile;
import dev.hamij.api.Placement;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Property;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Random create/destroy sequences on every MIG model: the simulator accepts exactly what an independent reading of
 * the placement rule (mig-profiles.json {@code placementRule}) accepts, and its remaining capacity is the true maximum.
 */
class SimulatedMigPropertyTest {
  /** Create profile {@code profile} at placement number {@code placement}, or destroy instance number {@code victim}. */
  record Op(boolean create, int profile, int placement, int victim) {}

  record Scenario(MigProfileTable.Model model, List<Op> ops) {
    @Override
    public String toString() {
      return model.key() + " " + ops;
    }
  }

  private static final Gen<Scenario> SCENARIOS = Gen.elements(MigProfileTable.bundled().models())
      .flatMap(model -> Gen.listOf(Gen.frequency(
          Gen.weight(3, (r, size) -> new Op(true, r.nextInt(model.profiles().size()), r.nextInt(8), 0)),
          Gen.weight(1, (r, size) -> new Op(false, 0, 0, r.nextInt(8)))), 1, 40)
          .map(ops -> new Scenario(model, ops)));

  @Test
  void simulatorFollowsThePlacementRule() {
    Property.forAll(SCENARIOS).seeds(150).maxSize(40).check(SimulatedMigPropertyTest::run);
  }

  private static void run(Scenario s) {
    SimulatedNvml nvml = SimulatedNvml.builder().gpu(SimulatedGpu.of(s.model().key()).withMig(true)).build();
    nvml.init();
    DeviceHandle gpu = nvml.deviceByIndex(0);
    List<Profile> profiles = s.model().profiles();
    List<Profile> liveProfiles = new ArrayList<>();
    List<Placement> livePlacements = new ArrayList<>();
    List<GpuInstanceHandle> handles = new ArrayList<>();
    for (Op op : s.ops()) {
      if (!op.create()) {
        if (handles.isEmpty()) {
          continue;
        }
        int victim = op.victim() % handles.size();
        nvml.destroyGpuInstance(handles.remove(victim));
        liveProfiles.remove(victim);
        livePlacements.remove(victim);
        continue;
      }
      Profile p = profiles.get(op.profile());
      Placement at = new Placement(op.placement() % s.model().memorySlicesTotal(), p.memorySlices());
      boolean legal = p.placements().contains(at);
      boolean allowed = legal && fits(s.model(), p, at, liveProfiles, livePlacements);
      try {
        GpuInstanceHandle gi = nvml.createGpuInstanceWithPlacement(gpu, p.profileId(), at);
        assertThat(allowed).as("simulator accepted %s at %s", p.name(), at).isTrue();
        handles.add(gi);
        liveProfiles.add(p);
        livePlacements.add(at);
      } catch (NvmlException e) {
        assertThat(allowed).as("simulator refused %s at %s: %s", p.name(), at, e.getMessage()).isFalse();
        assertThat(e.code()).isEqualTo(legal ? NvmlReturn.INSUFFICIENT_RESOURCES : NvmlReturn.INVALID_ARGUMENT);
      }
      for (Profile q : profiles) {
        assertThat(nvml.gpuInstanceRemainingCapacity(gpu, q.profileId())).as("remaining %s", q.name())
            .isEqualTo(remaining(s.model(), q, liveProfiles, livePlacements, 0));
      }
    }
    List<Placement> listed = new ArrayList<>();
    for (Profile p : profiles) {
      nvml.gpuInstances(gpu, p.profileId()).forEach(gi -> listed.add(nvml.gpuInstanceInfo(gi).placement()));
    }
    assertThat(listed).containsExactlyInAnyOrderElementsOf(livePlacements);
  }

  /** placementRule (2)–(4) for one more instance. */
  private static boolean fits(MigProfileTable.Model model, Profile p, Placement at, List<Profile> profiles,
      List<Placement> placements) {
    boolean free = placements.stream().noneMatch(at::overlaps);
    long same = profiles.stream().filter(q -> q == p).count();
    boolean meTaken = profiles.stream().anyMatch(Profile::mediaExtensions);
    return free && same < p.maxCount() && profiles.size() < model.maxGpuInstances()
        && !(p.mediaExtensions() && meTaken);
  }

  /** The largest number of further instances of {@code p}, by exhaustive search over sets of its placements. */
  private static int remaining(MigProfileTable.Model model, Profile p, List<Profile> profiles,
      List<Placement> placements, int from) {
    int best = 0;
    for (int i = from; i < p.placements().size(); i++) {
      Placement candidate = p.placements().get(i);
      if (fits(model, p, candidate, profiles, placements)) {
        List<Profile> ps = new ArrayList<>(profiles);
        List<Placement> pls = new ArrayList<>(placements);
        ps.add(p);
        pls.add(candidate);
        best = Math.max(best, 1 + remaining(model, p, ps, pls, i + 1));
      }
    }
    return best;
  }
}
