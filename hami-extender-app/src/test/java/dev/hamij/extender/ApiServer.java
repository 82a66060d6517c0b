package dev.hamij.extender;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's CRUD mock API server behind a gate every request passes first: the gate sees the call as
 * Kubernetes authorises it ({@link Call}: verb, API group, resource, subresource, namespace, name)
 * and may answer instead of the store — a 403 for RBAC ({@link Rbac}), a 409 or 500, a slow answer,
 * a dropped watch. Every call that reached the server is logged. Unlike the bare CRUD store, a
 * Binding sets the pod's {@code spec.nodeName} (and fails for a missing, bound or terminating pod),
 * as the API server does. Reusable by any test that needs an API server (the extender's, the
 * plugin's, the cluster harness).
 */
public final class ApiServer implements AutoCloseable {

  /**
   * One API request as RBAC sees it.
   *
   * @param verb get, list, watch, create, update, patch, delete or deletecollection; for non-resource
   *     URLs the lower-case HTTP method
   * @param group "" for the core group
   * @param resource e.g. {@code pods}; for a non-resource URL the path
   * @param subresource e.g. {@code binding}, or ""
   */
  public record Call(String verb, String group, String resource, String subresource, String namespace, String name) {
    /** {@code resource/subresource} or {@code resource}. */
    public String fullResource() {
      return subresource.isEmpty() ? resource : resource + "/" + subresource;
    }

    /** True for a path outside the resource API (discovery, version). */
    public boolean nonResource() {
      return resource.startsWith("/");
    }

    @Override
    public String toString() {
      return verb + " " + (group.isEmpty() ? "" : group + "/") + fullResource()
          + (namespace.isEmpty() ? "" : " in " + namespace) + (name.isEmpty() ? "" : " " + name);
    }

    /** Parses a request path and method the way the API server's request-info resolver does. */
    public static Call of(String method, String pathAndQuery) {
      int q = pathAndQuery.indexOf('?');
      String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
      String query = q < 0 ? "" : pathAndQuery.substring(q + 1);
      List<String> seg = new ArrayList<>();
      for (String s : path.split("/")) {
        if (!s.isEmpty()) {
          seg.add(s);
        }
      }
      String group;
      int at;
      if (seg.size() >= 2 && seg.get(0).equals("api")) {
        group = "";
        at = 2;
      } else if (seg.size() >= 3 && seg.get(0).equals("apis")) {
        group = seg.get(1);
        at = 3;
      } else {
        return new Call(method.toLowerCase(Locale.ROOT), "", path, "", "", "");
      }
      List<String> rest = seg.subList(at, seg.size());
      boolean watchPath = !rest.isEmpty() && rest.get(0).equals("watch");
      if (watchPath) {
        rest = rest.subList(1, rest.size());
      }
      String namespace = "";
      if (rest.size() >= 3 && rest.get(0).equals("namespaces")) {
        namespace = rest.get(1);
        rest = rest.subList(2, rest.size());
      } else if (rest.size() == 2 && rest.get(0).equals("namespaces")) {
        namespace = rest.get(1);
      }
      if (rest.isEmpty()) {
        return new Call(method.toLowerCase(Locale.ROOT), group, path, "", "", "");
      }
      String resource = rest.get(0);
      String name = rest.size() > 1 ? rest.get(1) : "";
      String sub = rest.size() > 2 ? String.join("/", rest.subList(2, rest.size())) : "";
      boolean watch = watchPath || query.matches("(.*&)?watch=(true|1)(&.*)?");
      String verb = switch (method.toUpperCase(Locale.ROOT)) {
        case "GET" -> watch ? "watch" : name.isEmpty() ? "list" : "get";
        case "POST" -> "create";
        case "PUT" -> "update";
        case "PATCH" -> "patch";
        case "DELETE" -> name.isEmpty() ? "deletecollection" : "delete";
        default -> method.toLowerCase(Locale.ROOT);
      };
      return new Call(verb, group, resource, sub, namespace, name);
    }
  }

  /** Decides about one request before the store sees it. */
  @FunctionalInterface
  public interface Gate {
    /** An answer to send instead of the store's, or null to pass the request on. */
    MockResponse intercept(Call call, RecordedRequest request);
  }

  private final KubernetesMockServer server;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final java.util.ArrayDeque<String> recent = new java.util.ArrayDeque<>();
  private volatile Gate gate = (call, request) -> null;
  /** Makes the watches' socket writes, in order (see {@link WritesOffTheStore}). */
  private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "mock-api-watch-writer");
    t.setDaemon(true);
    return t;
  });

  private ApiServer() {
    KubernetesCrudDispatcher store = new KubernetesCrudDispatcher();
    Dispatcher gated = new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        try {
          return gated(request);
        } catch (RuntimeException | Error e) {
          // the mock would otherwise never answer, and the client would wait for its timeout
          errors.add(request.getMethod() + " " + request.getPath() + ": " + e);
          return status(500, "InternalError", "mock API server failed: " + e);
        }
      }

      private MockResponse gated(RecordedRequest request) {
        Call call = Call.of(request.getMethod(), request.getPath());
        synchronized (recent) {
          recent.addLast(java.time.LocalTime.now() + " " + Thread.currentThread().getName() + " " + call);
          if (recent.size() > 60) {
            recent.removeFirst();
          }
        }
        MockResponse answer = gate.intercept(call, request);
        if (answer != null) {
          return answer;
        }
        calls.add(call);
        if (call.verb().equals("create") && (call.resource().equals("bindings") || call.fullResource().equals("pods/binding"))) {
          return bind(store, call, request);
        }
        MockResponse stored = store.dispatch(request);
        if (stored.getWebSocketListener() != null) {
          return stored.withWebSocketUpgrade(new WritesOffTheStore(stored.getWebSocketListener(), writer));
        }
        return stored;
      }

      @Override
      public void shutdown() {
        store.shutdown();
      }
    };
    server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), new HashMap<>(),
        gated, false);
    server.init();
  }

  /**
   * A Binding as the API server applies it (the CRUD store would only store it): the pod must exist,
   * have the Binding's UID if one is given, be unbound and not being deleted; then its
   * {@code spec.nodeName} is set. 404 or 409 otherwise.
   */
  private static MockResponse bind(KubernetesCrudDispatcher store, Call call, RecordedRequest request) {
    tools.jackson.databind.JsonNode binding = Serialization.jsonMapper().readTree(request.getUtf8Body());
    String name = call.subresource().equals("binding") ? call.name() : binding.path("metadata").path("name").asString("");
    String node = binding.path("target").path("name").asString("");
    String path = "/api/v1/namespaces/" + call.namespace() + "/pods/" + name;
    MockResponse current = store.handleGet(path);
    if (current.code() == 404) {
      return status(404, "NotFound", "pods \"" + name + "\" not found");
    }
    tools.jackson.databind.JsonNode pod = Serialization.jsonMapper().readTree(current.getBody().readUtf8());
    String uid = binding.path("metadata").path("uid").asString("");
    if (!uid.isEmpty() && !uid.equals(pod.path("metadata").path("uid").asString(""))) {
      return status(409, "Conflict", "Precondition failed: UID in precondition: " + uid + ", UID in object meta: "
          + pod.path("metadata").path("uid").asString(""));
    }
    if (!pod.path("metadata").path("deletionTimestamp").isMissingNode()
        && !pod.path("metadata").path("deletionTimestamp").isNull()) {
      return status(409, "Conflict", "pod " + name + " is being deleted, cannot be assigned to a host");
    }
    String bound = pod.path("spec").path("nodeName").asString("");
    if (!bound.isEmpty()) {
      return status(409, "Conflict", "pod " + name + " is already assigned to node \"" + bound + "\"");
    }
    byte[] patch = ("{\"spec\":{\"nodeName\":" + Serialization.jsonMapper().writeValueAsString(node) + "}}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    MockResponse patched = store.handlePatch(new RecordedRequest("HTTP/1.1", io.fabric8.mockwebserver.dsl.HttpMethod.PATCH,
        path, io.fabric8.mockwebserver.http.Headers.builder().add("Content-Type", "application/merge-patch+json").build(),
        new io.fabric8.mockwebserver.http.Buffer(patch)));
    if (patched.code() >= 300) {
      return patched;
    }
    return new MockResponse().setResponseCode(201).setHeader("Content-Type", "application/json")
        .setBody(request.getUtf8Body());
  }

  /** Starts a server on an ephemeral port with an empty store and an open gate. */
  public static ApiServer start() {
    return new ApiServer();
  }

  /** A new client of this server (close it when done). */
  public KubernetesClient newClient() {
    return server.createClient();
  }

  /** Replaces the gate and forgets the calls logged so far (those of the test's own set-up). */
  public void gate(Gate g) {
    this.gate = g;
    calls.clear();
  }

  /** The last requests that reached the server, with the time and thread, for diagnosing stalls. */
  public List<String> recentRequests() {
    synchronized (recent) {
      return List.copyOf(recent);
    }
  }

  /** Requests the mock itself failed on (answered 500), for diagnosis. */
  public List<String> errors() {
    return Collections.unmodifiableList(errors);
  }

  /** The calls that passed the gate, in order. */
  public List<Call> calls() {
    return Collections.unmodifiableList(calls);
  }

  /** Distinct {@code verb group/resource[/sub]} of the calls that passed the gate (non-resource URLs left out). */
  public Set<String> permissionsUsed() {
    Set<String> out = new LinkedHashSet<>();
    for (Call c : calls) {
      if (!c.nonResource()) {
        out.add(c.verb() + " " + (c.group().isEmpty() ? "" : c.group() + "/") + c.fullResource());
      }
    }
    return out;
  }

  /** A Kubernetes {@code Status} answer, e.g. 403 Forbidden or 409 Conflict. */
  public static MockResponse status(int code, String reason, String message) {
    String body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
        + Serialization.jsonMapper().writeValueAsString(message) + ",\"reason\":\"" + reason + "\",\"code\":" + code + "}";
    return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
  }

  @Override
  public void close() {
    server.destroy();
    writer.shutdownNow();
  }

  /**
   * A watch's listener whose socket writes never block the store. fabric8's CRUD store, on a watch's
   * close, waits on the server's only event loop (up to a minute) for the watch's event sender to
   * finish; a sender writing an event at that moment waits for that very event loop (the socket's
   * lock), so every client of the server waited until the store gave up. Here the store's sender only
   * queues the write, a thread of this server makes it, and the close completes at once.
   */
  private static final class WritesOffTheStore extends io.fabric8.mockwebserver.http.WebSocketListener {
    private final io.fabric8.mockwebserver.http.WebSocketListener store;
    private final java.util.concurrent.Executor writer;
    private volatile QueuedWrites socket;

    WritesOffTheStore(io.fabric8.mockwebserver.http.WebSocketListener store, java.util.concurrent.Executor writer) {
      this.store = store;
      this.writer = writer;
    }

    private QueuedWrites queued(io.fabric8.mockwebserver.http.WebSocket ws) {
      QueuedWrites q = socket;
      if (q == null || q.real != ws) {
        q = new QueuedWrites(ws, writer);
        socket = q;
      }
      return q;
    }

    @Override
    public void onBeforeAccept(io.fabric8.mockwebserver.http.WebSocket ws, io.fabric8.mockwebserver.http.Response r) {
      store.onBeforeAccept(queued(ws), r);
    }

    @Override
    public void onOpen(io.fabric8.mockwebserver.http.WebSocket ws, io.fabric8.mockwebserver.http.Response r) {
      store.onOpen(queued(ws), r);
    }

    @Override
    public void onMessage(io.fabric8.mockwebserver.http.WebSocket ws, String text) {
      store.onMessage(queued(ws), text);
    }

    @Override
    public void onMessage(io.fabric8.mockwebserver.http.WebSocket ws, byte[] bytes) {
      store.onMessage(queued(ws), bytes);
    }

    @Override
    public void onPing(io.fabric8.mockwebserver.http.WebSocket ws, byte[] bytes) {
      store.onPing(queued(ws), bytes);
    }

    @Override
    public void onClosing(io.fabric8.mockwebserver.http.WebSocket ws, int code, String reason) {
      store.onClosing(queued(ws), code, reason);
    }

    @Override
    public void onClosed(io.fabric8.mockwebserver.http.WebSocket ws, int code, String reason) {
      store.onClosed(queued(ws), code, reason);
    }

    @Override
    public void onFailure(io.fabric8.mockwebserver.http.WebSocket ws, Throwable t, io.fabric8.mockwebserver.http.Response r) {
      store.onFailure(queued(ws), t, r);
    }
  }

  /** A socket whose writes and close are queued, in order, to a writer thread. */
  private static final class QueuedWrites implements io.fabric8.mockwebserver.http.WebSocket {
    final io.fabric8.mockwebserver.http.WebSocket real;
    private final java.util.concurrent.Executor writer;

    QueuedWrites(io.fabric8.mockwebserver.http.WebSocket real, java.util.concurrent.Executor writer) {
      this.real = real;
      this.writer = writer;
    }

    @Override
    public RecordedRequest request() {
      return real.request();
    }

    @Override
    public boolean send(String text) {
      writer.execute(() -> real.send(text));
      return true;
    }

    @Override
    public boolean send(byte[] bytes) {
      writer.execute(() -> real.send(bytes));
      return true;
    }

    @Override
    public boolean close(int code, String reason) {
      writer.execute(() -> real.close(code, reason));
      return true;
    }
  }
}
