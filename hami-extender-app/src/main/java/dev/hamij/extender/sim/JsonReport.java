package dev.hamij.extender.sim;

import dev.hamij.core.sim.SimSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The {@code --json} output: the invocation, each policy's summary and every run's full result; NaN written as null. */
final class JsonReport {
  private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private JsonReport() {}

  static void write(SimulateCommand.Outcome o, Path file) throws IOException {
    Files.writeString(file, JSON.writeValueAsString(tree(o)) + "\n");
  }

  static JsonNode tree(SimulateCommand.Outcome o) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("command", o.command());
    root.put("cluster", Map.of("source", o.cluster(), "nodes", o.nodes(), "gpus", o.gpus()));
    root.put("workload", Map.of("source", o.workload(), "podsPerRun", o.pods()));
    root.put("tieRule", o.tieRule());
    root.put("seeds", o.seeds());
    if (o.trace()) {
      root.put("citation", SimulateCommand.CITATION);
    }
    List<Map<String, Object>> policies = new ArrayList<>();
    for (SimSummary s : o.summaries()) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("policy", s.policy());
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("allocationAt100Pct", s.allocationAt100());
      summary.put("allocationMeanPct", s.allocationMean());
      summary.put("allocationPeakPct", s.allocationPeak());
      summary.put("waitMeanMillis", s.waitMean());
      summary.put("gpusFull", s.gpusFull());
      summary.put("gpusShared", s.gpusShared());
      summary.put("failed", s.failed());
      summary.put("pendingAtEnd", s.pendingAtEnd());
      summary.put("fragmentationAtLastArrivalPct", s.fragmentationAtLastArrival());
      summary.put("latencyP50Nanos", s.p50Nanos());
      summary.put("latencyP99Nanos", s.p99Nanos());
      summary.put("allocationQuartilesByArrived", s.curve());
      p.put("summary", summary);
      p.put("runs", s.runs());
      policies.add(p);
    }
    root.put("policies", policies);
    return clean(JSON.valueToTree(root));
  }

  /** Replaces NaN and infinite numbers by null. */
  private static JsonNode clean(JsonNode n) {
    if (n instanceof ObjectNode o) {
      for (String k : new ArrayList<>(o.propertyNames())) {
        JsonNode v = o.get(k);
        if (v.isNumber() && !Double.isFinite(v.asDouble())) {
          o.putNull(k);
        } else {
          clean(v);
        }
      }
    } else if (n instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        JsonNode v = a.get(i);
        if (v.isNumber() && !Double.isFinite(v.asDouble())) {
          a.setNull(i);
        } else {
          clean(v);
        }
      }
    }
    return n;
  }
}
