"""The verdict card: the answer at a glance, shown first by the web page, the terminal and Markdown.

From a diagnosis response it takes: the provider; the category as a large word (AUTHENTICATION,
AUTHORIZATION, NOT AN ACCESS PROBLEM); the layer that said no, in words, from the reason id (the
table below covers every reason in the taxonomy); who was denied what on which resource (from the
facts); and the one first thing to do, with its command (see `first_step`). Presentation only: the
API response is unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from api.render import WHO_AM_I

PROVIDERS: Final = {
    "aws": "AWS",
    "gcp": "Google Cloud",
    "azure": "Azure",
    "kubernetes": "Kubernetes",
    "http": "HTTP",
}
HEADLINES: Final = {
    "authentication": ("AUTHENTICATION", "Who you are was not accepted: the credential is missing, wrong or expired."),
    "authorization": ("AUTHORIZATION", "You were recognised, and a policy said no."),
    "other": ("NOT AN ACCESS PROBLEM", "It looks like a denial, but no credential or permission is at fault."),
}
# "{policy}" is the resource's own policy by name ("the bucket policy"), from the resource in the paste.
LAYERS: Final[dict[str, str]] = {
    # AWS: who signs the request, then the policy types of the evaluation logic
    "aws.authn.missing_credentials": "AWS sign-in: the request carried no credentials",
    "aws.authn.invalid_credentials": "AWS sign-in: the access key or token is not valid",
    "aws.authn.signature_mismatch": "AWS sign-in: the request's signature does not match",
    "aws.authn.expired_credentials": "AWS sign-in: the session token has expired",
    "aws.authn.clock_skew": "AWS sign-in: your clock is too far from AWS's",
    "aws.authn.sso_token_expired": "IAM Identity Center: your SSO sign-in has expired",
    "aws.authn.presigned_url_expired": "Amazon S3: the presigned URL has expired",
    "aws.authz.implicit_deny.identity_policy": "your IAM policies: none of them allows it",
    "aws.authz.implicit_deny.resource_policy": "{policy}: it does not allow you",
    "aws.authz.implicit_deny.permissions_boundary": "the permissions boundary on your IAM user or role",
    "aws.authz.implicit_deny.session_policy": "the session policy passed when the role was assumed",
    "aws.authz.implicit_deny.scp": "an SCP in your organization: no service control policy allows it",
    "aws.authz.implicit_deny.vpc_endpoint_policy": "the VPC endpoint policy: it does not allow it",
    "aws.authz.explicit_deny.identity_policy": "an explicit Deny in your IAM policies",
    "aws.authz.explicit_deny.resource_policy": "an explicit Deny in {policy}",
    "aws.authz.explicit_deny.permissions_boundary": "an explicit Deny in the permissions boundary",
    "aws.authz.explicit_deny.session_policy": "an explicit Deny in the session policy",
    "aws.authz.explicit_deny.scp": "an SCP in your organization (an explicit Deny)",
    "aws.authz.explicit_deny.rcp": "an RCP (resource control policy) of the organization that owns the resource",
    "aws.authz.explicit_deny.vpc_endpoint_policy": "an explicit Deny in the VPC endpoint policy",
    "aws.authz.explicit_deny.unknown_policy": "an explicit Deny in a policy the message does not name",
    "aws.authz.s3_block_public_access": "S3 Block Public Access",
    "aws.authz.assume_role_denied": "the role's trust policy, or your permission to assume the role",
    "aws.authz.encoded_message": "an IAM policy: the encoded message says which",
    "aws.authz.unspecified": "an AWS policy the message does not name",
    "aws.authz.identity_center_no_access": "IAM Identity Center: no permission set assigns you that account",
    "aws.authz.api_gateway_authorizer_denied": "the API Gateway authorizer",
    "aws.authz.service_principal_denied": "the bucket or queue policy: it does not let the AWS service deliver",
    "aws.other.bedrock_model_access": "Amazon Bedrock model access, not IAM",
    "aws.other.opt_in_required": "the account or Region is not opted in, not IAM",
    "aws.other.api_gateway_missing_route": "API Gateway: no such route or stage, not a credential",
    "aws.other.sts_region_disabled": "AWS STS is not activated in this Region",
    "aws.other.kms_key_unusable": "the KMS key is disabled or pending deletion, not IAM",
    # Google Cloud
    "gcp.authn.missing_credentials": "Google sign-in: no credentials were found or sent",
    "gcp.authn.invalid_credentials": "Google sign-in: the credential is not valid",
    "gcp.authn.expired_credentials": "Google sign-in: the token has expired or was revoked",
    "gcp.authn.signature_mismatch": "Cloud Storage: the HMAC or V4 signature does not match",
    "gcp.authz.iam_permission_denied": "IAM allow policies: no role you hold grants the permission",
    "gcp.authz.deny_policy": "an IAM deny policy",
    "gcp.authz.firebase_security_rules": "Firebase Security Rules",
    "gcp.authz.insufficient_scopes": "OAuth scopes: the token's scopes do not cover this API",
    "gcp.authz.vpc_service_controls": "VPC Service Controls",
    "gcp.authz.org_policy": "an organization policy constraint",
    "gcp.authz.service_account_impersonation": "IAM on the service account: you may not act as it",
    "gcp.authz.api_key_restricted": "the API key's restrictions",
    "gcp.authz.user_project_denied": "the quota (billing) project: you may not use it",
    "gcp.other.service_disabled": "the API is not enabled in the project, not IAM",
    "gcp.other.billing_disabled": "billing is disabled on the project, not IAM",
    "gcp.other.consumer_invalid": "the project does not exist or is the wrong one, not IAM",
    "gcp.other.consumer_suspended": "the project is suspended, not IAM",
    # HTTP: the server, or what stands in front of it, or the browser
    "http.authn.missing_credentials": "the server's sign-in: the request carried no credentials",
    "http.authn.invalid_credentials": "the server's sign-in: it rejected the credentials",
    "http.authz.insufficient_scope": "the server's authorization: the token lacks the scope",
    "http.authz.forbidden": "the server's own access rules",
    "http.other.edge_block": "a CDN or web application firewall in front of the server",
    "http.other.cors": "your browser's CORS check: the server's response did not allow this page",
    # Azure
    "azure.authn.missing_credentials": "Microsoft Entra sign-in: no credential was found",
    "azure.authn.invalid_credentials": "Microsoft Entra ID: the credential is not valid",
    "azure.authn.expired_credentials": "Microsoft Entra ID: the token has expired",
    "azure.authn.interaction_required": "Microsoft Entra ID: MFA or Conditional Access needs an interactive sign-in",
    "azure.authz.rbac_denied": "Azure RBAC: no role assignment grants the action",
    "azure.authz.deny_assignment": "an Azure deny assignment",
    "azure.authz.linked_authorization_failed": "Azure RBAC on a linked resource",
    "azure.authz.data_plane_denied": "the service's data-plane access (data actions or its access policy)",
    "azure.authz.azure_policy": "Azure Policy",
    "azure.authn.wrong_tenant": "Microsoft Entra ID: the token is for another tenant",
    "azure.authn.key_auth_disabled": "the storage account: shared-key sign-in is turned off",
    "azure.authn.federated_credential_mismatch": "Microsoft Entra ID: no federated credential matches the token",
    "azure.authz.key_vault_access_policy": "the key vault's access policies",
    "azure.authz.network_rules": "the resource's firewall and network rules",
    # Kubernetes
    "kubernetes.authn.unauthorized": "the Kubernetes API server's authentication",
    "kubernetes.authz.rbac_forbidden": "Kubernetes RBAC: no Role or ClusterRole binding allows it",
    "kubernetes.other.admission_denied": "an admission controller or webhook (RBAC had allowed it)",
    "kubernetes.authn.exec_plugin_failed": "your kubeconfig's credential plugin, before the cluster was asked",
    "kubernetes.authn.eks_access_entry_missing": "EKS: no access entry maps your IAM principal into the cluster",
}
# A resource's own policy by the ARN's service (the part after arn:aws:).
_RESOURCE_POLICIES: Final = {
    "s3": "the bucket policy",
    "kms": "the key policy",
    "secretsmanager": "the secret's resource policy",
    "sqs": "the queue policy",
    "sns": "the topic policy",
    "lambda": "the function's resource-based policy",
    "ecr": "the repository policy",
    "iam": "the role's trust policy",
    "dynamodb": "the table's resource-based policy",
}
# A step that opens like this applies to some cases only, or warns: not the one first thing to do.
_CASE_OR_CAUTION: Final = re.compile(
    r"(?:If|When|Where|Only|Unless|For|In|Once|After|Do not|Don't|Never|Avoid)\b", re.IGNORECASE
)
MAX_VALUE: Final = 300  # a fact shown on the card is cut here; the facts table below has it whole


@dataclass(frozen=True)
class FirstStep:
    """The one thing to do first: a step's text and its command, ready to run as shown."""

    text: str
    command: str | None
    changes: bool


@dataclass(frozen=True)
class Verdict:
    """The card's content, the same for every renderer."""

    provider: str
    category: str
    headline: str
    meaning: str
    layer: str | None
    title: str | None
    who: str | None
    what: str | None
    where: str | None
    first_step: FirstStep | None
    who_label: str = "Who"

    @property
    def rows(self) -> list[tuple[str, str]]:
        """(label, value) for who is denied what on which resource, only those the paste gave; none
        when the paste is not an access failure (nothing was denied)."""
        if self.layer is None:
            return []
        what = "Denied" if self.category in ("authentication", "authorization") else "Call"
        pairs = ((self.who_label, self.who), (what, self.what), ("On", self.where))
        return [(label, value) for label, value in pairs if value]


def build(response: dict[str, Any]) -> Verdict:
    """Return the verdict for a diagnosis response (the API's JSON shape)."""
    category = str(response.get("category") or "other")
    reason = response.get("reason")
    facts = response.get("facts") or {}
    guidance = response.get("guidance") or {}
    headline, meaning = HEADLINES.get(category, HEADLINES["other"])
    if not reason:
        meaning = "Nothing in the paste reads as an authentication or authorization failure."
    provider_id = str(response.get("provider") or "")
    principal = _fact(facts, "principal")
    who = principal or _fact(facts, "origin")
    what = _fact(facts, "action") or _fact(facts, "permission") or _fact(facts, "operation")
    if not what and reason == "http.other.cors":
        what = " ".join(v for v in (_fact(facts, "method"), _fact(facts, "request_header")) if v) or None
    return Verdict(
        provider=PROVIDERS.get(provider_id, provider_id or "Unknown provider"),
        category=category,
        headline=headline,
        meaning=meaning,
        layer=layer_for(str(reason), facts) if reason else None,
        title=guidance.get("title"),
        who=who,
        what=what,
        where=_fact(facts, "resource") or _fact(facts, "url"),
        first_step=first_step(guidance),
        who_label="Who" if principal or not who else "Page",  # a CORS denial names the page's origin
    )


def layer_for(reason: str, facts: dict[str, Any]) -> str:
    """Say in words which layer refused, for a reason id (an unknown id gets its provider's words)."""
    phrase = LAYERS.get(reason)
    if phrase is None:
        provider = PROVIDERS.get(reason.split(".", 1)[0], "the provider")
        return f"{provider}: a layer this version does not name"
    if "{policy}" in phrase:
        phrase = phrase.replace("{policy}", _resource_policy(str(facts.get("resource") or "")))
    return phrase


def first_step(guidance: dict[str, Any]) -> FirstStep | None:
    """The one thing to do first, from the playbook as rendered for this paste:
    1. the first fix step with a command that needs no value the paste did not give;
    2. else the first fix step that is an instruction for everyone;
    3. else the first diagnosis step with such a command;
    4. else the words of the first diagnosis step, without its command.
    A step for a case ("If the clock is off ...") or a caution ("Do not ...") is never the first thing,
    and a command that would stop for a missing value is never shown on the card."""
    fixes = [step for step in guidance.get("fix") or [] if _ready(step) and _for_everyone(step)]
    for step in fixes:
        if step.get("command"):
            return _step(step)
    if fixes:
        return _step(fixes[0])
    diagnosis = guidance.get("diagnosis") or []
    ready = [step for step in diagnosis if step.get("command") and _ready(step)]
    # "Who am I" opens most playbooks, but the identity section already shows it: a step that
    # inspects the layer is the better first thing, when there is one.
    for step in sorted(ready, key=lambda step: str(step["command"]).lstrip().startswith(WHO_AM_I)):
        return _step(step)
    first = [*diagnosis, *(guidance.get("fix") or [])][:1]  # every step needs a value: its words, no command
    return FirstStep(text=_text(first[0]), command=None, changes=False) if first else None


def _ready(step: dict[str, Any]) -> bool:
    """True when no fact the command needs is missing from the paste. A value the reader always
    chooses ("${BILLING_ACCOUNT:?set BILLING_ACCOUNT to ...}") is part of the command: it says so."""
    return not step.get("variables")


def _for_everyone(step: dict[str, Any]) -> bool:
    return not _CASE_OR_CAUTION.match(str(step.get("text") or "").lstrip())


def _step(step: dict[str, Any]) -> FirstStep:
    return FirstStep(text=_text(step), command=step.get("command") or None, changes=bool(step.get("changes")))


def _text(step: dict[str, Any]) -> str:
    return " ".join(str(step.get("text") or "").split())


def _resource_policy(resource: str) -> str:
    parts = resource.split(":", 3)
    service = parts[2] if len(parts) > 2 and parts[0] == "arn" else ""
    return _RESOURCE_POLICIES.get(service, "the resource's own policy")


def _fact(facts: dict[str, Any], key: str) -> str | None:
    value = facts.get(key)
    if value is None or value == "":
        return None
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
