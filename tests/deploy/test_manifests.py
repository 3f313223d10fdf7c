"""deploy/: the Kustomize overlays render, validate against Kubernetes' schemas, and match the service.

`kubectl kustomize` (Debian's kubectl) renders each overlay as an operator would; kubernetes-validate
checks every object strictly (unknown fields refused) against the schemas it bundles, offline, for
the oldest and the newest Kubernetes versions we claim. Then what a schema cannot know: the pods run
as non-root on a read-only root with a writable /tmp, the probes name endpoints the app has, the
grace period covers the drain, the memory request covers the measured RSS, every WHYDENIED_ variable
is a real setting (and every setting is configured), and the selectors of the Service, autoscaler,
disruption budget and network policy reach the pods.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from sqlalchemy.engine import make_url

from api.main import create_app
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("production", "trial")
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
MEASURED_RSS_MIB = 155  # bench/RESULTS.md: 149-155 MiB after start, flat after 20,000 diagnoses
NOT_CONFIGURED = {"content_dir"}  # the content is baked into the image

if shutil.which("kubectl") is None:
    pytest.skip("kubectl is not installed (Debian's kubectl renders the Kustomize overlays)", allow_module_level=True)


def render(overlay: str) -> list[dict[str, Any]]:
    """`kubectl kustomize deploy/overlays/<overlay>`, as YAML documents."""
    out = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "deploy" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def one(docs: list[dict[str, Any]], kind: str, name: str = "whydenied") -> dict[str, Any]:
    found = [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"].startswith(name)]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    containers = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def test_every_object_is_valid_for_old_and_new_kubernetes(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    for doc in docs:
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)  # raises on any schema error


def test_the_validator_does_refuse_a_wrong_manifest() -> None:
    deployment = one(render("production"), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[1], strict=True)


def test_replicas_run_unprivileged_on_a_read_only_root(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    security = container(docs)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container(docs)["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108 (a mount path, not a file) the only writable places: /tmp and the data dir
    assert "emptyDir" in volumes[mounts["/data"]]


def test_probes_name_the_apps_endpoints_and_the_grace_period_covers_the_drain(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    spec = container(docs)
    routes = set(create_app(Settings()).openapi()["paths"])
    assert spec["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
    assert spec["livenessProbe"]["httpGet"]["path"] == "/healthz" in routes
    assert spec["startupProbe"]["httpGet"]["path"] in routes
    config = one(docs, "ConfigMap", "whydenied-config")["data"]
    pre_stop = int(spec["lifecycle"]["preStop"]["exec"]["command"][-1])
    longest_request = float(config["WHYDENIED_HEADER_TIMEOUT_SECONDS"]) + float(
        config["WHYDENIED_BODY_TIMEOUT_SECONDS"]
    )
    grace = one(docs, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= pre_stop + longest_request  # SIGKILL never cuts a request the server would finish


def test_resources_come_from_the_measured_memory(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    resources = container(docs)["resources"]
    request_mib = int(resources["requests"]["memory"].removesuffix("Mi"))
    limit_mib = int(resources["limits"]["memory"].removesuffix("Mi"))
    assert MEASURED_RSS_MIB < request_mib < limit_mib <= 2 * request_mib


def test_every_variable_is_a_setting_and_every_setting_is_configured(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    spec = container(docs)
    config = one(docs, "ConfigMap", "whydenied-config")
    assert [ref["configMapRef"]["name"] for ref in spec["envFrom"]] == [config["metadata"]["name"]]
    names = set(config["data"]) | {variable["name"] for variable in spec["env"]}
    fields = {f"WHYDENIED_{name.upper()}" for name in Settings.model_fields}
    assert names - fields == set(), "variables the service does not read"
    assert fields - names == {f"WHYDENIED_{name.upper()}" for name in NOT_CONFIGURED}, "settings not configured"
    secret_refs = {variable["valueFrom"]["secretKeyRef"]["name"] for variable in spec["env"]}
    assert {ref.rsplit("-", 1)[0] if ref != "whydenied-secrets" else ref for ref in secret_refs} == {
        "whydenied-secrets"
    }
    # The ConfigMap's values are accepted by the service's own settings model.
    values = {key.removeprefix("WHYDENIED_").lower(): value for key, value in config["data"].items()}
    settings = Settings(**values)
    assert settings.host == "0.0.0.0" and settings.log_format == "json"  # noqa: S104 (a container binds all)


def test_selectors_reach_the_pods(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    deployment = one(docs, "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]

    def selects(selector: dict[str, str]) -> bool:
        return bool(selector) and all(labels.get(key) == value for key, value in selector.items())

    assert selects(deployment["spec"]["selector"]["matchLabels"])
    assert selects(one(docs, "Service")["spec"]["selector"])
    assert selects(one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"])
    assert selects(one(docs, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"])
    target = one(docs, "HorizontalPodAutoscaler")["spec"]
    assert target["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert target["minReplicas"] >= 2
    port = one(docs, "Service")["spec"]["ports"][0]["targetPort"]
    assert port in {p["name"] for p in container(docs)["ports"]}


def test_the_trial_brings_its_own_postgresql_and_redis_named_by_its_secret() -> None:
    docs = render("trial")
    secret = one(docs, "Secret", "whydenied-secrets")
    import base64

    data = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    spec = container(docs)
    referenced = {v["valueFrom"]["secretKeyRef"]["key"] for v in spec["env"]}
    assert referenced <= set(data)
    database = make_url(data["database-url"])
    assert database.get_backend_name() == "postgresql" and database.drivername == "postgresql+psycopg"
    postgres = one(docs, "StatefulSet", "postgres")
    assert one(docs, "Service", "postgres")["metadata"]["name"] == database.host
    assert postgres["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    assert data["rate-limit-redis-url"].startswith(f"redis://{one(docs, 'Service', 'redis')['metadata']['name']}:")
