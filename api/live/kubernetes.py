"""Live checks for a Kubernetes RBAC denial: ask the API server the denied question, as the caller.

SelfSubjectReview says who the kubeconfig's credential is; SelfSubjectAccessReview asks the authorizer
whether that identity may do the denied verb on the denied resource in the namespace; SelfSubjectRulesReview
lists the rules it holds there. All three are answered for the caller itself, need nothing beyond what
every authenticated user may do (system:basic-user), and change nothing. When the caller is not the
denied principal (a service account's denial checked from a laptop), the answer would be about someone
else, so the access review is not asked and the `kubectl auth can-i --as` command is given instead.

CLI only: on a server, its own kubeconfig would be asked about a cluster the paste did not come from.
The `kubernetes` client is imported here, lazily, never on the diagnose path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from api.live.outcome import CheckResult

ACCESS_REVIEW: Final = "kubernetes access review"
RULES_REVIEW: Final = "kubernetes rules review"
WHOAMI: Final = "kubernetes whoami"


def run_kubernetes_checks(
    facts: Mapping[str, Any],
    reason: str | None,
    *,
    timeout: float = 5.0,
    on_server: bool = True,
    api_client: Any = None,
) -> list[CheckResult]:
    """Run the read-only reviews for an RBAC denial; `api_client` is a kubernetes.client.ApiClient (tests)."""
    if on_server:
        return [CheckResult(ACCESS_REVIEW, "refused", "Kubernetes checks run from the CLI, with your kubeconfig.")]
    verb, resource = str(facts.get("action") or ""), str(facts.get("resource") or "")
    if reason != "kubernetes.authz.rbac_forbidden" or not verb or not resource:
        return [CheckResult(ACCESS_REVIEW, "unavailable", "needs an RBAC denial that names a verb and a resource")]
    try:
        from kubernetes import client, config
        from kubernetes.client.exceptions import ApiException
    except ImportError:
        return [CheckResult(ACCESS_REVIEW, "unavailable", "the kubernetes Python client is not installed")]
    if api_client is None:
        try:
            api_client = config.new_client_from_config()  # type: ignore[no-untyped-call]
        except Exception as exc:  # no kubeconfig, no context: nothing to ask
            return [CheckResult(ACCESS_REVIEW, "unavailable", f"no usable kubeconfig ({type(exc).__name__})")]
    results: list[CheckResult] = []
    try:
        me = client.AuthenticationV1Api(api_client).create_self_subject_review(
            client.V1SelfSubjectReview(), _request_timeout=timeout
        )
        username = str(getattr(getattr(me.status, "user_info", None), "username", "") or "")
    except ApiException as exc:
        return [_api_failure(ACCESS_REVIEW, exc, "authentication.k8s.io selfsubjectreviews create")]
    except Exception as exc:  # unreachable server, timeout, TLS
        return [CheckResult(ACCESS_REVIEW, "unavailable", f"the API server did not answer ({type(exc).__name__})")]
    results.append(CheckResult(WHOAMI, "verified", f"the kubeconfig's credential is {username}", {"user": username}))
    principal = str(facts.get("principal") or "")
    namespace = str(facts.get("namespace") or "") or None
    if principal and principal != username:
        command = (
            f"kubectl auth can-i {verb} {resource}" + (f" -n {namespace}" if namespace else "") + f" --as {principal}"
        )
        results.append(
            CheckResult(
                ACCESS_REVIEW,
                "refused",
                f"you are {username}, the denial was for {principal}: ask as them with `{command}` (needs impersonate)",
                {"user": username, "principal": principal},
            )
        )
        return results
    api = client.AuthorizationV1Api(api_client)
    spec = client.V1SelfSubjectAccessReviewSpec(**_attributes(client, facts, verb, resource, namespace))
    try:
        answer = api.create_self_subject_access_review(
            client.V1SelfSubjectAccessReview(spec=spec), _request_timeout=timeout
        )
    except ApiException as exc:
        results.append(_api_failure(ACCESS_REVIEW, exc, "authorization.k8s.io selfsubjectaccessreviews create"))
        return results
    except Exception as exc:
        results.append(
            CheckResult(ACCESS_REVIEW, "unavailable", f"the API server did not answer ({type(exc).__name__})")
        )
        return results
    status = answer.status
    if status is None:
        results.append(CheckResult(ACCESS_REVIEW, "unavailable", "the API server's review had no status"))
        return results
    asked = f"{verb} {resource}" + (f" in {namespace}" if namespace else " at the cluster scope")
    details = {
        "allowed": bool(status.allowed),
        "denied": bool(getattr(status, "denied", False)),
        "reason": status.reason,
    }
    if status.allowed:
        summary = (
            f"the authorizer now allows {username} to {asked}: a binding was added since, "
            "or the request ran as someone else"
        )
        results.append(CheckResult(ACCESS_REVIEW, "contradicted", summary, details))
    else:
        results.append(
            CheckResult(ACCESS_REVIEW, "verified", f"the authorizer does not allow {username} to {asked}", details)
        )
    if namespace:
        results.append(_rules(client, api, namespace, timeout, ApiException))
    return results


def _attributes(
    client: Any, facts: Mapping[str, Any], verb: str, resource: str, namespace: str | None
) -> dict[str, Any]:
    """The review's attributes: a resource (with group and subresource) or a non-resource path."""
    if resource.startswith("/"):
        return {"non_resource_attributes": client.V1NonResourceAttributes(path=resource, verb=verb)}
    written, _, subresource = resource.partition("/")
    plural, _, group = written.partition(".")  # kubectl writes deployments.apps; "" is the core group
    group = str(facts.get("api_group") or group)
    name = str(facts.get("resource_name") or "") or None
    attributes = client.V1ResourceAttributes(
        verb=verb, resource=plural, group=group, subresource=subresource or None, namespace=namespace, name=name
    )
    return {"resource_attributes": attributes}


def _rules(client: Any, api: Any, namespace: str, timeout: float, api_exception: type[Exception]) -> CheckResult:
    review = client.V1SelfSubjectRulesReview(spec=client.V1SelfSubjectRulesReviewSpec(namespace=namespace))
    try:
        answer = api.create_self_subject_rules_review(review, _request_timeout=timeout)
    except api_exception as exc:
        return _api_failure(RULES_REVIEW, exc, "authorization.k8s.io selfsubjectrulesreviews create")
    except Exception as exc:
        return CheckResult(RULES_REVIEW, "unavailable", f"the API server did not answer ({type(exc).__name__})")
    rules = [
        {
            "verbs": list(rule.verbs or []),
            "api_groups": list(rule.api_groups or []),
            "resources": list(rule.resources or []),
        }
        for rule in (answer.status.resource_rules or [])[:50]
    ]
    incomplete = bool(answer.status.incomplete)
    summary = f"{len(rules)} resource rules in {namespace}" + (" (the list is incomplete)" if incomplete else "")
    return CheckResult(RULES_REVIEW, "verified", summary, {"rules": rules, "incomplete": incomplete})


def _api_failure(check: str, exc: Any, needs: str) -> CheckResult:
    if getattr(exc, "status", None) in (401, 403):
        return CheckResult(check, "not permitted", f"the API server refused the review ({exc.status})", needs=needs)
    return CheckResult(check, "unavailable", f"the API server answered {getattr(exc, 'status', '?')}")
