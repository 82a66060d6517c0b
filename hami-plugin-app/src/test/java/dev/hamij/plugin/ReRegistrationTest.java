package dev.hamij.plugin;

import dev.hamij.nvidia.AdvertisedDevice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import dev.hamij.plugin.v1beta1.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** kubelet restarts: the plugin notices, restarts its server and registers again, leaking nothing. */
class ReRegistrationTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int RESTARTS = 5;

  private Path directory;
  private FakeKubelet kubelet;
  private DevicePluginAgent agent;
  private final DeviceList devices = new DeviceList(List.of(
      new AdvertisedDevice("GPU-0fc3a1b2-1111-2222-3333-444455556666-0", true, -1),
      new AdvertisedDevice("GPU-0fc3a1b2-1111-2222-3333-444455556666-1", true, -1)));

  @BeforeEach
  void setUp() throws Exception {
    directory = TestFiles.shortTempDirectory();
    Files.writeString(directory.resolve(FakeKubelet.CHECKPOINT), "{}");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (kubelet != null) {
      kubelet.close();
    }
    TestFiles.deleteRecursively(directory);
  }

  @Test
  void fileSystemEventsAloneBringThePluginBackAfterEveryKubeletRestart() throws Exception {
    kubelet = FakeKubelet.start(directory);
    startAgent(Duration.ofHours(1), true); // the periodic check never runs in this test

    assertReRegistersAfterRestartsWithoutLeaks();
  }

  @Test
  void thePeriodicCheckAloneBringsThePluginBackAfterEveryKubeletRestart() throws Exception {
    kubelet = FakeKubelet.start(directory);
    startAgent(Duration.ofMillis(50), false);

    assertReRegistersAfterRestartsWithoutLeaks();
  }

  @Test
  void waitsForAKubeletThatIsNotThereYet() throws Exception {
    startAgent(Duration.ofHours(1), true);
    assertThat(agent.runningServers()).isEqualTo(1);
    assertThat(agent.registrations()).isZero();

    kubelet = FakeKubelet.start(directory);

    kubelet.awaitRegistrations(1, TIMEOUT);
    assertThat(kubelet.registrations()).hasSize(1);
  }

  @Test
  void servesAgainWhileKubeletIsDownAndRegistersWhenItIsBack() throws Exception {
    kubelet = FakeKubelet.start(directory);
    startAgent(Duration.ofHours(1), true);
    kubelet.awaitRegistrations(1, TIMEOUT);

    kubelet.kill();
    Poll.until(() -> agent.serverStarts() >= 2 && Files.exists(directory.resolve("nvidia-gpu.sock")), TIMEOUT,
        () -> "server starts " + agent.serverStarts());
    kubelet.restart();

    kubelet.awaitRegistrations(2, TIMEOUT);
    assertThat(agent.runningServers()).isEqualTo(1);
    assertThat(directory.resolve(FakeKubelet.CHECKPOINT)).exists();
  }

  @Test
  void aRejectedRegistrationIsRetriedByOneLoopUntilKubeletAccepts() throws Exception {
    kubelet = FakeKubelet.start(directory);
    kubelet.rejectRegistrations(3);

    startAgent(Duration.ofMillis(10), true); // frequent checks must not start extra attempts

    kubelet.awaitRegistrations(1, TIMEOUT);
    Poll.until(() -> agent.registrations() == 1, TIMEOUT, () -> "agent registrations " + agent.registrations());
    assertThat(kubelet.registrations()).hasSize(1);
    assertThat(agent.serverStarts()).isEqualTo(1);
  }

  @Test
  void aDeletedPluginSocketIsServedAgainAndReRegistered() throws Exception {
    kubelet = FakeKubelet.start(directory);
    startAgent(Duration.ofHours(1), true);
    kubelet.awaitRegistrations(1, TIMEOUT);

    Files.delete(directory.resolve("nvidia-gpu.sock"));

    kubelet.awaitRegistrations(2, TIMEOUT);
    assertThat(directory.resolve("nvidia-gpu.sock")).exists();
    assertThat(agent.serverStarts()).isEqualTo(2);
    assertThat(agent.runningServers()).isEqualTo(1);
  }

  @Test
  void closingEndsEveryThreadTheAgentStarted() throws Exception {
    kubelet = FakeKubelet.start(directory);
    Set<Thread> before = liveThreads();
    startAgent(Duration.ofMillis(50), true);
    kubelet.awaitRegistrations(1, TIMEOUT);
    kubelet.restart();
    kubelet.awaitRegistrations(2, TIMEOUT);

    agent.close();
    agent = null;

    Poll.until(() -> liveThreads().stream().noneMatch(t -> t.getName().startsWith("hami-dp")), TIMEOUT,
        () -> "agent threads still alive: " + names(liveThreads()));
    Poll.until(() -> before.containsAll(liveThreads()), TIMEOUT,
        () -> "threads started and not ended: " + names(difference(liveThreads(), before)));
  }

  private void assertReRegistersAfterRestartsWithoutLeaks() throws Exception {
    kubelet.awaitRegistrations(1, TIMEOUT);
    kubelet.restart(); // warm-up: lazily created JDK and gRPC internals exist after one cycle
    kubelet.awaitRegistrations(2, TIMEOUT);
    Set<Thread> baseline = liveThreads();

    for (int restart = 1; restart <= RESTARTS; restart++) {
      kubelet.restart();
      kubelet.awaitRegistrations(2 + restart, TIMEOUT);
      List<Device> list = kubelet.awaitDevices(l -> l.size() == 2, TIMEOUT);
      assertThat(list).extracting(Device::getHealth).containsOnly("Healthy");
    }

    assertThat(kubelet.registrations()).hasSize(2 + RESTARTS)
        .allSatisfy(r -> assertThat(r.getEndpoint()).isEqualTo("nvidia-gpu.sock"));
    assertThat(agent.runningServers()).isEqualTo(1);
    assertThat(agent.registrations()).isEqualTo(2 + RESTARTS);
    Poll.until(() -> baseline.containsAll(liveThreads()), TIMEOUT,
        () -> "threads started during restarts and still alive: " + names(difference(liveThreads(), baseline)));
    assertThat(names(liveThreads())).filteredOn(n -> n.startsWith("hami-dp-lifecycle")).hasSize(1);
    assertThat(names(liveThreads())).filteredOn(n -> n.startsWith("hami-dp-watch"))
        .hasSizeLessThanOrEqualTo(1);

    // The plugin still serves the current kubelet.
    ContainerAllocateResponse response = kubelet.allocate(List.of("GPU-0fc3a1b2-1111-2222-3333-444455556666-1"));
    assertThat(response.getEnvsMap()).containsEntry("ALLOCATED", "GPU-0fc3a1b2-1111-2222-3333-444455556666-1");
  }

  private void startAgent(Duration checkInterval, boolean watch) throws Exception {
    PluginSettings settings = new PluginSettings(directory, Optional.of(directory.resolve("kubelet.sock")),
        "nvidia.com/gpu", checkInterval, watch, Duration.ofSeconds(5), Duration.ofMillis(20),
        Duration.ofMillis(100));
    AllocateHandler handler = containers -> containers.stream()
        .map(c -> ContainerAllocateResponse.newBuilder()
            .putEnvs("ALLOCATED", String.join(",", c.getDevicesIdsList())).build())
        .toList();
    agent = new DevicePluginAgent(settings,
        new DevicePluginService(devices, handler, false));
    agent.start();
  }

  private static Set<Thread> liveThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
  }

  private static Set<Thread> difference(Set<Thread> a, Set<Thread> b) {
    return a.stream().filter(t -> !b.contains(t)).collect(Collectors.toSet());
  }

  private static List<String> names(Set<Thread> threads) {
    return threads.stream().map(Thread::getName).sorted().toList();
  }
}
