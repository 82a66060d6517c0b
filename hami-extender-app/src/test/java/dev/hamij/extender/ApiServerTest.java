package dev.hamij.extender;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The gate in front of fabric8's mock API server ({@link ApiServer}). */
class ApiServerTest {

  /**
   * Found by the cluster harness: fabric8's store, when a watch closes, waits for the watch's event
   * sender on the server's event loop, and a sender writing an event at that moment needs the event
   * loop: the whole server stopped answering for tens of seconds. Watches are closed here while
   * events flow to them; every other request must still be answered at once.
   */
  @Test
  void closingWatchesWhileEventsFlowDoesNotStallTheServer() throws Exception {
    try (ApiServer api = ApiServer.start(); KubernetesClient writer = api.newClient();
        KubernetesClient watcher = api.newClient(); KubernetesClient reader = new KubernetesClientBuilder()
            .withConfig(new ConfigBuilder(writer.getConfiguration()).withRequestTimeout(20_000).build()).build()) {
      writer.configMaps().inNamespace("t").resource(cm(0)).create();
      AtomicBoolean stop = new AtomicBoolean();
      Thread writes = new Thread(() -> {
        for (int i = 1; !stop.get(); i++) {
          writer.configMaps().inNamespace("t").resource(cm(i)).update();
        }
      }, "writes");
      writes.start();
      long slowest = 0;
      try {
        for (int round = 0; round < 40; round++) {
          CountDownLatch seen = new CountDownLatch(3);
          Watch w = watcher.configMaps().inNamespace("t").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, ConfigMap resource) {
              seen.countDown();
            }

            @Override
            public void onClose(WatcherException cause) { }
          });
          assertThat(seen.await(20, TimeUnit.SECONDS)).as("events reach watch %d", round).isTrue();
          w.close(); // events are being sent to it right now
          long began = System.nanoTime();
          assertThat(reader.configMaps().inNamespace("t").withName("c").get()).isNotNull();
          slowest = Math.max(slowest, System.nanoTime() - began);
        }
      } finally {
        stop.set(true);
        writes.join(30_000);
      }
      assertThat(TimeUnit.NANOSECONDS.toMillis(slowest)).as("slowest answer after a watch closed (ms)")
          .isLessThan(3_000);
    }
  }

  private static ConfigMap cm(int version) {
    return new ConfigMapBuilder().withNewMetadata().withName("c").withNamespace("t").endMetadata()
        .addToData("v", Integer.toString(version)).build();
  }
}
