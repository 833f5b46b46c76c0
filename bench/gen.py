#!/usr/bin/env python3
"""Deterministic generator of Helm-shaped manifest streams for the overhelm benchmark.

    bench/gen.py --size 50M [--seed 42] [--style helm3|helm4] [-o FILE] [--kustomize DIR]

Writes releases of made-up charts until the stream reaches --size bytes (K/M/G suffixes are
powers of 1000). Every release is one of a few chart archetypes, chosen so that the byte mix is
the same at 5 MB and 500 MB (linear-scaling runs compare like with like):

- operator charts: large CustomResourceDefinitions (deep openAPIV3Schema, controller-gen layout,
  `description: |-` blocks), ClusterRoles, a controller Deployment, a webhook Service;
- monitoring charts: ConfigMaps holding big block scalars (Grafana dashboards as JSON, rule
  files), a DaemonSet, a StatefulSet;
- application charts: Deployments, StatefulSets, Jobs, CronJobs with several containers, init
  containers, 6-20 env vars, probes, volumes; Services; Secrets; many small RBAC documents; hook
  Jobs and test Pods (`helm.sh/hook`).

--style helm3 writes Helm 3's form (`---` + `# Source:` line); helm4 writes Helm 4's
(no leading `---`, `postrenderer.helm.sh/postrender-filename` annotation on every document).
Images come from a fixed pool (ghcr.io, docker.io with and without host, quay.io,
registry.k8s.io, digests, a few already mirrored), so the same mirror table applies at every
size. --kustomize DIR also writes DIR/kustomization.yaml whose `images:` entries do exactly the
rewrite bench/overlay.yaml asks of overhelm, for every image name the stream uses.

Same arguments, same bytes: all randomness comes from random.Random(seed).
"""

import argparse
import json
import os
import re
import random
import sys

HARBOR = "harbor.10.0.0.200.nip.io"
MIRRORS = {
    "ghcr.io": f"{HARBOR}/ghcr-proxy",
    "docker.io": f"{HARBOR}/dockerhub-proxy",
    "quay.io": f"{HARBOR}/quay-proxy",
}

# (name as written, tag-or-digest suffix). Weighted towards the registries a chart really uses.
IMAGES = [
    ("ghcr.io/backstage/backstage", ":1.35.0"),
    ("ghcr.io/fluxcd/source-controller", ":v1.4.1"),
    ("ghcr.io/dexidp/dex", ":v2.41.1"),
    ("ghcr.io/external-secrets/external-secrets", ":v0.10.4"),
    ("docker.io/bitnami/postgresql", ":16.4.0-debian-12-r2"),
    ("docker.io/bitnami/redis", ":7.4.1"),
    ("docker.io/grafana/grafana", ":11.3.0"),
    ("nginx", ":1.27.2"),
    ("busybox", ":1.36"),
    ("bitnami/kubectl", ":1.31"),
    ("alpine", "@sha256:" + "beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d"),
    ("quay.io/prometheus/prometheus", ":v2.54.1"),
    ("quay.io/prometheus/node-exporter", ":v1.8.2"),
    ("quay.io/jetstack/cert-manager-controller", ":v1.16.1"),
    ("quay.io/argoproj/argocd", ":v2.13.0@sha256:" + "5a3b9c1e" * 8),
    ("registry.k8s.io/ingress-nginx/controller", ":v1.11.3"),
    ("registry.k8s.io/kube-state-metrics/kube-state-metrics", ":v2.13.0"),
    (f"{HARBOR}/ghcr-proxy/backstage/backstage", ":1.34.0"),
    (f"{HARBOR}/dockerhub-proxy/library/redis", ":7.2"),
]

WORDS = (
    "the of a to in is for on that by this with are be as from it at or an was which not "
    "resource controller field value object reference name namespace secret cluster pod node "
    "container image port service selector label annotation status condition spec template "
    "replica volume mount path key certificate issuer ingress endpoint policy rule schedule "
    "must should may specifies defines optional required default deprecated kubernetes"
).split()


class Raw(str):
    """Text a template prints as it is, unquoted, even where a YAML emitter would quote it:
    `checksum/config: {{ include ... | sha256sum }}` gives a plain hex string, and about 40% of
    those start with a digit."""


class Gen:
    def __init__(self, seed, style):
        self.r = random.Random(seed)
        self.style = style
        self.used_images = set()

    # ---- text helpers -------------------------------------------------------------------------

    def sentence(self, lo, hi):
        words = [self.r.choice(WORDS) for _ in range(self.r.randint(lo, hi))]
        return (" ".join(words)).capitalize() + "."

    def image(self):
        name, suffix = self.r.choice(IMAGES)
        self.used_images.add(name)
        return name + suffix

    # ---- a tiny YAML emitter in Helm's layouts ------------------------------------------------

    def scalar(self, v):
        if isinstance(v, Raw):
            return str(v)
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, (int, float)):
            return str(v)
        s = str(v)
        plain_ok = (
            s
            and s[0] not in "-?:,[]{}#&*!|>'\"%@` "
            and s[-1] != " "
            and ": " not in s
            and " #" not in s
            and s.lower() not in ("true", "false", "yes", "no", "on", "off", "y", "n", "null", "~")
            and not re.match(r"^[-+]?[0-9.]", s)
            and not s.endswith(":")
        )
        return s if plain_ok else json.dumps(s)

    def emit(self, v, indent, out, seq_indent):
        """Appends v (a dict or list) as block YAML at `indent` spaces."""
        pad = " " * indent
        if isinstance(v, dict):
            for k, x in v.items():
                key = self.scalar(k)
                if isinstance(x, str) and "\n" in x:
                    out.append(f"{pad}{key}: |{'-' if not x.endswith(chr(10)) else ''}\n")
                    for line in x.rstrip("\n").split("\n"):
                        out.append(f"{pad}  {line}\n" if line else "\n")
                elif isinstance(x, dict) and x:
                    out.append(f"{pad}{key}:\n")
                    self.emit(x, indent + 2, out, seq_indent)
                elif isinstance(x, list) and x:
                    out.append(f"{pad}{key}:\n")
                    self.emit(x, indent + (2 if seq_indent else 0), out, seq_indent)
                elif isinstance(x, (dict, list)):
                    out.append(f"{pad}{key}: {'{}' if isinstance(x, dict) else '[]'}\n")
                else:
                    out.append(f"{pad}{key}: {self.scalar(x)}\n")
        else:
            for x in v:
                if isinstance(x, dict) and x:
                    sub = []
                    self.emit(x, indent + 2, sub, seq_indent)
                    first = sub[0]
                    sub[0] = pad + "- " + first[indent + 2 :]
                    out.extend(sub)
                elif isinstance(x, list) and x and all(not isinstance(y, (dict, list)) for y in x):
                    out.append(f"{pad}- [{', '.join(self.scalar(y) for y in x)}]\n")
                else:
                    out.append(f"{pad}- {self.scalar(x)}\n")

    def doc(self, template, obj, seq_indent=False, first=False):
        """One document in the chosen Helm form."""
        if self.style == "helm4":
            meta = obj.setdefault("metadata", {})
            meta.setdefault("annotations", {})["postrenderer.helm.sh/postrender-filename"] = template
            head = "" if first else "---\n"
        else:
            head = f"---\n# Source: {template}\n"
        out = [head]
        self.emit(obj, 0, out, seq_indent)
        return "".join(out)

    # ---- objects ------------------------------------------------------------------------------

    def meta(self, rel, name, ns=True, extra=None):
        m = {"name": name}
        if ns:
            m["namespace"] = rel["ns"]
        m["labels"] = {
            "app.kubernetes.io/name": rel["chart"],
            "app.kubernetes.io/instance": rel["name"],
            "app.kubernetes.io/version": rel["version"],
            "app.kubernetes.io/managed-by": "Helm",
            "helm.sh/chart": f"{rel['chart']}-{rel['version']}",
        }
        if extra:
            m["annotations"] = extra
        return m

    def env(self, rel):
        out = []
        for i in range(self.r.randint(6, 20)):
            name = f"{self.r.choice(WORDS).upper()}_{self.r.choice(WORDS).upper()}_{i}"
            pick = self.r.random()
            if pick < 0.55:
                out.append({"name": name, "value": self.r.choice(
                    ["true", "on", "0755", "8080", "info", "https://example.org/x", "1e3", "y", "debug"])})
            elif pick < 0.8:
                out.append({"name": name, "valueFrom": {"secretKeyRef": {
                    "name": f"{rel['name']}-secret", "key": self.r.choice(WORDS)}}})
            else:
                out.append({"name": name, "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}})
        return out

    def container(self, rel, name, with_resources):
        c = {
            "name": name,
            "image": self.image(),
            "imagePullPolicy": "IfNotPresent",
            "args": [f"--{self.r.choice(WORDS)}={self.r.choice(WORDS)}" for _ in range(self.r.randint(0, 5))],
            "env": self.env(rel),
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                              "initialDelaySeconds": 10, "periodSeconds": 10},
            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"},
                               "initialDelaySeconds": 5, "periodSeconds": 5, "failureThreshold": 3},
            "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True},
                             {"name": "tmp", "mountPath": "/tmp"}],
        }
        if not c["args"]:
            del c["args"]
        if with_resources:
            c["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"memory": "512Mi"}}
        return c

    def pod_spec(self, rel, n_containers):
        spec = {"serviceAccountName": f"{rel['name']}-sa"}
        if self.r.random() < 0.5:
            spec["initContainers"] = [self.container(rel, "init-config", False)]
        spec["containers"] = [self.container(rel, f"c{i}", self.r.random() < 0.5)
                              for i in range(n_containers)]
        spec["volumes"] = [{"name": "config", "configMap": {"name": f"{rel['name']}-config"}},
                           {"name": "tmp", "emptyDir": {}}]
        return spec

    def workload(self, rel, kind, name, hook=None):
        sel = {"app.kubernetes.io/name": rel["chart"], "app.kubernetes.io/instance": rel["name"],
               "app.kubernetes.io/component": name}
        template = {"metadata": {"labels": dict(sel), "annotations": {
            "checksum/config": Raw("%064x" % self.r.getrandbits(256))}},
            "spec": self.pod_spec(rel, self.r.randint(1, 3))}
        api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
        obj = {"apiVersion": api, "kind": kind, "metadata": self.meta(rel, name, extra=hook)}
        if kind == "Job":
            template["spec"]["restartPolicy"] = "Never"
            obj["spec"] = {"backoffLimit": 3, "template": template}
        elif kind == "CronJob":
            template["spec"]["restartPolicy"] = "OnFailure"
            obj["spec"] = {"schedule": "*/15 * * * *", "concurrencyPolicy": "Forbid",
                           "jobTemplate": {"spec": {"template": template}}}
        else:
            obj["spec"] = {"selector": {"matchLabels": sel}, "template": template}
            if kind != "DaemonSet":
                obj["spec"]["replicas"] = self.r.randint(1, 3)
            if kind == "StatefulSet":
                obj["spec"]["serviceName"] = f"{name}-hl"
                obj["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
                    "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "8Gi"}}}}]
        return obj

    def schema(self, depth):
        """A controller-gen style openAPIV3Schema node."""
        roll = self.r.random()
        desc = self.sentence(4, 40)
        if self.r.random() < 0.3:
            desc = desc + "\n" + self.sentence(10, 40) + "\n\n" + self.sentence(5, 30)
        self.nodes -= 1
        if depth <= 0 or roll < 0.35 or self.nodes <= 0:
            kind = self.r.choice(["string", "integer", "boolean", "string"])
            node = {"description": desc, "type": kind}
            if kind == "integer":
                node["format"] = "int32"
            elif kind == "string" and self.r.random() < 0.2:
                node["enum"] = [self.r.choice(WORDS).capitalize() for _ in range(3)]
            elif kind == "string" and self.r.random() < 0.2:
                node["pattern"] = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?)$"
            return node
        if roll < 0.5:
            return {"description": desc, "items": self.schema(depth - 1), "type": "array",
                    "x-kubernetes-list-type": "atomic"}
        props = {}
        for _ in range(self.r.randint(2, 7)):
            props[self.r.choice(WORDS) + self.r.choice(WORDS).capitalize()] = self.schema(depth - 1)
        node = {"description": desc, "properties": props, "type": "object"}
        if self.r.random() < 0.4:
            node["required"] = sorted(props)[:2]
        if self.r.random() < 0.1:
            node["x-kubernetes-preserve-unknown-fields"] = True
        return node

    def crd(self, rel, i, target):
        group = f"{rel['chart']}.example.io"
        plural = f"widgets{i}"
        schema = {"description": self.sentence(10, 30), "type": "object", "properties": {
            "apiVersion": {"description": self.sentence(20, 40), "type": "string"},
            "kind": {"description": self.sentence(20, 40), "type": "string"},
            "metadata": {"type": "object"}}}
        out = []
        # Grow spec/status until the CRD reaches its target size (deep schemas, like cert-manager's).
        spec_props = {}
        size = 0
        while size < target:
            key = self.r.choice(WORDS) + self.r.choice(WORDS).capitalize() + str(len(spec_props))
            self.nodes = 120  # one deep subtree of about this many nodes
            spec_props[key] = self.schema(self.r.randint(5, 10))
            size = len(json.dumps(spec_props)) * 11 // 10
        schema["properties"]["spec"] = {"description": self.sentence(5, 20), "type": "object",
                                        "properties": spec_props}
        self.nodes = 60
        schema["properties"]["status"] = self.schema(4)
        obj = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"annotations": {"controller-gen.kubebuilder.io/version": "v0.16.4"},
                            "name": f"{plural}.{group}"},
               "spec": {"group": group, "names": {"kind": f"Widget{i}", "listKind": f"Widget{i}List",
                                                  "plural": plural, "singular": f"widget{i}"},
                        "scope": "Namespaced",
                        "versions": [{"name": "v1", "served": True, "storage": True,
                                      "schema": {"openAPIV3Schema": schema},
                                      "subresources": {"status": {}}}]}}
        return self.doc(f"{rel['chart']}/crds/{plural}.yaml", obj, seq_indent=False)

    def rbac(self, rel, n):
        docs = []
        for i in range(n):
            name = f"{rel['name']}-{self.r.choice(WORDS)}-{i}"
            rules = [{"apiGroups": [self.r.choice(["", "apps", "batch", "networking.k8s.io"])],
                      "resources": [self.r.choice(["pods", "secrets", "configmaps", "deployments", "jobs"])],
                      "verbs": ["get", "list", "watch"]} for _ in range(self.r.randint(1, 4))]
            cluster = self.r.random() < 0.4
            role = {"apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRole" if cluster else "Role",
                    "metadata": self.meta(rel, name, ns=not cluster), "rules": rules}
            binding = {"apiVersion": "rbac.authorization.k8s.io/v1",
                       "kind": "ClusterRoleBinding" if cluster else "RoleBinding",
                       "metadata": self.meta(rel, name, ns=not cluster),
                       "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role["kind"], "name": name},
                       "subjects": [{"kind": "ServiceAccount", "name": f"{rel['name']}-sa",
                                     "namespace": rel["ns"]}]}
            docs.append(self.doc(f"{rel['chart']}/templates/rbac.yaml", role))
            docs.append(self.doc(f"{rel['chart']}/templates/rbac.yaml", binding))
        return docs

    def dashboard(self, target):
        panels = []
        while len(json.dumps(panels)) < target:
            panels.append({"id": len(panels), "type": "timeseries", "title": self.sentence(2, 6),
                           "datasource": {"type": "prometheus", "uid": "${datasource}"},
                           "targets": [{"expr": f'sum(rate(http_requests_total{{job="{self.r.choice(WORDS)}"}}[5m])) by (code)',
                                        "legendFormat": "{{code}}", "refId": "A"}],
                           "gridPos": {"h": 8, "w": 12, "x": 0, "y": len(panels) * 8}})
        return json.dumps({"title": self.sentence(2, 4), "panels": panels, "schemaVersion": 39}, indent=2) + "\n"

    def nginx_conf(self, target):
        lines = ["worker_processes auto;", "events { worker_connections 1024; }", "http {"]
        while sum(len(x) for x in lines) < target:
            host = self.r.choice(WORDS)
            lines += [f"  server {{", f"    listen 8080;", f"    server_name {host}.example.org;",
                      f"    location /{self.r.choice(WORDS)} {{", f"      proxy_pass http://{host}:8080;",
                      "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                      "      # a comment: with a colon --- and dashes", "    }", "", "  }"]
        return "\n".join(lines + ["}"]) + "\n"

    def configmap(self, rel, name, body_key, body):
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self.meta(rel, name),
               "data": {body_key: body, "LOG_LEVEL": "info", "FEATURE_ON": "on"}}
        return self.doc(f"{rel['chart']}/templates/{name}.yaml", obj)

    def secret(self, rel, name):
        data = {f"{self.r.choice(WORDS)}-{i}": "%x" % self.r.getrandbits(320) for i in range(self.r.randint(2, 8))}
        obj = {"apiVersion": "v1", "kind": "Secret", "metadata": self.meta(rel, name),
               "type": "Opaque", "data": data}
        return self.doc(f"{rel['chart']}/templates/secret.yaml", obj)

    def service(self, rel, name, headless=False):
        spec = {"type": "ClusterIP", "ports": [{"name": "http", "port": 80, "targetPort": "http",
                                                "protocol": "TCP"}],
                "selector": {"app.kubernetes.io/name": rel["chart"], "app.kubernetes.io/instance": rel["name"]}}
        if headless:
            spec["clusterIP"] = "None"
        obj = {"apiVersion": "v1", "kind": "Service", "metadata": self.meta(rel, name), "spec": spec}
        return self.doc(f"{rel['chart']}/templates/service.yaml", obj)

    # ---- releases -----------------------------------------------------------------------------

    def release(self, n):
        archetype = ["app", "app", "operator", "monitoring", "app"][n % 5]
        rel = {"name": f"{archetype}{n}", "chart": f"{archetype}{n % 7}", "ns": f"ns-{n % 11}",
               "version": f"1.{n % 13}.{n % 5}"}
        docs = [self.doc(f"{rel['chart']}/templates/serviceaccount.yaml", {
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": self.meta(rel, f"{rel['name']}-sa")})]
        docs.append(self.secret(rel, f"{rel['name']}-secret"))
        tpl = lambda t: f"{rel['chart']}/templates/{t}.yaml"
        if archetype == "operator":
            docs = [self.crd(rel, i, self.r.choice([15_000, 30_000, 60_000, 120_000]))
                    for i in range(self.r.randint(2, 3))] + docs
            docs += self.rbac(rel, self.r.randint(3, 6))
            docs.append(self.service(rel, f"{rel['name']}-webhook"))
            docs.append(self.doc(tpl("deployment"), self.workload(rel, "Deployment", f"{rel['name']}-controller")))
        elif archetype == "monitoring":
            for i in range(self.r.randint(1, 3)):
                docs.append(self.configmap(rel, f"{rel['name']}-dashboard-{i}", "dashboard.json",
                                           self.dashboard(self.r.choice([10_000, 25_000, 60_000]))))
            docs.append(self.configmap(rel, f"{rel['name']}-nginx", "nginx.conf", self.nginx_conf(8_000)))
            docs += self.rbac(rel, self.r.randint(2, 4))
            docs.append(self.service(rel, f"{rel['name']}-hl", headless=True))
            docs.append(self.doc(tpl("daemonset"), self.workload(rel, "DaemonSet", f"{rel['name']}-exporter")))
            docs.append(self.doc(tpl("statefulset"), self.workload(rel, "StatefulSet", f"{rel['name']}-db")))
        else:
            docs.append(self.configmap(rel, f"{rel['name']}-config", "nginx.conf",
                                       self.nginx_conf(self.r.choice([2_000, 6_000, 12_000]))))
            docs += self.rbac(rel, self.r.randint(4, 10))
            for i in range(self.r.randint(1, 3)):
                docs.append(self.service(rel, f"{rel['name']}-svc{i}"))
            for i in range(self.r.randint(2, 5)):
                docs.append(self.doc(tpl(f"deployment-{i}"), self.workload(rel, "Deployment", f"{rel['name']}-web{i}")))
            docs.append(self.doc(tpl("statefulset"), self.workload(rel, "StatefulSet", f"{rel['name']}-db")))
            docs.append(self.doc(tpl("cronjob"), self.workload(rel, "CronJob", f"{rel['name']}-backup")))
            hook = {"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5",
                    "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"}
            docs.append(self.doc(tpl("migrate-job"), self.workload(rel, "Job", f"{rel['name']}-migrate", hook)))
            test = {"apiVersion": "v1", "kind": "Pod",
                    "metadata": self.meta(rel, f"{rel['name']}-test", extra={"helm.sh/hook": "test"}),
                    "spec": {"restartPolicy": "Never", "containers": [self.container(rel, "curl", True)]}}
            docs.append(self.doc(tpl("tests/test-connection"), test))
        return docs


def parse_size(text):
    mult = {"K": 10**3, "M": 10**6, "G": 10**9}
    return int(float(text[:-1]) * mult[text[-1].upper()]) if text[-1].upper() in mult else int(text)


def kustomization(images):
    lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization",
             "resources:", "- input.yaml", "images:"]
    for name in sorted(images):
        host, _, rest = name.partition("/")
        if "." not in host and ":" not in host and host != "localhost":
            host, rest = "docker.io", name  # no registry host: Docker Hub
        if host not in MIRRORS:
            continue
        if host == "docker.io" and "/" not in rest:
            rest = "library/" + rest
        lines += [f"- name: {name}", f"  newName: {MIRRORS[host]}/{rest}"]
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", required=True, help="target size in bytes (5M, 50M, 500M)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--style", choices=["helm3", "helm4"], default="helm3")
    p.add_argument("-o", "--output", default="-")
    p.add_argument("--kustomize", metavar="DIR", help="also write DIR/kustomization.yaml")
    a = p.parse_args()
    target = parse_size(a.size)
    g = Gen(a.seed, a.style)
    out = sys.stdout if a.output == "-" else open(a.output, "w", encoding="utf-8", newline="")
    written, n = 0, 0
    while written < target:
        for text in g.release(n):
            if a.style == "helm4" and written == 0:
                text = text[len("---\n"):]
            out.write(text)
            written += len(text.encode())
        n += 1
    if out is not sys.stdout:
        out.close()
    if a.kustomize:
        os.makedirs(a.kustomize, exist_ok=True)
        with open(os.path.join(a.kustomize, "kustomization.yaml"), "w") as f:
            f.write(kustomization(g.used_images))


if __name__ == "__main__":
    main()
