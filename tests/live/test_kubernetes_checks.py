"""The Kubernetes live checks, against a local server answering with the kubernetes client's own models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.live.apply import live_checks
from api.live.kubernetes import run_kubernetes_checks
from tests.live.fake_kubernetes import FakeKubernetes

pytest.importorskip("kubernetes")

DENIAL = {
    "principal": "jane@example.com",
    "action": "patch",
    "resource": "deployments.apps/scale",
    "api_group": "apps",
    "namespace": "prod",
    "resource_name": "web",
}
REASON = "kubernetes.authz.rbac_forbidden"


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    server = FakeKubernetes()
    yield server
    server.stop()


def test_the_access_review_asks_the_denied_question_and_confirms_the_denial(fake: FakeKubernetes) -> None:
    from kubernetes import client

    fake.rules = [client.V1ResourceRule(verbs=["get"], api_groups=["apps"], resources=["deployments"])]
    results = run_kubernetes_checks(DENIAL, REASON, on_server=False, api_client=fake.start())
    by_check = {result.check: result for result in results}
    assert by_check["kubernetes whoami"].details == {"user": "jane@example.com"}
    assert by_check["kubernetes access review"].outcome == "verified"
    asked = next(body for name, body in fake.requests if name == "access")["spec"]["resourceAttributes"]
    assert asked == {
        "verb": "patch", "resource": "deployments", "group": "apps", "subresource": "scale",
        "namespace": "prod", "name": "web",
    }  # fmt: skip
    rules = by_check["kubernetes rules review"].details["rules"]
    assert rules == [{"verbs": ["get"], "api_groups": ["apps"], "resources": ["deployments"]}]


def test_an_allowed_answer_contradicts_and_lowers_the_confidence(
    fake: FakeKubernetes, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.allowed = True
    api_client = fake.start()
    import api.live.kubernetes as live

    real = live.run_kubernetes_checks
    monkeypatch.setattr(live, "run_kubernetes_checks", lambda *a, **k: real(*a, **{**k, "api_client": api_client}))
    results, confidence = live_checks("kubernetes", REASON, DENIAL, 0.95, on_server=False)
    assert {r["check"]: r["outcome"] for r in results}["kubernetes access review"] == "contradicted"
    assert confidence == 0.5


def test_another_identity_is_not_reviewed_and_gets_the_impersonating_command(fake: FakeKubernetes) -> None:
    denial = {**DENIAL, "principal": "system:serviceaccount:ci:deployer"}
    results = run_kubernetes_checks(denial, REASON, on_server=False, api_client=fake.start())
    review = results[-1]
    assert review.outcome == "refused"
    assert "--as system:serviceaccount:ci:deployer" in review.summary
    assert [name for name, _ in fake.requests] == ["whoami"]  # the access review was never sent


def test_a_cluster_scoped_path_is_asked_as_a_non_resource_url(fake: FakeKubernetes) -> None:
    denial = {"principal": "jane@example.com", "action": "get", "resource": "/metrics"}
    results = run_kubernetes_checks(denial, REASON, on_server=False, api_client=fake.start())
    assert results[-1].outcome == "verified"  # no namespace: no rules review
    asked = next(body for name, body in fake.requests if name == "access")["spec"]
    assert asked == {"nonResourceAttributes": {"path": "/metrics", "verb": "get"}}


def test_a_refused_review_says_not_permitted_and_names_what_it_needs(fake: FakeKubernetes) -> None:
    fake.refused = {"access": 403}
    results = run_kubernetes_checks(DENIAL, REASON, on_server=False, api_client=fake.start())
    assert (results[-1].outcome, results[-1].needs) == (
        "not permitted", "authorization.k8s.io selfsubjectaccessreviews create"
    )  # fmt: skip


def test_on_a_server_or_for_another_reason_nothing_is_asked(fake: FakeKubernetes) -> None:
    api_client = fake.start()
    assert run_kubernetes_checks(DENIAL, REASON, api_client=api_client)[0].outcome == "refused"
    other = run_kubernetes_checks(DENIAL, "kubernetes.authn.unauthorized", on_server=False, api_client=api_client)
    assert other[0].outcome == "unavailable"
    assert fake.requests == []


def test_an_unreachable_server_is_unavailable() -> None:
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = "http://127.0.0.1:9"  # the discard port: nothing listens
    results = run_kubernetes_checks(
        DENIAL, REASON, on_server=False, timeout=2, api_client=client.ApiClient(configuration)
    )
    assert results[0].outcome == "unavailable"
