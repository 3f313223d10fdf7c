"""The IAM authorization message grammar: who was denied what, by which policy layer.

    User: <P> is not authorized to perform: <A> [on resource: <R>]
        ( because no <layer> allows the <A> action
        | with an explicit deny in a(n) <layer>[: <policy ARN>]
        | with an explicit deny )                       (older messages name no layer)
        [. Go to ... or call the GetRequestAuthorizationDetails API with the following
           authorization id: <ID>]
    ... Encoded authorization failure message: <blob>   (EC2 and others; may follow a clause)

Every pattern is anchored on a literal phrase and uses bounded, non-nested repetition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from adapters.lazyre import lazy_compile

# "User: arn:aws:sts::123456789012:assumed-role/R/s is not authorized to perform: s3:GetObject"
# also "... perform s3:GetObject" (no colon) and "Principal [arn] is not allowed to execute [a]"
_NOT_AUTHORIZED = lazy_compile(
    r"(?:User|Principal|Identity): ?\[?([^\n\]]{1,512}?)\]? ?is not (?:authorized|allowed) to "
    r"(?:perform|execute):? ?\[?([A-Za-z0-9-]{1,64}:[A-Za-z0-9*-]{1,128}|null)\]?"
)
# Web identity / SAML, which name no principal: "Not authorized to perform sts:AssumeRoleWithWebIdentity"
_NOT_AUTHORIZED_BARE = lazy_compile(
    r"[Nn]ot authorized to perform:? (sts:AssumeRole(?:WithWebIdentity|WithSAML)?|sts:TagSession)\b"
)
# "on resource: arn:aws:s3:::bucket/key", S3's enhanced form 'on "arn:aws:s3:::b/k"',
# "on resource: role cdk-hnb659fds-deploy-role", "on resource: access key AKIA[REDACTED]"
_ON_RESOURCE = lazy_compile(
    r"\bon (?:resource:? ?)?(?:\"([^\"\n]{1,1024})\"|((?:role|user|access key|policy|group) [^\s,\"']{1,256})"
    r"|([^\s,\"'()]{1,1024}))"
)
# "on resource: <anything> because no ..." / "... with an explicit deny": when a clause follows,
# the resource is everything up to it (reporters' placeholders hold spaces: "<<account number>>")
_ON_RESOURCE_BEFORE_CLAUSE = lazy_compile(
    r"on (?:resource:? ?)?(.{1,1024}?) (?:because no |with an explicit deny|because public )"
)
_ON_RESOURCE_ANYWHERE = lazy_compile(r"on resource: ?([^\s\"']{1,1024}) (?:because no |with an explicit deny)")
# No principal, any action: "User not authorized to perform kms:DescribeKey operation",
# CDK: "User doesn't have permission to call ssm:GetParameters"
_ACTION_ONLY = lazy_compile(
    r"(?:not authorized to perform:?|(?:doesn't|does not) have permission to (?:call|perform)) "
    r"([a-z0-9-]{2,40}:[A-Za-z0-9]{2,128})\b"
)
# CDK: "current credentials could not be used to assume 'arn:aws:iam::1:role/cdk-...-deploy-role-...'"
_COULD_NOT_ASSUME = lazy_compile(r"could not be used to assume '(arn:aws[a-z-]{0,10}:iam::[^'\s]{1,512})'")
# SQS and others: "Access to the resource https://sqs.us-east-1.amazonaws.com/ is denied."
_ACCESS_TO_RESOURCE = lazy_compile(r"Access to the resource (\S{1,1024}) is denied")
# .NET: "Error calling AssumeRole for role arn:aws:iam::123456789012:role/x"
_FOR_ROLE = lazy_compile(r"\bfor role (arn:aws[a-z-]{0,10}:iam::[^\s,\"']{1,512})")
# EC2: "AuthFailure: Not authorized for images: [ami-5287d500]"
_NOT_AUTHORIZED_FOR = lazy_compile(r"Not authorized for (?:images|snapshots|instances): \[?([a-z]{1,5}-[0-9a-f]{6,20})")
# "because no identity-based policy allows the s3:GetObject action"
_IMPLICIT = lazy_compile(
    r"because no (identity-based policy|resource-based policy|permissions boundary|session policy"
    r"|service control policy|VPC endpoint policy|resource control policy) allows"
)
# "with an explicit deny in a service control policy: arn:aws:organizations::..."
_EXPLICIT = lazy_compile(
    r"with an explicit deny in (?:an? |the )?(identity-based policy|resource-based policy"
    r"|permissions boundary|sessions? policy|service control policy|resource control policy"
    r"|VPC endpoint policy|role trust policy)"
    r"( transitively through a service control policy)?"
)
_EXPLICIT_UNTYPED = lazy_compile(r"with an explicit deny\b")
# ": arn:aws:iam::123456789012:policy/DenyAll." / ": arn:aws:organizations::1:policy/o-x/service_control_policy/p-y"
_POLICY_ARN = lazy_compile(r"(?:policy|boundary): (arn:aws[a-z-]{0,10}:[a-z0-9-]{1,32}:[^\s]{0,64}:[^\s]{1,512})")
# "... GetRequestAuthorizationDetails API with the following authorization id: 7f3a..."
_AUTHORIZATION_ID = lazy_compile(r"authorization id:? ([A-Za-z0-9-]{8,128})")
# "Encoded authorization failure message: 8cHnxyW..."
_ENCODED = lazy_compile(r"Encoded authorization failure message:? ?([A-Za-z0-9_+/=-]{16,20000})?")
# S3 Block Public Access: "because public ACLs are prevented by the BlockPublicAcls setting in
# S3 Block Public Access"; "public policies are blocked by the BlockPublicPolicy block public
# access setting"
_BLOCK_PUBLIC_ACCESS = lazy_compile(
    r"(?:Block ?Public ?Acls|Block ?Public ?Policy|Ignore ?Public ?Acls|Restrict ?Public ?Buckets)"
    r"[a-z ]{0,40}(?:setting|block public access)|S3 Block Public Access|blocked by (?:the )?block public access",
    re.IGNORECASE,
)

LAYER_OF: Final[dict[str, str]] = {
    "identity-based policy": "identity_policy",
    "resource-based policy": "resource_policy",
    "permissions boundary": "permissions_boundary",
    "session policy": "session_policy",
    "sessions policy": "session_policy",  # sic: an IAM User Guide example spells it so
    "service control policy": "scp",
    "resource control policy": "rcp",
    "vpc endpoint policy": "vpc_endpoint_policy",
}
POLICY_TYPE_OF: Final[dict[str, str]] = {
    "identity_policy": "identity",
    "resource_policy": "resource",
    "permissions_boundary": "permissions_boundary",
    "session_policy": "session",
    "scp": "scp",
    "rcp": "rcp",
    "vpc_endpoint_policy": "vpc_endpoint",
}


@dataclass(frozen=True)
class Denial:
    """What an IAM authorization message states."""

    principal: str | None
    action: str | None
    resource: str | None
    decision: str | None  # "implicit" | "explicit" | None (no clause)
    layer: str | None  # identity_policy, scp, ... or "role_trust_policy"; None when not named
    policy_arn: str | None
    authorization_id: str | None
    encoded: bool  # the message says an encoded authorization message follows (its blob may be cut)
    encoded_message: str | None
    block_public_access: bool
    assume_warning: bool  # CDK: "could not be used to assume '<role>' ... Proceeding anyway"
    clause: str | None  # the words that named the layer, for the evidence basis


def read_denial(text: str) -> Denial | None:
    """Return the IAM denial the text states, or None when it states none."""
    statement = _NOT_AUTHORIZED.search(text)
    bare = None if statement else _NOT_AUTHORIZED_BARE.search(text)
    not_for = None if (statement or bare) else _NOT_AUTHORIZED_FOR.search(text)
    action_only = None if (statement or bare) else _ACTION_ONLY.search(text)
    could_not_assume = _COULD_NOT_ASSUME.search(text)
    access_to = _ACCESS_TO_RESOURCE.search(text)
    implicit = _IMPLICIT.search(text)
    explicit = _EXPLICIT.search(text)
    encoded = _ENCODED.search(text)
    # The literal gate skips the case-insensitive alternation on the texts (nearly all) without it.
    block = _BLOCK_PUBLIC_ACCESS.search(text) if ("ublic" in text or "UBLIC" in text) else None
    found_any = (statement, bare, not_for, action_only, could_not_assume, access_to, implicit, explicit, encoded, block)
    if not any(found_any):
        return None
    decision = layer = clause = None
    if explicit is not None:
        phrase = explicit.group(1).lower()
        decision, clause = "explicit", explicit.group(0)
        # "... VPC endpoint policy transitively through a service control policy": fix the SCP.
        layer = "scp" if explicit.group(2) else LAYER_OF.get(phrase, phrase.replace(" ", "_"))
    elif implicit is not None:
        decision, clause = "implicit", implicit.group(0)
        layer = LAYER_OF[implicit.group(1).lower()]
    elif (untyped := _EXPLICIT_UNTYPED.search(text)) is not None:
        decision, clause = "explicit", untyped.group(0)
    principal = action = resource = None
    if statement is not None:
        principal, action = _clean(statement.group(1)), statement.group(2)
        tail = text[statement.end() : statement.end() + 1200].lstrip()
        if (before := _ON_RESOURCE_BEFORE_CLAUSE.match(tail)) is not None:
            resource = _clean(before.group(1))
        elif (on := _ON_RESOURCE.match(tail)) is not None:
            resource = _clean(on.group(1) or on.group(2) or on.group(3) or "")
    elif bare is not None:
        action = bare.group(1)
        for_role = _FOR_ROLE.search(text)
        if for_role is not None:
            resource = _clean(for_role.group(1))
        elif (on := _ON_RESOURCE.match(text[bare.end() : bare.end() + 600].lstrip())) is not None:
            resource = _clean(on.group(1) or on.group(2) or on.group(3) or "")
    elif not_for is not None:
        resource = not_for.group(1)
    elif action_only is not None:
        action = action_only.group(1)
    if resource is None and could_not_assume is not None:
        resource = could_not_assume.group(1)
    if resource is None and access_to is not None:
        resource = _clean(access_to.group(1))
    if resource is None and decision is not None and (on := _ON_RESOURCE_ANYWHERE.search(text)) is not None:
        resource = _clean(on.group(1))  # "The IAM Entity is not authorized to perform API action on resource: ..."
    policy_arn = _POLICY_ARN.search(text[explicit.end() - 40 :] if explicit else text) if decision else None
    authorization_id = _AUTHORIZATION_ID.search(text)
    return Denial(
        principal=principal if principal != "null" else None,
        action=action if action != "null" else None,
        resource=resource or None,
        decision=decision,
        layer=layer,
        policy_arn=_clean(policy_arn.group(1)) if policy_arn else None,
        authorization_id=authorization_id.group(1) if authorization_id else None,
        encoded=encoded is not None,
        encoded_message=encoded.group(1) if encoded else None,
        block_public_access=block is not None,
        assume_warning=could_not_assume is not None,
        clause=clause,
    )


def _clean(value: str) -> str:
    """Strip the quotes and brackets a message wraps a value in, and one sentence-ending mark.

    Only one: a reporter's redaction ("user/Jyo.....") keeps its dots.
    """
    value = value.strip().strip("\"'`[]()")
    if value[-1:] in (".", ",", ";", ":") and value[-2:-1] != ".":
        value = value[:-1]
    return value.strip("\"'`")
