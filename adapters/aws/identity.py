"""Who really made the call, from a CloudTrail record: the identity type, the role behind a session,
MFA, source identity, the service acting for the caller, federation, and what an AssumeRole asked for.

Only what the record states (evidence `reported`), plus the credential type, which the access key
id's prefix tells (evidence `inferred`): "Access key IDs beginning with AKIA are long-term credentials for an
IAM user or the AWS account root user. Access key IDs beginning with ASIA are temporary credentials
that are created using AWS STS operations"
(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html). Field names
follow the CloudTrail userIdentity element reference
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
Values are bounded; the record was redacted before it was parsed (an access key keeps only its prefix).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from adapters.base import Evidence

Found = tuple[str, str, Evidence, str]  # (fact key, value, evidence, basis)

_MAX: Final = 256  # a fact value's length: ARNs fit, a hostile record's megabyte does not
_MAX_TAGS: Final = 10
# The CloudTrail userIdentity.type values this reader names (others are kept as written).
_TYPES: Final = frozenset(
    {"Root", "IAMUser", "AssumedRole", "Role", "FederatedUser", "Directory", "AWSAccount", "AWSService",
     "IdentityCenterUser", "SAMLUser", "WebIdentityUser", "Unknown"}
)  # fmt: skip
_ASSUME_EVENTS: Final = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})


def identity_findings(record: Mapping[str, Any]) -> list[Found]:
    """Return the identity facts a CloudTrail record states about its caller (and an AssumeRole's request)."""
    found: list[Found] = []
    identity = _dict(record.get("userIdentity"))
    said: Evidence = "reported"
    kind = _text(identity.get("type"))
    if kind and (kind in _TYPES or kind.isalnum()):
        found.append(("principal_type", kind, said, "the record's userIdentity.type"))
    context = _dict(identity.get("sessionContext"))
    issuer = _dict(context.get("sessionIssuer"))
    if arn := _text(issuer.get("arn")):
        found.append(("session_issuer", arn, said, "the record's sessionContext.sessionIssuer.arn"))
    mfa = _dict(context.get("attributes")).get("mfaAuthenticated")
    if isinstance(mfa, str | bool) and str(mfa).lower() in ("true", "false"):
        found.append(("mfa_authenticated", str(mfa).lower(), said, "the record's sessionContext.attributes"))
    source = _text(context.get("sourceIdentity")) or _text(record.get("sourceIdentity"))
    if source:
        found.append(("source_identity", source, said, "the record's sourceIdentity"))
    web = _dict(context.get("webIdFederationData"))
    if provider := _text(web.get("federatedProvider")) or _text(identity.get("identityProvider")):
        found.append(("federated_provider", provider, said, "the record's federated identity provider"))
    if invoked := _text(identity.get("invokedBy")):
        found.append(("invoked_by", invoked, said, "the record's userIdentity.invokedBy"))
    on_behalf = _dict(identity.get("onBehalfOf"))
    if user := _text(on_behalf.get("userId")):
        found.append(("on_behalf_of", user, said, "the record's userIdentity.onBehalfOf.userId (Identity Center)"))
    key = _text(identity.get("accessKeyId")) or ""
    if key.startswith("AKIA"):
        found.append(("credential_type", "long-term", "inferred", "the access key id starts with AKIA"))
    elif key.startswith("ASIA"):
        found.append(("credential_type", "temporary", "inferred", "the access key id starts with ASIA"))
    if _text(record.get("eventName")) in _ASSUME_EVENTS:
        found += _assume_request(_dict(record.get("requestParameters")))
    return found


def _assume_request(parameters: Mapping[str, Any]) -> list[Found]:
    """What an AssumeRole request asked for: the session name, external id and session tags."""
    found: list[Found] = []
    said: Evidence = "reported"
    if name := _text(parameters.get("roleSessionName")):
        found.append(("session_name", name, said, "the AssumeRole request's roleSessionName"))
    if external := _text(parameters.get("externalId")):
        # An identifier, not a credential: it tells the trust policy's sts:ExternalId condition which
        # customer is asking (IAM User Guide, "The confused deputy problem"). Bounded like any fact.
        found.append(("external_id", external, said, "the AssumeRole request's externalId"))
    tags = _session_tags(parameters)
    if tags:
        found.append(("session_tags", tags, said, "the AssumeRole request's session tags"))
    return found


def _session_tags(parameters: Mapping[str, Any]) -> str:
    """The session tags as "Key=Value, Key2=Value2 (transitive)"; AssumeRole logs `tags`, the
    federation calls `principalTags`."""
    pairs: list[tuple[str, str]] = []
    tags = parameters.get("tags")
    if isinstance(tags, list):
        for tag in tags[:_MAX_TAGS]:
            tag = _dict(tag)
            key, value = _text(tag.get("key") or tag.get("Key")), tag.get("value", tag.get("Value"))
            if key:
                pairs.append((key, value if isinstance(value, str) else ""))
    for key, value in list(_dict(parameters.get("principalTags")).items())[:_MAX_TAGS]:
        if isinstance(key, str) and key:
            pairs.append((key, value if isinstance(value, str) else ""))
    transitive = parameters.get("transitiveTagKeys")
    keys = {k for k in transitive[:50] if isinstance(k, str)} if isinstance(transitive, list) else set()
    text = ", ".join(f"{k}={v}" + (" (transitive)" if k in keys else "") for k, v in pairs[:_MAX_TAGS])
    return text[:_MAX]


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value[:_MAX] if isinstance(value, str) and value else None
