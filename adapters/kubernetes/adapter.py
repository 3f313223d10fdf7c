"""The Kubernetes adapter: which layer of the API server (or of the client's kubeconfig) said no.

Order of trust: a cloud's own denial inside the paste defers to that cloud's adapter (a pod reaching
S3 through IRSA, an exec plugin whose AWS or Azure login expired, GKE's IAM requirement); then the
client's credential plugin (the request never left the machine); the RBAC forbidden message; an
admission denial; the look-alikes (quota, NotFound, conflict, TLS, an unreachable server); the
cluster's 401 (on EKS: an IAM identity with no access entry); a bare Status object last.
"""

from __future__ import annotations

from typing import ClassVar, Final

from adapters.base import Category, Diagnosis, Evidence, FindingsBuilder, Payload
from adapters.kubernetes.codes import (
    ADMISSION,
    AKS,
    BARE_UNAUTHORIZED,
    CLOUD_OWN,
    EKS,
    EKS_CONSOLE,
    EXEC_PLUGIN,
    GKE,
    KUBERNETES_MARKERS,
    NOT_ACCESS,
    POD_SECURITY_LEVEL,
    POD_SECURITY_WARNING,
    UNAUTHORIZED,
)
from adapters.kubernetes.grammar import RbacDenial, Status, find_status, read_rbac_denial
from adapters.lazyre import lazy_compile
from adapters.markers import MarkerSet

PROVIDER: Final = "kubernetes"

CATEGORY_OF: Final[dict[str, Category]] = {
    "kubernetes.authn.unauthorized": "authentication",
    "kubernetes.authn.exec_plugin_failed": "authentication",
    "kubernetes.authn.eks_access_entry_missing": "authentication",
    "kubernetes.authz.rbac_forbidden": "authorization",
    "kubernetes.other.admission_denied": "other",
}

_MARKERS: Final = MarkerSet(KUBERNETES_MARKERS)
# kubectl's 'Error from server (Forbidden): ...' names the Status reason
_SERVER_REASON = lazy_compile(r"Error from server \(([A-Za-z]{2,40})\)")
# 'aws eks get-token --cluster-name prod --region us-east-1'; 'arn:aws:eks:us-east-1:123456789012:cluster/prod'
_EKS_CLUSTER = lazy_compile(
    r"(?:--cluster-name|update-kubeconfig --name)[ =]([A-Za-z0-9][A-Za-z0-9_-]{0,99})"
    r"|:eks:[a-z0-9-]{1,30}:\d{12}:cluster/([A-Za-z0-9][A-Za-z0-9_-]{0,99})"
)
# 'getting credentials: exec: executable aws failed', 'executable gke-gcloud-auth-plugin not found'
_PLUGIN = lazy_compile(
    r"executable ([\w.-]{1,100}) (?:not found|failed)|exec: \"([\w.-]{1,100})\": executable file not found"
)
_PLUGIN_NAMES = lazy_compile(r"gke-gcloud-auth-plugin|kubelogin|aws-iam-authenticator|aws eks get-token")
_WS = lazy_compile(r"\s+")


class KubernetesAdapter:
    """Classifies Kubernetes API authentication, RBAC and admission failures."""

    name: ClassVar[str] = PROVIDER

    def parse(self, payload: Payload) -> Diagnosis | None:
        """Classify the payload, or return None when it is not Kubernetes' (or is a cloud's own denial)."""
        status = find_status(payload.data) if payload.data is not None else None
        hinted = payload.provider_hint == PROVIDER
        if status is None and not hinted and not _MARKERS.found(payload.flat):
            return None
        text = payload.flat.replace('\\"', '"')  # a Status message inside a JSON string: User \"jane\"
        if status is not None and status.message:
            text = f"{text} {_WS.sub(' ', status.message)}"
        if CLOUD_OWN.search(text) is not None:
            return None  # the cloud's adapter names the layer (IAM, a deny policy, an expired login)
        found = FindingsBuilder()
        confidence, note = _classify(found, text, status, hinted)
        if confidence == 0.0:
            return None
        _add_facts(found, text, status, payload)
        findings = found.build()
        reason = next((str(f.value) for f in findings if f.field == "reason"), None)
        return Diagnosis(
            provider=PROVIDER,
            reason=reason,
            category=CATEGORY_OF[reason] if reason else "other",
            confidence=confidence,
            findings=findings,
            note=None if reason else note,
        )


def _classify(found: FindingsBuilder, text: str, status: Status | None, hinted: bool) -> tuple[float, str | None]:
    """Record the reason; return the confidence (0.0: not ours after all) and a note for a non-access failure."""
    if (match := EXEC_PLUGIN.search(text)) is not None:
        found.add("reason", "kubernetes.authn.exec_plugin_failed", "reported", f'the words "{match.group(0)}"')
        return 0.9, None
    denial = read_rbac_denial(text)
    if denial is not None:
        found.add("reason", "kubernetes.authz.rbac_forbidden", "reported", denial.basis)
        _add_denial(found, denial)
        return 0.95, None
    if (match := ADMISSION.search(text)) is not None:
        found.add("reason", "kubernetes.other.admission_denied", "reported", f'the words "{match.group(0)[:80]}"')
        found.add("webhook", match.group("webhook") or match.group("vap"), "reported", "the admission message")
        return 0.9, None
    if (match := POD_SECURITY_WARNING.search(text)) is not None:
        found.add("pod_security_level", match.group("level"), "reported", "the PodSecurity warning")
        return 0.85, (
            "a Pod Security warning (warn or audit mode): the object was admitted. It would be refused where the "
            "namespace enforces this level; fix the fields it lists before enforcement is turned on."
        )
    if (match := EKS_CONSOLE.search(text)) is not None:
        found.add("reason", "kubernetes.authn.eks_access_entry_missing", "reported", f'the words "{match.group(0)}"')
        return 0.9, None
    for pattern, note in NOT_ACCESS:
        if pattern.search(text) is not None:
            return 0.85, f"This is a Kubernetes error, but not an access failure: {note}"
    match = UNAUTHORIZED.search(text)
    if match is None and (hinted or status is not None):
        match = BARE_UNAUTHORIZED.search(text)
    if match is not None:
        if EKS.search(text) is not None:
            found.add("reason", "kubernetes.authn.eks_access_entry_missing", "inferred", "a 401 from an EKS cluster")
            return 0.75, None
        found.add("reason", "kubernetes.authn.unauthorized", "reported", f'the words "{match.group(0)}"')
        return 0.9, None
    if status is not None and (status.reason == "Unauthorized" or status.code == 401):
        found.add("reason", "kubernetes.authn.unauthorized", "reported", "the Status reason Unauthorized")
        return 0.85, None
    server_reason = _SERVER_REASON.search(text)
    if (status is not None and (status.reason == "Forbidden" or status.code == 403)) or (
        server_reason is not None and server_reason.group(1) == "Forbidden"
    ):
        found.add("reason", "kubernetes.authz.rbac_forbidden", "inferred", "a Forbidden from the API server")
        return 0.6, None
    if status is not None or server_reason is not None:
        what = (status.reason if status else None) or (server_reason.group(1) if server_reason else "")
        return 0.7, f"This is a Kubernetes API error ({what[:40]}), but not an access failure."
    return 0.0, None


_AWS_PLUGINS: Final = frozenset({"aws", "aws-iam-authenticator", "heptio-authenticator-aws"})


def _recorded(found: FindingsBuilder, key: str) -> str:
    """A fact recorded so far, or an empty string."""
    return next((str(f.value) for f in found.build() if f.field == key), "")


def _add_denial(found: FindingsBuilder, denial: RbacDenial) -> None:
    said: Evidence = "reported"
    found.add("principal", denial.principal, said, denial.basis)
    found.add("action", denial.verb, said, denial.basis)
    found.add("resource", denial.resource, said, denial.basis)
    found.add("api_group", denial.api_group, said, denial.basis)
    found.add("namespace", denial.namespace, said, denial.basis)
    # Stated, not inferred from a missing namespace: a namespace the renderer cannot place must not turn
    # a namespaced denial into a cluster-wide grant.
    found.add("cluster_scope", "true" if denial.cluster_scope else None, said, denial.basis)
    found.add("resource_name", denial.name, said, "the object the message names")


def _add_facts(found: FindingsBuilder, text: str, status: Status | None, payload: Payload) -> None:
    if status is not None:
        found.add("resource_name", status.name, "reported", "the Status details")
        found.add("code", status.reason, "reported", "the Status reason")
    if (server := _SERVER_REASON.search(text)) is not None:
        found.add("code", server.group(1), "reported", "kubectl's Error from server (...)")
    found.add("status_code", payload.status_code or (status.code if status else None), "reported", "the HTTP status")
    if (level := POD_SECURITY_LEVEL.search(text)) is not None:
        found.add("pod_security_level", level.group(1), "reported", "the PodSecurity message")
    if (executable := _PLUGIN.search(text)) is not None:
        found.add(
            "credential_plugin", executable.group(1) or executable.group(2), "reported", "the exec plugin message"
        )
    elif (named := _PLUGIN_NAMES.search(text)) is not None:
        found.add(
            "credential_plugin",
            named.group(0).removeprefix("aws eks get-token").strip() or "aws",
            "reported",
            "the plugin the paste names",
        )
    if (cluster := _EKS_CLUSTER.search(text)) is not None:
        found.add("cluster", cluster.group(1) or cluster.group(2), "reported", "the EKS cluster the paste names")
    # An IAM ARN as the Kubernetes user, or the AWS CLI as the credential plugin, is EKS's
    principal, plugin = (_recorded(found, key) for key in ("principal", "credential_plugin"))
    eks = EKS.search(text) is not None or principal.startswith("arn:aws") or plugin in _AWS_PLUGINS
    platform = "eks" if eks else "gke" if GKE.search(text) else "aks" if AKS.search(text) else None
    found.add("platform", platform, "inferred", "the managed Kubernetes service the paste names")
