"""The wire shapes of a Kubernetes denial, as the API server writes them and clients print them.

    RBAC (kube-apiserver's authorizer, k8s >= 1.14; kubectl, client-go, controller-runtime, Helm,
    Terraform and Argo CD all print this message verbatim):
        pods "web-0" is forbidden: User "system:serviceaccount:ci:deployer" cannot create resource
        "pods/exec" in API group "" in the namespace "prod"
        nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope
    RBAC, older servers: User "x" cannot list pods in the namespace "default";
        User "system:anonymous" cannot get path "/"
    The Status object: {"kind":"Status","status":"Failure","message":"...","reason":"Forbidden",
        "details":{"name":"web-0","group":"apps","kind":"deployments"},"code":403}

Every pattern is bounded and has no nested quantifier over the same text (linear time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from adapters.lazyre import lazy_compile

# 'pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API
# group "" in the namespace "default"'; '... cannot list resource "nodes" in API group "" at the cluster scope'
_RBAC = lazy_compile(
    r'User "(?P<user>[^"]{0,256})" cannot (?P<verb>[a-z*]{1,32}) resource "(?P<resource>[^"\s]{1,253})"'
    r' in API group "(?P<group>[^"\s]{0,253})"(?: in the namespace "(?P<ns>[^"\s]{0,253})"|(?P<cluster> at the cluster scope))?'
)
# Servers before 1.14: 'User "system:serviceaccount:kube-system:default" cannot list configmaps in the
# namespace "kube-system"'; 'cannot list nodes at the cluster scope'; OpenShift 3: 'in project "dev"'
_RBAC_OLD = lazy_compile(
    r'User "(?P<user>[^"]{0,256})" cannot (?P<verb>[a-z*]{1,32}) (?P<resource>[a-z][a-z0-9.-]{0,252}(?:/[a-z]{1,40})?)'
    r'(?: in the namespace "(?P<ns>[^"\s]{0,253})"| in project "(?P<project>[^"\s]{0,253})"|(?P<cluster> at the cluster scope))'
)
# Non-resource URLs: 'forbidden: User "system:anonymous" cannot get path "/"'
_RBAC_PATH = lazy_compile(r'User "(?P<user>[^"]{0,256})" cannot (?P<verb>[a-z*]{1,32}) path "(?P<path>[^"\s]{1,512})"')
# The object the request named, before "is forbidden": 'pods "web-0" is forbidden', 'deployments.apps "api" is forbidden'
_OBJECT = lazy_compile(
    r'(?P<kind>[a-z][a-z0-9.-]{0,252}(?:/[a-z]{1,40})?) "(?P<name>[^"\s]{1,253})" is forbidden: User "'
)

# A ServiceAccount as an RBAC subject: system:serviceaccount:NAMESPACE:NAME
SERVICE_ACCOUNT = lazy_compile(r"^system:serviceaccount:([a-z0-9][a-z0-9.-]{0,252}):([a-z0-9][a-z0-9.-]{0,252})$")


@dataclass(frozen=True)
class RbacDenial:
    """What an RBAC forbidden message names."""

    principal: str
    verb: str
    resource: str  # as kubectl writes it: pods, deployments.apps, pods/exec, or a non-resource path
    api_group: str | None
    namespace: str | None
    cluster_scope: bool
    name: str | None
    basis: str


def read_rbac_denial(text: str) -> RbacDenial | None:
    """Return the RBAC denial a message states, in any of the API server's wordings."""
    if (match := _RBAC.search(text)) is not None:
        group = match.group("group")
        resource, _, sub = match.group("resource").partition("/")
        # kubectl and `kubectl create role --resource` write a group's resource as resource.group/sub
        written = f"{resource}.{group}" if group else resource
        written = f"{written}/{sub}" if sub else written
        namespace = match.group("ns")
        return RbacDenial(
            principal=match.group("user"),
            verb=match.group("verb"),
            resource=written,
            api_group=group or None,
            namespace=namespace or None,
            cluster_scope=match.group("cluster") is not None,
            name=_object_name(text),
            basis="the RBAC forbidden message",
        )
    if (match := _RBAC_OLD.search(text)) is not None:
        return RbacDenial(
            principal=match.group("user"),
            verb=match.group("verb"),
            resource=match.group("resource"),
            api_group=None,
            namespace=match.group("ns") or match.group("project") or None,
            cluster_scope=match.group("cluster") is not None,
            name=_object_name(text),
            basis="the RBAC forbidden message (pre-1.14 wording)",
        )
    if (match := _RBAC_PATH.search(text)) is not None:
        return RbacDenial(
            principal=match.group("user"),
            verb=match.group("verb"),
            resource=match.group("path"),
            api_group=None,
            namespace=None,
            cluster_scope=True,
            name=None,
            basis="the RBAC forbidden message for a non-resource URL",
        )
    return None


def _object_name(text: str) -> str | None:
    match = _OBJECT.search(text)
    return match.group("name") if match else None


@dataclass(frozen=True)
class Status:
    """The fields of a metav1.Status object that a reader trusts (each checked for its type)."""

    reason: str | None = None
    message: str | None = None
    code: int | None = None
    name: str | None = None
    group: str | None = None
    kind: str | None = None


_MAX_DEPTH: Final = 6


def find_status(data: Any, depth: int = 0) -> Status | None:
    """Return the first `{"kind": "Status", ...}` in a JSON document (any nesting, any field types)."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(data, dict):
        # kubectl -v prints the object without kind: 'server response object: [{"status": "Failure", ...}]'
        is_status = data.get("kind") == "Status" and data.get("apiVersion", "v1") == "v1"
        if is_status or (data.get("status") == "Failure" and isinstance(data.get("reason"), str) and "code" in data):
            details = data.get("details")
            details = details if isinstance(details, dict) else {}
            return Status(
                reason=_text(data.get("reason")),
                message=_text(data.get("message")),
                code=data["code"] if isinstance(data.get("code"), int) and not isinstance(data["code"], bool) else None,
                name=_text(details.get("name")),
                group=_text(details.get("group")),
                kind=_text(details.get("kind")),
            )
        values = list(data.values())
    elif isinstance(data, list):
        values = data
    else:
        return None
    for value in values[:50]:
        if (found := find_status(value, depth + 1)) is not None:
            return found
    return None


def _text(value: Any) -> str | None:
    return value[:2000] if isinstance(value, str) and value else None
