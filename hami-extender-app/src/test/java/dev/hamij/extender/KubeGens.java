package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.testing.AnnotationGens;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Mutations;
import io.fabric8.kubernetes.api.model.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Seeded generators of the Kubernetes objects and wire documents the extender reads: GPU pods (with
 * HAMi's pod annotations, sometimes forged allocation annotations, edge-value quantities), GPU
 * nodes, ResourceQuotas, {@code ExtenderArgs}, {@code ExtenderBindingArgs}, AdmissionReviews and
 * cluster snapshots. Values are mostly valid; a share of fields carry hostile values on purpose.
 */
final class KubeGens {
  private KubeGens() {}

  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final YAMLMapper YAML = YAMLMapper.builder().build();
  static final List<String> GPU_NODES = List.of("gpu-1", "gpu-2", "gpu-3");
  private static final List<String> RESOURCES = List.of("nvidia.com/gpu", "nvidia.com/gpumem",
      "nvidia.com/gpumem-percentage", "nvidia.com/gpucores", "nvidia.com/priority", "cpu", "memory");
  private static final List<String> USERS = List.of("alice", "system:serviceaccount:hami-system:hami-scheduler",
      "system:serviceaccount:hami-system:hami-device-plugin", "system:serviceaccount:default:default",
      "system:node:gpu-1", "");

  /** A quantity string: mostly small valid numbers, sometimes an edge value. */
  static Gen<String> quantity() {
    return (r, s) -> switch (r.nextInt(10)) {
      case 0 -> Mutations.NUMBER_EDGES.get(r.nextInt(Mutations.NUMBER_EDGES.size()));
      case 1 -> (1 + r.nextInt(64)) + "Gi";
      case 2 -> (100 * (1 + r.nextInt(10))) + "m";
      default -> Integer.toString(r.nextInt(r.nextBoolean() ? 4 : 20_000) + 1);
    };
  }

  /** HAMi's pod annotations, valid or hostile, plus (sometimes) forged allocation annotations. */
  static Gen<Map<String, String>> podAnnotations() {
    return (r, s) -> {
      Map<String, String> a = new LinkedHashMap<>();
      int n = r.nextInt(Math.min(s, 6) + 1);
      for (int i = 0; i < n; i++) {
        switch (r.nextInt(12)) {
          case 0 -> a.put(Annotations.USE_GPU_TYPE, r.nextBoolean() ? "T4" : "A100,Tesla");
          case 1 -> a.put(Annotations.NOUSE_GPU_TYPE, "V100");
          case 2 -> a.put(Annotations.USE_GPU_UUID, Fixtures.gpuId(pick(r, GPU_NODES), r.nextInt(3)));
          case 3 -> a.put(Annotations.NUMA_BIND, pick(r, List.of("true", "false", "1", "yes")));
          case 4 -> a.put(Annotations.NODE_SCHEDULER_POLICY, pick(r, List.of("binpack", "spread", "x")));
          case 5 -> a.put(Annotations.GPU_SCHEDULER_POLICY, pick(r, List.of("binpack", "spread", "topology-aware",
              "mutex", "numa", "binpack,numa", "???")));
          case 6 -> a.put(Annotations.DEVICE_SCORING_WEIGHTS,
              AnnotationGens.hostile(AnnotationGens.scoringWeights()).generate(r, s));
          case 7 -> a.put(Annotations.DEVICES_ALLOCATED, AnnotationGens.hostile(AnnotationGens.podDevices()).generate(r, s));
          case 8 -> a.put(Annotations.VGPU_NODE, pick(r, GPU_NODES));
          case 9 -> a.put(Annotations.MIG_ALLOCATIONS, AnnotationGens.hostile(AnnotationGens.migAllocations()).generate(r, s));
          case 10 -> a.put(Annotations.BIND_PHASE, pick(r, List.of("allocating", "success", "failed", "")));
          default -> a.put(Annotations.VGPU_MODE, pick(r, List.of("hami-core", "mig", "mps")));
        }
      }
      return a;
    };
  }

  private static Gen<ObjectNode> container(String name) {
    return (r, s) -> {
      ObjectNode c = F.objectNode().put("name", name).put("image", "cuda");
      ObjectNode resources = c.putObject("resources");
      for (int i = 0, n = r.nextInt(4) + (r.nextInt(5) == 0 ? 0 : 1); i < n; i++) {
        child(resources, r.nextInt(4) == 0 ? "requests" : "limits").put(pick(r, RESOURCES), quantity().generate(r, s));
      }
      if (!resources.path("limits").has("nvidia.com/gpu") && r.nextBoolean()) {
        child(resources, "limits").put("nvidia.com/gpu", Integer.toString(1 + r.nextInt(2)));
      }
      if (r.nextInt(4) == 0) {
        c.putArray("env").addObject()
            .put("name", pick(r, List.of("CUDA_DEVICE_MEMORY_SHARED_CACHE", "NVIDIA_VISIBLE_DEVICES", "X"))).put("value", "1");
      }
      if (r.nextInt(8) == 0) {
        c.putObject("securityContext").put("privileged", true);
      }
      return c;
    };
  }

  private static ObjectNode child(ObjectNode parent, String name) {
    return parent.has(name) ? (ObjectNode) parent.get(name) : parent.putObject(name);
  }

  /** A pod in namespace default or limited, 0..2 init and 1..3 regular containers. */
  static Gen<ObjectNode> pod() {
    return (r, s) -> {
      ObjectNode pod = F.objectNode().put("apiVersion", "v1").put("kind", "Pod");
      ObjectNode meta = pod.putObject("metadata").put("name", "pod-" + r.nextInt(1000))
          .put("namespace", r.nextInt(5) == 0 ? "limited" : "default").put("uid", "uid-" + r.nextInt(1_000_000));
      Map<String, String> annotations = podAnnotations().generate(r, s);
      if (!annotations.isEmpty()) {
        ObjectNode a = meta.putObject("annotations");
        annotations.forEach(a::put);
      }
      ObjectNode spec = pod.putObject("spec").put("schedulerName", pick(r, List.of("hami-scheduler", "default-scheduler", "")));
      int init = r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0;
      ArrayNode initList = init == 0 ? null : spec.putArray("initContainers");
      for (int i = 0; i < init; i++) {
        initList.add(container("init-" + i).generate(r, s));
      }
      ArrayNode main = spec.putArray("containers");
      for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
        main.add(container("c-" + i).generate(r, s));
      }
      if (r.nextInt(6) == 0) {
        spec.put("nodeName", pick(r, GPU_NODES));
      }
      ObjectNode status = pod.putObject("status").put("phase", pick(r, List.of("Pending", "Running", "Succeeded", "Failed")));
      if (init > 0 && r.nextBoolean()) {
        ArrayNode statuses = status.putArray("initContainerStatuses");
        for (int i = 0; i < init; i++) {
          statuses.addObject().put("name", "init-" + i).putObject("state").putObject("terminated")
              .put("exitCode", r.nextInt(2));
        }
      }
      return pod;
    };
  }

  /** A node with a register annotation that is mostly valid (sometimes damaged) and allocatable GPUs. */
  static Gen<ObjectNode> node() {
    return (r, s) -> {
      ObjectNode node = F.objectNode().put("apiVersion", "v1").put("kind", "Node");
      ObjectNode a = node.putObject("metadata").put("name", r.nextBoolean() ? pick(r, GPU_NODES) : "sim-" + r.nextInt(9))
          .putObject("annotations").put(Annotations.NODE_NVIDIA_REGISTER, r.nextInt(4) == 0
              ? AnnotationGens.hostile(AnnotationGens.register()).generate(r, s) : AnnotationGens.register().generate(r, s));
      if (r.nextInt(4) == 0) {
        a.put(Annotations.NODE_NVIDIA_SCORE, AnnotationGens.hostile(AnnotationGens.pairScores()).generate(r, s));
      }
      if (r.nextInt(4) == 0) {
        a.put(Annotations.DEVICE_CORDON, AnnotationGens.noise().generate(r, s));
      }
      if (r.nextInt(4) == 0) {
        a.put(Annotations.NODE_HANDSHAKE, AnnotationGens.hostile(AnnotationGens.handshake()).generate(r, s));
      }
      if (r.nextInt(6) == 0) {
        a.put(Annotations.NODE_LOCK, AnnotationGens.hostile(AnnotationGens.nodeLock()).generate(r, s));
      }
      node.putObject("status").putObject("allocatable").put("nvidia.com/gpu", Integer.toString(1 + r.nextInt(80)));
      return node;
    };
  }

  static Gen<ObjectNode> quota() {
    return (r, s) -> {
      ObjectNode q = F.objectNode().put("apiVersion", "v1").put("kind", "ResourceQuota");
      q.putObject("metadata").put("name", "gpu-" + r.nextInt(3)).put("namespace", r.nextBoolean() ? "limited" : "default");
      q.putObject("spec").putObject("hard").put(pick(r, List.of("limits.nvidia.com/gpumem", "limits.nvidia.com/gpucores",
          "pods")), quantity().generate(r, s));
      return q;
    };
  }

  /** {@code ExtenderArgs} JSON: node-cache mode (NodeNames) or simulation mode (Nodes), key case varied. */
  static Gen<String> extenderArgs() {
    return (r, s) -> {
      String podKey = pick(r, List.of("Pod", "pod", "POD"));
      StringBuilder b = new StringBuilder("{\"").append(podKey).append("\":").append(pod().generate(r, s).toString());
      if (r.nextInt(4) == 0) {
        b.append(",\"Nodes\":{\"items\":[");
        for (int i = 0, n = r.nextInt(Math.min(s, 3) + 1); i < n; i++) {
          b.append(i == 0 ? "" : ",").append(node().generate(r, s).toString());
        }
        b.append("]},\"NodeNames\":null");
      } else {
        b.append(",\"Nodes\":null,\"").append(pick(r, List.of("NodeNames", "nodenames"))).append("\":[");
        for (int i = 0, n = r.nextInt(4); i < n; i++) {
          b.append(i == 0 ? "" : ",").append('"').append(r.nextInt(6) == 0 ? "cpu-1" : pick(r, GPU_NODES)).append('"');
        }
        b.append(']');
      }
      return b.append('}').toString();
    };
  }

  /** {@code ExtenderBindingArgs} JSON (pods that mostly do not exist, so binding changes nothing). */
  static Gen<String> bindArgs() {
    return (r, s) -> "{\"PodName\":\"pod-" + r.nextInt(1000) + "\",\"PodNamespace\":\"default\",\"PodUID\":\"uid-"
        + r.nextInt(1_000_000) + "\",\"Node\":\"" + pick(r, GPU_NODES) + "\"}";
  }

  /** An AdmissionReview (v1 or v1beta1) for a pod CREATE or UPDATE by a random user. */
  static Gen<String> admissionReview() {
    return (r, s) -> {
      String op = pick(r, List.of("CREATE", "CREATE", "UPDATE", "UPDATE", "DELETE", "CONNECT"));
      ObjectNode pod = pod().generate(r, s);
      StringBuilder b = new StringBuilder("{\"apiVersion\":\"admission.k8s.io/")
          .append(r.nextInt(4) == 0 ? "v1beta1" : "v1").append("\",\"kind\":\"AdmissionReview\",\"request\":{")
          .append("\"uid\":\"req-").append(r.nextInt(1000)).append("\",")
          .append("\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"").append(r.nextInt(10) == 0 ? "Node" : "Pod")
          .append("\"},\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},")
          .append(r.nextInt(10) == 0 ? "\"subResource\":\"status\"," : "")
          .append("\"namespace\":\"").append(pod.path("metadata").path("namespace").asString()).append("\",")
          .append("\"operation\":\"").append(op).append("\",")
          .append("\"userInfo\":{\"username\":\"").append(pick(r, USERS))
          .append("\",\"groups\":[\"system:authenticated\"").append(r.nextInt(5) == 0 ? ",\"system:masters\"" : "")
          .append("]},\"object\":").append(pod);
      if (op.equals("UPDATE")) {
        b.append(",\"oldObject\":").append(r.nextBoolean() ? pod : pod().generate(r, s));
      }
      return b.append("}}").toString();
    };
  }

  /** A cluster snapshot as YAML or JSON: a Kubernetes List, or multi-document YAML. */
  static Gen<String> snapshot() {
    return (r, s) -> {
      ObjectNode list = F.objectNode().put("apiVersion", "v1").put("kind", "List");
      ArrayNode items = list.putArray("items");
      for (int i = 0, n = 1 + r.nextInt(Math.min(s, 4) + 1); i < n; i++) {
        items.add(node().generate(r, s));
      }
      for (int i = 0, n = r.nextInt(Math.min(s, 5) + 1); i < n; i++) {
        items.add(pod().generate(r, s));
      }
      if (r.nextBoolean()) {
        items.add(quota().generate(r, s));
      }
      return switch (r.nextInt(3)) {
        case 0 -> list.toString();
        case 1 -> YAML.writeValueAsString(list);
        default -> {
          StringBuilder y = new StringBuilder();
          items.forEach(o -> y.append(YAML.writeValueAsString(o)));
          yield y.toString();
        }
      };
    };
  }

  /** One pod as YAML or JSON. */
  static Gen<String> podFile() {
    return (r, s) -> r.nextBoolean() ? YAML.writeValueAsString(pod().generate(r, s)) : pod().generate(r, s).toString();
  }

  static <T> T pick(SplittableRandom r, List<T> values) {
    return values.get(r.nextInt(values.size()));
  }

  /** Nodes registering hami-core GPUs for the ledger the fuzzed requests run against. */
  static List<Node> clusterNodes() {
    List<Node> nodes = new ArrayList<>();
    for (String n : GPU_NODES) {
      nodes.add(Fixtures.gpuNode(n, 2, 16_000));
    }
    nodes.add(Fixtures.plainNode("cpu-1"));
    return nodes;
  }
}
