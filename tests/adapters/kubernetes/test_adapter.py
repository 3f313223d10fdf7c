"""The Kubernetes adapter: the layer that said no, the facts commands need, and what it must leave alone.

Texts follow the API server's own wording (kubernetes.io, staging/src/k8s.io/apiserver); the real
pastes, with their sources, are in tests/corpus/kubernetes/.
"""

from __future__ import annotations

import pytest

from adapters.registry import diagnose


def test_namespaced_rbac_denial_names_verb_resource_group_and_namespace() -> None:
    d = diagnose(
        'Error from server (Forbidden): deployments.apps "api" is forbidden: User "system:serviceaccount:ci:deployer" '
        'cannot patch resource "deployments" in API group "apps" in the namespace "prod"'
    )
    assert (d.provider, d.reason, d.category) == ("kubernetes", "kubernetes.authz.rbac_forbidden", "authorization")
    assert d.facts == {
        "principal": "system:serviceaccount:ci:deployer",
        "action": "patch",
        "resource": "deployments.apps",
        "api_group": "apps",
        "namespace": "prod",
        "resource_name": "api",
        "code": "Forbidden",
    }


def test_cluster_scoped_denial_has_no_namespace_and_a_subresource_keeps_its_slash() -> None:
    d = diagnose(
        'nodes "n1" is forbidden: User "jane" cannot get resource "nodes/proxy" in API group "" at the cluster scope'
    )
    assert d.reason == "kubernetes.authz.rbac_forbidden"
    assert d.facts["resource"] == "nodes/proxy" and "namespace" not in d.facts and "api_group" not in d.facts
    assert d.facts["cluster_scope"] == "true"


def test_pre_1_14_wording_and_non_resource_paths_are_read() -> None:
    old = diagnose(
        'configmaps is forbidden: User "system:serviceaccount:kube-system:default" cannot list configmaps in the namespace "kube-system"'
    )
    assert (old.reason, old.facts["action"], old.facts["resource"], old.facts["namespace"]) == (
        "kubernetes.authz.rbac_forbidden", "list", "configmaps", "kube-system"
    )  # fmt: skip
    path = diagnose('forbidden: User "system:anonymous" cannot get path "/"')
    assert (path.reason, path.facts["principal"], path.facts["resource"]) == (
        "kubernetes.authz.rbac_forbidden", "system:anonymous", "/"
    )  # fmt: skip


def test_a_status_object_posted_as_json_is_read_whatever_the_nesting() -> None:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "a"',
        "reason": "Forbidden",
        "details": {"kind": "secrets"},
        "code": 403,
    }
    for document in (status, {"response": {"body": status}}, [{"x": 1}, status]):
        d = diagnose(document)
        assert (d.reason, d.facts["namespace"], d.facts["status_code"]) == ("kubernetes.authz.rbac_forbidden", "a", 403)
    unauthorized = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    assert diagnose(unauthorized).reason == "kubernetes.authn.unauthorized"


def test_a_cloud_denial_inside_a_pod_stays_with_the_cloud() -> None:
    # IRSA: the pod's role lacks s3:GetObject; the service account name in the session is not a Kubernetes denial
    irsa = diagnose(
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: "
        "User: arn:aws:sts::123456789012:assumed-role/eks-app-role/botocore-session-1 is not authorized to perform: "
        's3:GetObject on resource: "arn:aws:s3:::data/x" because no identity-based policy allows the s3:GetObject action '
        "(pod default/app, serviceAccount system:serviceaccount:default:app)"
    )
    assert irsa.provider == "aws"
    # GKE: the API server says which IAM permission is missing, so the fix is in Google IAM
    gke = diagnose(
        'pods is forbidden: User "a@b.com" cannot list resource "pods" in API group "" in the namespace "default": '
        'requires one of ["container.pods.list"] permission(s).'
    )
    assert gke.provider == "gcp"


def test_credential_plugin_failure_is_not_the_clusters_401() -> None:
    d = diagnose(
        "Unable to connect to the server: getting credentials: exec: executable gke-gcloud-auth-plugin not found"
    )
    assert (d.reason, d.facts["credential_plugin"], d.facts["platform"]) == (
        "kubernetes.authn.exec_plugin_failed", "gke-gcloud-auth-plugin", "gke"
    )  # fmt: skip
    assert (
        diagnose("error: You must be logged in to the server (Unauthorized)").reason == "kubernetes.authn.unauthorized"
    )


def test_an_eks_401_points_to_the_access_entry() -> None:
    d = diagnose(
        "$ aws eks update-kubeconfig --name prod --region us-east-1\n$ kubectl get pods\n"
        "error: You must be logged in to the server (Unauthorized)"
    )
    assert (d.reason, d.category, d.facts["platform"]) == (
        "kubernetes.authn.eks_access_entry_missing",
        "authentication",
        "eks",
    )


def test_pod_security_enforce_denies_and_warn_only_warns() -> None:
    enforce = diagnose(
        'Error from server (Forbidden): error when creating "pod.yaml": pods "p" is forbidden: violates PodSecurity '
        '"restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)'
    )
    assert (enforce.reason, enforce.facts["pod_security_level"]) == (
        "kubernetes.other.admission_denied",
        "restricted:latest",
    )
    warn = diagnose('Warning: would violate PodSecurity "restricted:latest": runAsNonRoot != true\npod/p created')
    assert (warn.provider, warn.reason, warn.facts["pod_security_level"]) == ("kubernetes", None, "restricted:latest")
    assert warn.note and "admitted" in warn.note


def test_admission_webhook_names_the_webhook() -> None:
    d = diagnose(
        'Error from server (Forbidden): admission webhook "validation.gatekeeper.sh" denied the request: [must-have-owner] you must provide labels: {"owner"}'
    )
    assert (d.reason, d.facts["webhook"]) == ("kubernetes.other.admission_denied", "validation.gatekeeper.sh")


@pytest.mark.parametrize(
    "text",
    [
        'Error from server (Forbidden): pods "x" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10',
        'Error from server (NotFound): pods "web-0" not found',
        "The connection to the server localhost:8080 was refused - did you specify the right host or port?",
        'Error from server (AlreadyExists): namespaces "dev" already exists',
        'Internal error occurred: failed calling webhook "mutate.example.com": Post "https://svc.ns.svc:443/m": context deadline exceeded',
    ],
)
def test_look_alikes_are_kubernetes_but_not_access_failures(text: str) -> None:
    d = diagnose(text)
    assert (d.provider, d.reason, d.category) == ("kubernetes", None, "other")
    assert d.note


def test_a_bare_unauthorized_is_not_claimed_without_a_hint() -> None:
    assert diagnose("Unauthorized").provider != "kubernetes"
    assert diagnose("Unauthorized", provider="kubernetes").reason == "kubernetes.authn.unauthorized"


def test_the_adapter_answers_with_every_kubernetes_reason_of_the_taxonomy() -> None:
    from adapters.kubernetes.adapter import CATEGORY_OF
    from api.catalog import content_root
    from api.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(content_root() / "taxonomy.yaml")
    ours = {rid: info.category for rid, info in taxonomy.reasons.items() if info.provider == "kubernetes"}
    assert ours == CATEGORY_OF


def test_an_eks_console_message_and_an_aws_plugin_point_to_eks() -> None:
    console = diagnose("Your current IAM principal doesn't have access to Kubernetes objects on this cluster")
    assert (console.reason, console.facts["platform"]) == ("kubernetes.authn.eks_access_entry_missing", "eks")
    plugin = diagnose(
        "Unable to connect to the server: getting credentials: exec: executable aws failed with exit code 255"
    )
    assert (plugin.reason, plugin.facts["platform"]) == ("kubernetes.authn.exec_plugin_failed", "eks")
    # the AWS CLI's own error inside the plugin's output is the AWS adapter's to read
    expired = diagnose(
        "An error occurred (ExpiredToken) when calling the AssumeRole operation: The security token included in "
        "the request is expired\nUnable to connect to the server: getting credentials: exec: executable aws failed "
        "with exit code 254"
    )
    assert expired.provider == "aws"
