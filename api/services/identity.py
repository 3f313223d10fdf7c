"""The identity context of a diagnosis: who really made the call, and why each part matters for this denial.

Built from the facts (what the paste states: a CloudTrail record's userIdentity, a Cloud Audit Log
entry's authenticationInfo, the principal of a message) and the derived values (the role behind a
session ARN, the kind of principal), each item with its evidence (`reported` or `inferred`) and basis,
a sentence on why it matters and the official page that sentence rests on. Nothing is invented: an
item whose value the paste does not give is left out, and a section with nothing to say is None.
The one read-only command that shows who the local credentials are closes the section.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from adapters.derived import gcp_service_account_kind

Item = dict[str, str]

# Official pages each "why" rests on.
_CT_IDENTITY: Final = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html"
)
_AWS_SESSION_POLICY: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session"
_AWS_ROOT: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html"
_AWS_IDENTIFIERS: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html"
_AWS_CROSS_ACCOUNT: Final = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
)
_AWS_ASSUME: Final = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"
_AWS_ROLE_CHAINING: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html"
_AWS_SESSION_TAGS: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html"
_AWS_EXTERNAL_ID: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"
_AWS_SOURCE_IDENTITY: Final = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html"
)
_AWS_CONDITION_KEYS: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
_AWS_ACCESS_KEYS: Final = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html"
_GCP_IMPERSONATION: Final = "https://cloud.google.com/iam/docs/service-account-impersonation"
_GCP_PRINCIPALS: Final = "https://cloud.google.com/iam/docs/principal-identifiers"
_GCP_SERVICE_AGENTS: Final = "https://cloud.google.com/iam/docs/service-agents"
_GCP_DEFAULT_SA: Final = "https://cloud.google.com/compute/docs/access/service-accounts#default_service_account"
_GCP_KEYS: Final = "https://cloud.google.com/iam/docs/service-account-creds#user-managed-keys"
_AZURE_SP: Final = "https://learn.microsoft.com/en-us/azure/role-based-access-control/role-assignments-cli"
_AZURE_APP_OBJECTS: Final = (
    "https://learn.microsoft.com/en-us/entra/identity-platform/app-objects-and-service-principals"
)
_K8S_AUTHN: Final = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
_K8S_RBAC: Final = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects"

# The read-only command that names the caller of the local credentials, per provider.
WHOAMI: Final = {
    "aws": "aws sts get-caller-identity",
    "gcp": "gcloud auth list",
    "azure": "az account show",
    "kubernetes": "kubectl auth whoami",
}
_WHOAMI_NOTE: Final = {
    "aws": "Shows the account and ARN your current credentials act as: compare them with the caller above.",
    "gcp": "Lists the accounts gcloud holds and marks the active one: compare it with the caller above "
    "(a library using Application Default Credentials may use another).",
    "azure": "Shows the signed-in account, subscription and tenant: compare them with the caller above.",
    "kubernetes": "Shows the user name and groups the API server sees for your kubeconfig (Kubernetes 1.28 "
    "and later): compare them with the caller above.",
}

# arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
_SESSION: Final = re.compile(r"^arn:aws[a-z-]{0,10}:sts::\d{12}:assumed-role/[\w+=,.@-]{1,64}/([\w+=,.@:/-]{1,128})$")

# AWS principal kinds in words, with why each matters.
_AWS_KINDS: Final = {
    "role_session": (
        "assumed-role session",
        "The session acts with the role's identity-based policies and permissions boundary, narrowed by any "
        "session policy passed when the role was assumed; a fix goes on the role, not on the session.",
        _AWS_SESSION_POLICY,
    ),
    "iam_role": ("IAM role", "The role's identity-based policies and permissions boundary decide.", _CT_IDENTITY),
    "iam_user": (
        "IAM user",
        "The user's own policies and those of the groups it belongs to decide, within its permissions boundary.",
        _CT_IDENTITY,
    ),
    "root": (
        "AWS account root user",
        "Identity-based policies cannot be attached to the root user: a denial of root comes from another "
        "layer, such as a service control policy of the organization or a resource-based policy.",
        _AWS_ROOT,
    ),
    "federated_user": (
        "federated user session (GetFederationToken)",
        "The session's permissions are the intersection of the IAM user's policies and the session policy "
        "passed to GetFederationToken.",
        _AWS_SESSION_POLICY,
    ),
    "aws_service": (
        "AWS service principal",
        "An AWS service made the call: the resource-based policy (or the role the service uses) must allow it.",
        _CT_IDENTITY,
    ),
}
_AWS_TYPES: Final = {
    "AssumedRole": "role_session", "IAMUser": "iam_user", "Root": "root", "FederatedUser": "federated_user",
    "AWSService": "aws_service", "Role": "iam_role",
}  # fmt: skip
_GCP_KINDS: Final = {
    "user": ("user account", "Grant the role to this user, or to a group it belongs to.", _GCP_PRINCIPALS),
    "service_account": (
        "service account",
        "The call is authorised as this service account: roles granted to the person who deployed or runs "
        "the workload do not apply to it.",
        _GCP_PRINCIPALS,
    ),
    "group": ("Google group", "Members of the group get the roles granted to it.", _GCP_PRINCIPALS),
    "domain": ("Google Workspace or Cloud Identity domain", "Every account of the domain.", _GCP_PRINCIPALS),
    "workload_identity": (
        "federated workload identity (Workload Identity Federation)",
        "An external identity: grant roles to this principal identifier, or let it impersonate a service account.",
        _GCP_PRINCIPALS,
    ),
}
_GCP_SA_KINDS: Final = {
    "compute_default": (
        "Compute Engine default service account",
        "A VM using it is also limited by its access scopes: a missing scope denies an API call even when the "
        "account holds the role.",
        _GCP_DEFAULT_SA,
    ),
    "app_engine_default": (
        "App Engine default service account",
        "App Engine apps run as this account unless told otherwise: the role goes to it.",
        _GCP_DEFAULT_SA,
    ),
    "service_agent": (
        "Google-managed service agent",
        "A service acting for your project: it needs its service agent role on the resource, which Google "
        "grants when the API is enabled.",
        _GCP_SERVICE_AGENTS,
    ),
}


def identity(provider: str | None, known: Mapping[str, str | int]) -> dict[str, object] | None:
    """Return the identity section: the items the paste supports and the command naming the local caller."""
    items = (
        _aws(known)
        if provider == "aws"
        else _gcp(known)
        if provider == "gcp"
        else _azure(known)
        if provider == "azure"
        else _kubernetes(known)
        if provider == "kubernetes"
        else []
    )
    if not items or provider is None:
        return None
    return {"items": items, "command": WHOAMI[provider], "command_note": _WHOAMI_NOTE[provider]}


def _item(key: str, label: str, value: object, evidence: str, basis: str, why: str, reference: str) -> Item:
    return {
        "key": key,
        "label": label,
        "value": str(value),
        "evidence": evidence,
        "basis": basis,
        "why": why,
        "reference": reference,
    }


def _aws(known: Mapping[str, str | int]) -> list[Item]:
    items: list[Item] = []
    principal = str(known.get("principal", ""))
    stated_type = str(known.get("principal_type", ""))
    kind = _AWS_TYPES.get(stated_type) or str(known.get("principal_kind", ""))
    if principal == "anonymous":
        items.append(
            _item(
                "principal_kind",
                "Caller",
                "anonymous (no credentials signed the request)",
                "reported",
                "the message names the caller 'anonymous'",
                "Only a resource-based policy that allows anonymous (public) access can allow it; an identity "
                "policy cannot, as there is no identity.",
                _CT_IDENTITY,
            )
        )
    elif kind in _AWS_KINDS:
        words, why, reference = _AWS_KINDS[kind]
        if stated_type:
            evidence, basis = "reported", f"the record's userIdentity.type {stated_type}"
        else:
            evidence, basis = "inferred", "the shape of the principal ARN"
        items.append(_item("principal_kind", "Caller", words, evidence, basis, why, reference))
    elif stated_type:
        why = "The kind of identity that made the call, as CloudTrail records it."
        items.append(
            _item(
                "principal_type", "Caller", stated_type, "reported", "the record's userIdentity.type", why, _CT_IDENTITY
            )
        )
    if issuer := known.get("session_issuer"):
        items.append(
            _item(
                "session_issuer",
                "Session issuer",
                issuer,
                "reported",
                "the record's sessionContext.sessionIssuer",
                "The role (or user) whose policies the session acts with, plus any session policy passed when the "
                "session was created; its ARN keeps the role's path, which a session ARN leaves out.",
                _CT_IDENTITY,
            )
        )
    elif kind == "role_session" and (role_arn := known.get("role_arn")):
        items.append(
            _item(
                "role_arn",
                "Role behind the session",
                role_arn,
                "inferred",
                "the assumed-role ARN of the caller",
                "The policies that count are this role's, plus any session policy passed at AssumeRole. A session "
                "ARN does not carry the role's path: if the role has one, its ARN differs (aws iam get-role shows "
                "it).",
                _CT_IDENTITY,
            )
        )
    if (session := _SESSION.match(principal)) is not None:
        items.append(
            _item(
                "role_session_name",
                "Session name",
                session.group(1),
                "inferred",
                "the last part of the assumed-role ARN",
                "Chosen by whoever assumed the role (RoleSessionName) and recorded in CloudTrail: it tells which "
                "person or workload used the role.",
                _AWS_ASSUME,
            )
        )
    if account := known.get("account_id"):
        resource_account = known.get("resource_account")
        if resource_account and resource_account != account:
            why = (
                f"The resource is in another account ({resource_account}): the caller's identity policy and the "
                "resource's policy must both allow the request."
            )
            items.append(
                _item(
                    "account_id",
                    "Account",
                    account,
                    "reported",
                    "the account in the principal ARN",
                    why,
                    _AWS_CROSS_ACCOUNT,
                )
            )
        else:
            why = "The account the caller belongs to; its policies (and its organization's SCPs) apply."
            items.append(
                _item(
                    "account_id", "Account", account, "reported", "the account the paste names", why, _AWS_IDENTIFIERS
                )
            )
    items += _aws_record_items(known, kind)
    return items


# The items a CloudTrail record states as they are: (fact, label, basis, why, reference). The AssumeRole
# ones (session_name, external_id, session_tags) describe the session that was asked for.
_AWS_RECORD: Final = (
    ("mfa_authenticated", "MFA", "the record's sessionContext.attributes",
     "A policy condition on aws:MultiFactorAuthPresent tests this: a statement that requires MFA does not allow "
     "a session without it.", _AWS_CONDITION_KEYS),
    ("source_identity", "Source identity", "the record's sourceIdentity",
     "Set when the role was assumed and kept through role chaining; a policy can test it with aws:SourceIdentity.",
     _AWS_SOURCE_IDENTITY),
    ("federated_provider", "Federated through", "the record's federated identity provider",
     "The session came from this identity provider: the role's trust policy decides which of its users may "
     "assume the role, the role's policies what they may do.", _CT_IDENTITY),
    ("invoked_by", "Made by a service", "the record's userIdentity.invokedBy",
     "This AWS service made the request for the caller: a policy condition such as aws:ViaAWSService or "
     "aws:CalledVia can treat it differently from a direct call.", _AWS_CONDITION_KEYS),
    ("on_behalf_of", "On behalf of", "the record's userIdentity.onBehalfOf",
     "The IAM Identity Center user the request was made for: look the user id up in the identity store.",
     _CT_IDENTITY),
    ("session_name", "Requested session name", "the AssumeRole request's roleSessionName",
     "The session name this AssumeRole asked for; it becomes the last part of the session's ARN.", _AWS_ASSUME),
    ("external_id", "External id", "the AssumeRole request's externalId",
     "A trust policy with an sts:ExternalId condition denies AssumeRole unless this value matches the one it "
     "requires.", _AWS_EXTERNAL_ID),
    ("session_tags", "Session tags", "the AssumeRole request's tags",
     "Session tags become aws:PrincipalTag values that can satisfy or fail a policy's conditions; passing them "
     "needs sts:TagSession in the role's trust policy.", _AWS_SESSION_TAGS),
)  # fmt: skip


def _aws_record_items(known: Mapping[str, str | int], kind: str) -> list[Item]:
    """The items only a CloudTrail record gives: credentials, MFA, source identity, federation, AssumeRole's request."""
    items: list[Item] = []
    credential = known.get("credential_type")
    if credential in ("long-term", "temporary"):
        why = (
            "An AKIA key is a long-term key of an IAM user or the root user; an ASIA key is temporary, from AWS "
            "STS, and belongs to a session."
        )
        basis = "the access key id's prefix"
        items.append(_item("credential_type", "Credentials", credential, "inferred", basis, why, _AWS_ACCESS_KEYS))
    assuming = str(known.get("action", "")).startswith("sts:AssumeRole") or known.get("operation") == "AssumeRole"
    if assuming and kind == "role_session":
        why = (
            "A role session assuming another role is role chaining: the target role's trust policy must allow "
            "this session's role, and the new session lasts at most one hour."
        )
        basis = "an assumed-role session calling AssumeRole"
        items.append(_item("role_chaining", "Role chaining", "yes", "inferred", basis, why, _AWS_ROLE_CHAINING))
    for key, label, basis, why, reference in _AWS_RECORD:
        if value := known.get(key):
            items.append(_item(key, label, value, "reported", basis, why, reference))
    return items


def _gcp(known: Mapping[str, str | int]) -> list[Item]:
    items: list[Item] = []
    kind = str(known.get("principal_kind", ""))
    email = str(known.get("principal_email", ""))
    special = gcp_service_account_kind(email) if kind == "service_account" and email else None
    if special is not None:
        words, why, reference = _GCP_SA_KINDS[special]
        items.append(
            _item("principal_kind", "Caller", words, "inferred", "the service account's email domain", why, reference)
        )
    elif kind in _GCP_KINDS:
        words, why, reference = _GCP_KINDS[kind]
        basis = "the member prefix" if str(known.get("principal", "")).partition(":")[1] else "the email's domain"
        items.append(_item("principal_kind", "Caller", words, "inferred", basis, why, reference))
    if chain := known.get("impersonation_chain"):
        why = (
            "The call was made by impersonating a service account: it is authorised as the last account in the "
            "chain, not as the first caller, so the role for the resource goes to that account. Each account in "
            "the chain needs the Service Account Token Creator role on the next one to impersonate it."
        )
        items.append(
            _item(
                "impersonation_chain",
                "Impersonation chain",
                chain,
                "reported",
                "the entry's serviceAccountDelegationInfo",
                why,
                _GCP_IMPERSONATION,
            )
        )
    if key := known.get("service_account_key"):
        why = (
            "A user-managed service account key authenticated the call: whoever holds the key acts as the "
            "account, with the account's roles."
        )
        items.append(
            _item(
                "service_account_key",
                "Key used",
                key,
                "reported",
                "the entry's authenticationInfo.serviceAccountKeyName",
                why,
                _GCP_KEYS,
            )
        )
    return items


def _azure(known: Mapping[str, str | int]) -> list[Item]:
    items: list[Item] = []
    if object_id := known.get("object_id"):
        why = (
            "Role assignments name this object id; for an application it is the service principal's object id, "
            "not the app registration's."
        )
        items.append(_item("object_id", "Object id", object_id, "reported", "the paste", why, _AZURE_SP))
    if client_id := known.get("client_id"):
        why = (
            "The application (client) id of the caller: the app has a service principal in each tenant that uses "
            "it, and roles are assigned to that service principal."
        )
        items.append(_item("client_id", "Application id", client_id, "reported", "the paste", why, _AZURE_APP_OBJECTS))
    if tenant := known.get("tenant"):
        why = "The Microsoft Entra tenant that issued the caller's token: compare it with the tenant you work in."
        items.append(_item("tenant", "Tenant", tenant, "reported", "the paste", why, _AZURE_APP_OBJECTS))
    return items


def _kubernetes(known: Mapping[str, str | int]) -> list[Item]:
    principal = str(known.get("principal", ""))
    if known.get("principal_kind") == "k8s_service_account" and (subject := known.get("service_account_subject")):
        why = (
            "A pod's service account: the RoleBinding or ClusterRoleBinding must name this service account "
            "(namespace and name); a binding for the person who deployed the pod does not apply."
        )
        return [
            _item(
                "principal_kind",
                "Caller",
                f"service account {subject}",
                "inferred",
                "the system:serviceaccount: user name",
                why,
                _K8S_RBAC,
            )
        ]
    if principal == "system:anonymous":
        why = (
            "The API server accepted no credential from the request and treated it as anonymous: the fix is the "
            "credential (kubeconfig, token), not RBAC."
        )
        return [
            _item(
                "principal_kind", "Caller", "anonymous", "reported", "the user name system:anonymous", why, _K8S_AUTHN
            )
        ]
    if principal:
        why = "Bindings name users and groups as the authenticator reports them: check the name matches exactly."
        return [_item("principal", "Caller", principal, "reported", "the user the message names", why, _K8S_RBAC)]
    return []
