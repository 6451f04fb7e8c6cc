"""The cluster's Compose file and Kubernetes manifests: valid, and in step with each other and with the
config generator (the ConfigMap is the generator's output, so it cannot drift from the specs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from tests.cli.process import ROOT
from tests.cluster.conftest import haproxy_or_skip

KUBERNETES = ROOT / "deploy" / "kubernetes"
COMPOSE = ROOT / "docker-compose.cluster.yml"


def documents() -> list[dict[str, Any]]:
    return [doc for path in sorted(KUBERNETES.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())]


def kind(name: str) -> dict[str, Any]:
    (found,) = [doc for doc in documents() if doc["kind"] == name]
    return found


def test_the_kubernetes_manifests_pass_kubernetes_validate() -> None:
    for doc in documents():
        kubernetes_validate.validate(doc, "1.30", strict=True)
    assert {doc["kind"] for doc in documents()} == {"ConfigMap", "Deployment", "Service", "StatefulSet"}


def test_the_configmap_is_the_generated_config_for_the_statefulsets_workers(tmp_path: Path) -> None:
    workers = kind("StatefulSet")
    env = {e["name"]: e.get("value") for e in workers["spec"]["template"]["spec"]["containers"][0]["env"]}
    cluster = env["MOCKSERVER_CLUSTER"]
    assert len(cluster.split(",")) == workers["spec"]["replicas"]
    argv = [sys.executable, "-m", "mockserver", "cluster", "haproxy-config", "--workers", cluster]
    made = subprocess.run(
        [*argv, "--resolvers", "--configmap", "mockserver-haproxy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert made.stdout == (KUBERNETES / "haproxy-config.yaml").read_text(), (
        "deploy/kubernetes/haproxy-config.yaml is stale: regenerate it (README, Running a cluster)"
    )
    config = tmp_path / "haproxy.cfg"
    config.write_text(kind("ConfigMap")["data"]["haproxy.cfg"])
    checked = subprocess.run([haproxy_or_skip(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_every_kubernetes_probe_asks_the_health_endpoint_and_the_balancer_waits_for_each_worker() -> None:
    container = kind("StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/__admin/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/__admin/health"
    (wait,) = kind("Deployment")["spec"]["template"]["spec"]["initContainers"]
    replicas = kind("StatefulSet")["spec"]["replicas"]
    assert f"for n in {' '.join(map(str, range(replicas)))};" in wait["command"][-1]
    headless = [d for d in documents() if d["kind"] == "Service" and d["spec"].get("clusterIP") == "None"]
    assert headless[0]["spec"]["publishNotReadyAddresses"] is True


def test_the_compose_file_parses_and_runs_a_volume_per_worker_named_in_the_cluster(tmp_path: Path) -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    cluster = compose["x-cluster"]
    names = [entry.split("=")[1].split(":")[0] for entry in cluster.split(",")]
    services = compose["services"]
    for name in names:
        assert services[name]["environment"]["MOCKSERVER_CLUSTER"] == cluster
        assert f"{name}:/data" in services[name]["volumes"]
        assert services["haproxy"]["depends_on"][name]["condition"] == "service_healthy"
    assert "--resolvers" in services["balancer-config"]["command"][-1]
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            "cluster",
            "haproxy-config",
            "--workers",
            cluster,
            "--resolvers",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    config = tmp_path / "haproxy.cfg"
    config.write_text(made.stdout)
    checked = subprocess.run([haproxy_or_skip(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
