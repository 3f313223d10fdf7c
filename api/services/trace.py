"""The policy evaluation trace of a diagnosis: each layer in the provider's order, and what the paste proves.

AWS evaluates an explicit Deny in any policy first, then resource control policies, service control
policies, the resource-based policy, the identity-based policies, the permissions boundary and the
session policy (IAM User Guide, "Policy evaluation logic"); a VPC endpoint policy applies when the
call went through an endpoint. Google evaluates deny policies, principal access boundaries, VPC
Service Controls and organization policies as well as allow policies (IAM docs, "Deny policies",
"Principal access boundary policies"). For each layer the trace says whether the paste names it as
the one that said no (`denied`), rules it out (`passed`: it did not say no, and why), or says nothing of it
(`unknown`: check it only if the fix at the denied layer does not resolve the denial), and the
first command that inspects it, filled from the facts (taken from that layer's own entry, so the
same checked commands).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal

from api.render import PlacedFacts, placed_facts

if TYPE_CHECKING:
    from api.plain_catalog import EntryLookup  # the validated catalogue or the CLI's plain one

Verdict = Literal["denied", "passed", "unknown"]


@dataclass(frozen=True, slots=True)
class Layer:
    """One policy layer: its id, its name in words, and the entry whose steps inspect it."""

    id: str
    name: str
    entry: str | None


AWS_LAYERS: Final = (
    Layer("explicit_deny", "An explicit Deny in any policy", "aws.authz.explicit_deny.unknown_policy"),
    Layer("rcp", "Resource control policies (RCPs) of the organization", "aws.authz.explicit_deny.rcp"),
    Layer("scp", "Service control policies (SCPs) of the organization", "aws.authz.implicit_deny.scp"),
    Layer("vpc_endpoint_policy", "The VPC endpoint policy (when the call went through an endpoint)",
          "aws.authz.implicit_deny.vpc_endpoint_policy"),
    Layer("resource_policy", "The resource-based policy (bucket, key, queue, role trust policy, ...)",
          "aws.authz.implicit_deny.resource_policy"),
    Layer("identity_policy", "The caller's identity-based policies", "aws.authz.implicit_deny.identity_policy"),
    Layer("permissions_boundary", "The caller's permissions boundary", "aws.authz.implicit_deny.permissions_boundary"),
    Layer("session_policy", "The session policy passed when the role was assumed",
          "aws.authz.implicit_deny.session_policy"),
)  # fmt: skip
GCP_LAYERS: Final = (
    Layer("oauth_scopes", "The access scopes of the credential (a VM's or a token's)", "gcp.authz.insufficient_scopes"),
    Layer("deny_policy", "IAM deny policies", "gcp.authz.deny_policy"),
    Layer("principal_access_boundary", "Principal access boundary policies", None),
    Layer("vpc_service_controls", "VPC Service Controls perimeters", "gcp.authz.vpc_service_controls"),
    Layer("org_policy", "Organization policy constraints", "gcp.authz.org_policy"),
    Layer("allow_policy", "IAM allow policies (role bindings)", "gcp.authz.iam_permission_denied"),
)

_AWS_TYPES: Final = {layer.id for layer in AWS_LAYERS} | {"unknown_policy"}
_NOT_EXPLICIT: Final = "The message says no policy allows it: an explicit Deny would have been named instead."
_NOT_NAMED_AWS: Final = (
    "Not named: AWS names the policy type that caused the denial. Check it only if the fix at the named layer "
    "does not end the denial."
)
_AFTER_DENY: Final = "Not known, and not relevant until the Deny is gone: an explicit Deny ends the evaluation."
_GCP_OWN_WORDS: Final = {
    "vpc_service_controls": "VPC Service Controls answer with their own reason (SECURITY_POLICY_VIOLATED and a "
    "vpcServiceControlsUniqueIdentifier), which the paste does not carry.",
    "org_policy": "An organization policy names its constraint (constraints/...), which the paste does not carry.",
    "oauth_scopes": "Missing scopes are reported as ACCESS_TOKEN_SCOPE_INSUFFICIENT, which the paste does not carry.",
}
_SAME_MESSAGE: Final = (
    "Not ruled out: a deny policy or a principal access boundary gives the same IAM_PERMISSION_DENIED message. "
    "Check it if the grant does not end the denial."
)
_NOT_NAMED_GCP: Final = "Not named by the paste. Check it only if the fix does not end the denial."
# GCP reasons whose denying layer is the allow policy (a missing binding), and which layer each names.
_GCP_DENIED: Final = {
    "gcp.authz.iam_permission_denied": "allow_policy",
    "gcp.authz.service_account_impersonation": "allow_policy",
    "gcp.authz.user_project_denied": "allow_policy",
    "gcp.authz.deny_policy": "deny_policy",
    "gcp.authz.vpc_service_controls": "vpc_service_controls",
    "gcp.authz.org_policy": "org_policy",
    "gcp.authz.insufficient_scopes": "oauth_scopes",
}


def aws_statuses(reason: str) -> dict[str, tuple[Verdict, str]] | None:
    """Return layer -> (status, what the paste proves) for an AWS authorization reason, or None."""
    parts = reason.split(".")
    if len(parts) < 4 or parts[:2] != ["aws", "authz"] or parts[2] not in ("explicit_deny", "implicit_deny"):
        if reason in ("aws.authz.unspecified", "aws.authz.encoded_message", "aws.authz.assume_role_denied"):
            told = (
                "The message is encoded: decode it (the first step) and it names the policy type."
                if reason.endswith("encoded_message")
                else "This message does not name the layer that said no."
            )
            return {layer.id: ("unknown", told) for layer in AWS_LAYERS}
        if reason == "aws.authz.service_principal_denied":
            # The caller is an AWS service principal; the service says the resource's own policy
            # (bucket, topic or queue policy) does not let it deliver. Nothing is said of the rest.
            said = "The service reports that the resource's policy does not allow its service principal."
            return {
                layer.id: ("denied", said) if layer.id == "resource_policy" else ("unknown", _NOT_NAMED_AWS)
                for layer in AWS_LAYERS
            }
        return None
    kind, policy_type = parts[2], parts[3]
    if policy_type not in _AWS_TYPES:
        return None
    statuses: dict[str, tuple[Verdict, str]] = {}
    if kind == "explicit_deny":
        names = {layer.id: layer.name[:1].lower() + layer.name[1:] for layer in AWS_LAYERS}  # keep "RCPs", "VPC"
        where = names.get(policy_type, "a policy the message does not name")
        for layer in AWS_LAYERS:
            if layer.id == "explicit_deny":
                statuses[layer.id] = ("denied", f"The message says the Deny is explicit, in {where}.")
            elif layer.id == policy_type:
                statuses[layer.id] = ("denied", "The message names this policy type as holding the Deny statement.")
            else:
                statuses[layer.id] = ("unknown", _AFTER_DENY)
        return statuses
    for layer in AWS_LAYERS:
        if layer.id == "explicit_deny":
            statuses[layer.id] = ("passed", _NOT_EXPLICIT)
        elif layer.id == policy_type:
            statuses[layer.id] = ("denied", "The message names this policy type: none of its statements allows it.")
        else:
            statuses[layer.id] = ("unknown", _NOT_NAMED_AWS)
    return statuses


def gcp_statuses(reason: str) -> dict[str, tuple[Verdict, str]] | None:
    """Return layer -> (status, what the paste proves) for a GCP authorization reason, or None."""
    denied = _GCP_DENIED.get(reason)
    if denied is None:
        return None
    statuses: dict[str, tuple[Verdict, str]] = {}
    for layer in GCP_LAYERS:
        if layer.id == denied:
            statuses[layer.id] = ("denied", _gcp_denied_text(reason, layer.id))
        elif layer.id in _GCP_OWN_WORDS and denied in ("allow_policy", "deny_policy"):
            statuses[layer.id] = ("passed", _GCP_OWN_WORDS[layer.id])
        elif denied == "allow_policy" and layer.id in ("deny_policy", "principal_access_boundary"):
            statuses[layer.id] = ("unknown", _SAME_MESSAGE)
        else:
            statuses[layer.id] = (
                "unknown",
                "Not named by the paste. Check it only if the fix does not end the denial.",
            )
    return statuses


def _gcp_denied_text(reason: str, layer: str) -> str:
    if layer == "allow_policy":
        target = {
            "gcp.authz.service_account_impersonation": "on the service account being impersonated",
            "gcp.authz.user_project_denied": "on the project billed for the request (the user project)",
        }.get(reason, "on the resource or an ancestor")
        return f"Google says the permission is denied: no role binding {target} grants it (most likely)."
    return {
        "deny_policy": "The message names a deny policy.",
        "vpc_service_controls": "The message names a VPC Service Controls perimeter.",
        "org_policy": "The message names an organization policy constraint.",
        "oauth_scopes": "The token's access scopes do not include one the API needs.",
    }[layer]


def trace(
    reason: str | None, known: Mapping[str, str | int], catalog: EntryLookup, placed: PlacedFacts | None = None
) -> list[dict[str, object]] | None:
    """Return the trace for a diagnosis: each layer in order with its status, proof and inspect command.

    `placed` is `placed_facts(known)` when the caller has it (the guidance was rendered from it).
    """
    if not reason:
        return None
    layers = _layers(reason)
    if layers is None:
        return None
    if placed is None:
        placed = placed_facts(known)  # once, not once per layer: it was 40% of a diagnosis
    # Which inspection step each layer shows depends on the case alone (planned once per case).
    usable, case, quoted = placed.usable, placed.case, placed.quoted
    rows: list[dict[str, object]] = []
    for layer, verdict, proves, asked in layers:
        compiled = catalog.get(asked) if asked else None
        inspection = compiled.inspection_plan(usable, case) if compiled is not None else None
        rows.append(
            {
                "layer": layer.id,
                "name": layer.name,
                "verdict": verdict,
                "proves": proves,
                "inspect": inspection[0].format_map(quoted) if inspection else None,
                "missing": list(inspection[1]) if inspection else [],
                "entry": layer.entry,
            }
        )
    return rows


@lru_cache(maxsize=1024)
def _layers(reason: str) -> tuple[tuple[Layer, Verdict, str, str | None], ...] | None:
    """A reason's layers in order, each with its status, proof and the entry whose steps inspect it.

    The same for every diagnosis of the reason: worked out once (the facts only fill the commands).
    """
    provider = reason.split(".", 1)[0]
    statuses = aws_statuses(reason) if provider == "aws" else gcp_statuses(reason) if provider == "gcp" else None
    if statuses is None:
        return None
    # An explicit Deny whose policy type the message names: that layer's row carries the command of
    # the reason's own entry (it reads the Deny statements); the generic walk on the "explicit Deny"
    # row (identity policies first) would send an RCP or SCP denial to the wrong place.
    named = reason.split(".")[3] if reason.startswith("aws.authz.explicit_deny.") else None
    rows = []
    for layer in AWS_LAYERS if provider == "aws" else GCP_LAYERS:
        verdict, proves = statuses[layer.id]
        entry = layer.entry
        if named is not None and named != "unknown_policy":
            entry = reason if layer.id == named else None if layer.id == "explicit_deny" else layer.entry
        rows.append((layer, verdict, proves, entry))
    return tuple(rows)
