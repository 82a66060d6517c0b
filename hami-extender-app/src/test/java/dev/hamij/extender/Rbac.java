package dev.hamij.extender;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Kubernetes RBAC evaluated over rendered manifests: the rules a service account gets from the Roles
 * and ClusterRoles of the same manifests through their bindings, matched like the API server's
 * authoriser (API group, resource with subresource, verb, resource names, namespace of a Role or
 * RoleBinding). Roles a binding names that the manifests do not define (Kubernetes' built-in ones)
 * grant nothing here and are listed by {@link #externalRoles()}. Non-resource URLs (discovery) are
 * allowed, as Kubernetes' {@code system:discovery} does for every authenticated user.
 */
public final class Rbac {
  private record Rule(Set<String> groups, Set<String> resources, Set<String> verbs, Set<String> names, String namespace) {
    boolean matches(ApiServer.Call c) {
      return any(groups, c.group()) && any(resources, c.fullResource()) && any(verbs, c.verb())
          && (names.isEmpty() || names.contains(c.name())) && (namespace == null || namespace.equals(c.namespace()));
    }

    private static boolean any(Set<String> set, String value) {
      return set.contains("*") || set.contains(value);
    }
  }

  private final List<Rule> rules;
  private final List<String> external;
  private final List<ApiServer.Call> denied = new CopyOnWriteArrayList<>();

  private Rbac(List<Rule> rules, List<String> external) {
    this.rules = rules;
    this.external = external;
  }

  /** The permissions of service account {@code namespace/name} in the manifests {@code yaml}. */
  public static Rbac forServiceAccount(String yaml, String namespace, String name) {
    @SuppressWarnings("unchecked")
    List<HasMetadata> objects = (List<HasMetadata>) ExtenderWire.KUBE.unmarshal(yaml);
    List<Rule> rules = new ArrayList<>();
    List<String> external = new ArrayList<>();
    for (HasMetadata o : objects) {
      if (o instanceof ClusterRoleBinding b && bindsTo(b.getSubjects(), namespace, name)) {
        grant(objects, b.getRoleRef(), null, null, rules, external);
      } else if (o instanceof RoleBinding b && bindsTo(b.getSubjects(), namespace, name)) {
        grant(objects, b.getRoleRef(), b.getMetadata().getNamespace(), b.getMetadata().getNamespace(), rules, external);
      }
    }
    return new Rbac(rules, external);
  }

  private static boolean bindsTo(List<Subject> subjects, String namespace, String name) {
    return subjects != null && subjects.stream().anyMatch(s -> "ServiceAccount".equals(s.getKind())
        && name.equals(s.getName()) && namespace.equals(s.getNamespace()));
  }

  private static void grant(List<HasMetadata> objects, RoleRef ref, String roleNamespace, String scope, List<Rule> rules,
      List<String> external) {
    List<PolicyRule> policy = null;
    for (HasMetadata o : objects) {
      if (ref.getKind().equals("ClusterRole") && o instanceof ClusterRole r && r.getMetadata().getName().equals(ref.getName())) {
        policy = r.getRules();
      } else if (ref.getKind().equals("Role") && o instanceof Role r && r.getMetadata().getName().equals(ref.getName())
          && r.getMetadata().getNamespace().equals(roleNamespace)) {
        policy = r.getRules();
      }
    }
    if (policy == null) {
      external.add(ref.getKind() + " " + ref.getName());
      return;
    }
    for (PolicyRule p : policy) {
      rules.add(new Rule(set(p.getApiGroups()), set(p.getResources()), set(p.getVerbs()), set(p.getResourceNames()), scope));
    }
  }

  private static Set<String> set(Collection<String> values) {
    return values == null ? Set.of() : new TreeSet<>(values);
  }

  /** Whether the call is authorised. */
  public boolean allows(ApiServer.Call call) {
    return call.nonResource() || rules.stream().anyMatch(r -> r.matches(call));
  }

  /** A gate answering 403 Forbidden to every call these permissions do not allow, remembering them. */
  public ApiServer.Gate gate() {
    return (call, request) -> {
      if (allows(call)) {
        return null;
      }
      denied.add(call);
      return ApiServer.status(403, "Forbidden", "RBAC: " + call + " is not granted");
    };
  }

  /** The calls {@link #gate()} refused so far. */
  public List<ApiServer.Call> denied() {
    return List.copyOf(denied);
  }

  /** Every granted {@code verb group/resource[/sub]} (wildcards as written), for comparing with what was used. */
  public Set<String> grants() {
    Set<String> out = new TreeSet<>();
    for (Rule r : rules) {
      for (String g : r.groups()) {
        for (String res : r.resources()) {
          for (String v : r.verbs()) {
            out.add(v + " " + (g.isEmpty() ? "" : g + "/") + res);
          }
        }
      }
    }
    return out;
  }

  /** Roles bound to the account that the manifests do not define (built-in roles). */
  public List<String> externalRoles() {
    return List.copyOf(external);
  }
}
