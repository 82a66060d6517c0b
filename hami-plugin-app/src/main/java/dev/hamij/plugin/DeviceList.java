package dev.hamij.plugin;

import dev.hamij.nvidia.AdvertisedDevice;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The devices the plugin currently advertises. Whoever discovers devices or watches their health
 * calls {@link #replace}; every subscriber receives the full list first and then the full list again
 * after each change, in the order the changes happened.
 */
final class DeviceList {

  private final List<Consumer<List<AdvertisedDevice>>> subscribers = new ArrayList<>();
  private List<AdvertisedDevice> current;

  DeviceList(List<AdvertisedDevice> initial) {
    current = validated(initial);
  }

  synchronized List<AdvertisedDevice> current() {
    return current;
  }

  /** Publishes {@code devices} to every subscriber, unless it equals the current list. */
  synchronized void replace(List<AdvertisedDevice> devices) {
    List<AdvertisedDevice> next = validated(devices);
    if (next.equals(current)) {
      return;
    }
    current = next;
    for (Consumer<List<AdvertisedDevice>> subscriber : List.copyOf(subscribers)) {
      subscriber.accept(next);
    }
  }

  /** Delivers the current list to {@code subscriber} now and every later change until unsubscribed. */
  synchronized Runnable subscribe(Consumer<List<AdvertisedDevice>> subscriber) {
    subscribers.add(subscriber);
    subscriber.accept(current);
    return () -> {
      synchronized (this) {
        subscribers.remove(subscriber);
      }
    };
  }

  private static List<AdvertisedDevice> validated(List<AdvertisedDevice> devices) {
    List<AdvertisedDevice> copy = List.copyOf(devices);
    Set<String> ids = new HashSet<>();
    for (AdvertisedDevice device : copy) {
      if (device.id() == null || device.id().isBlank()) {
        throw new IllegalArgumentException("advertised devices: a device has a blank id");
      }
      if (!ids.add(device.id())) {
        throw new IllegalArgumentException("advertised devices: ID " + device.id() + " appears twice");
      }
    }
    return copy;
  }
}
