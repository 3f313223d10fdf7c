"""The AWS adapter: recognises an AWS failure in any surface form and names the layer that said no.

Order of trust: an authentication phrase or code (credentials, SSO, clock, signature); the
look-alikes that are not IAM (Bedrock model access, opt-in, API Gateway's missing route); the
IAM denial clause (`because no <layer> allows`, `with an explicit deny in <layer>`), which
decides the layer; an encoded authorization message; the error code alone.
"""

from __future__ import annotations

import re
from typing import ClassVar, Final

from adapters.aws.codes import (
    API_GATEWAY_AUTHORIZER,
    API_GATEWAY_CONTEXT,
    API_GATEWAY_FORBIDDEN,
    API_GATEWAY_MISSING_ROUTE,
    AUTHFAILURE_IS_AUTHZ,
    AUTHN_CODES,
    AUTHN_PHRASES,
    AWS_MARKERS,
    AWS_SERVICE_NOUN,
    BEDROCK_MODEL_ACCESS,
    DENIAL_CODES,
    IDENTITY_CENTER_NO_ACCESS,
    KMS_KEY_STATE,
    KMS_UNUSABLE_CODES,
    NOT_ACCESS_CODES,
    NOT_S3,
    OPT_IN,
    PRESIGN_EVIDENCE,
    PRESIGNED_EXPIRED,
    S3_CODE_WORDS,
    SERVICE_CANNOT_ASSUME,
    SERVICE_DELIVERY_BUCKET,
    SERVICE_DELIVERY_DENIED,
    SNS_DELIVERY_DENIED,
    SNS_DELIVERY_DESTINATION,
    SNS_DELIVERY_TOPIC,
    STS_REGION_ACCOUNT,
    STS_REGION_DISABLED,
)
from adapters.aws.grammar import POLICY_TYPE_OF, Denial, read_denial
from adapters.aws.identity import identity_findings
from adapters.aws.surface import Envelope, denied_record, read_envelope
from adapters.base import _CONTROL_CHARACTERS, Category, Diagnosis, Evidence, FindingsBuilder, Payload
from adapters.http.status import status_in_text
from adapters.lazyre import lazy_compile
from adapters.markers import MarkerSet

PROVIDER: Final = "aws"

CATEGORY_OF: Final[dict[str, Category]] = {
    "aws.authn.missing_credentials": "authentication",
    "aws.authn.invalid_credentials": "authentication",
    "aws.authn.signature_mismatch": "authentication",
    "aws.authn.expired_credentials": "authentication",
    "aws.authn.clock_skew": "authentication",
    "aws.authn.sso_token_expired": "authentication",
    **{
        f"aws.authz.implicit_deny.{layer}": "authorization"
        for layer in (
            "identity_policy",
            "resource_policy",
            "permissions_boundary",
            "session_policy",
            "scp",
            "vpc_endpoint_policy",
        )
    },
    **{
        f"aws.authz.explicit_deny.{layer}": "authorization"
        for layer in (
            "identity_policy",
            "resource_policy",
            "permissions_boundary",
            "session_policy",
            "scp",
            "rcp",
            "vpc_endpoint_policy",
            "unknown_policy",
        )
    },
    "aws.authz.s3_block_public_access": "authorization",
    "aws.authz.assume_role_denied": "authorization",
    "aws.authz.encoded_message": "authorization",
    "aws.authz.unspecified": "authorization",
    "aws.other.bedrock_model_access": "other",
    "aws.other.opt_in_required": "other",
    "aws.other.api_gateway_missing_route": "other",
    "aws.authn.presigned_url_expired": "authentication",
    "aws.authz.identity_center_no_access": "authorization",
    "aws.authz.api_gateway_authorizer_denied": "authorization",
    "aws.other.kms_key_unusable": "other",
    "aws.other.sts_region_disabled": "other",
    "aws.authz.service_principal_denied": "authorization",
}

# "arn:aws:sts::123456789012:assumed-role/R/s" → the account
_ACCOUNT_IN_ARN = lazy_compile(r"^arn:aws[a-z-]{0,10}:[a-z0-9-]{1,32}:[a-z0-9-]{0,32}:(\d{12}):")
# "Access Denied", "AccessDeniedException", "KMS access was denied", "Forbidden"
_BARE_DENIAL = lazy_compile(
    r"access (?:was |is )?denied|AccessDenied|\bForbidden\b|not allowed to access|permissions error"
    r"|Unauthorized tagging operation|(?:don't|do not) have permissions? to|not authorized to perform",
    re.IGNORECASE,
)
_AWS_MARKERS: Final = MarkerSet(AWS_MARKERS)
# "Check your Google secret key and signing method." / "host:bucket.storage.googleapis.com" in a CanonicalRequest
_CLOUD_STORAGE_SIGNATURE: Final = lazy_compile(
    r"Check your Google secret key|host:[\w.-]{0,200}storage\.googleapis\.com"
)
# "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_KMS_KEY_ARN = lazy_compile(r"arn:aws[a-z-]{0,10}:kms:[a-z0-9-]{1,32}:\d{12}:key/(?:mrk-)?[0-9a-f-]{32,36}")
# Literals every IAM denial clause that makes a payload AWS's without a marker contains.
_DENIAL_HINTS: Final = (
    "explicit deny", "because no ", "Encoded authorization failure message", "not authorized to perform",
    "Not authorized for", "could not be used to assume", "Block Public", "BlockPublic", "is not allowed to execute",
)  # fmt: skip
# CDK goes on after failing to assume its lookup role; a failure printed after that is the real one.
_LATER_FAILURE = lazy_compile(r"You are not authorized to perform this operation|\[Error at ")
_ASSUME_ACTIONS: Final = frozenset(
    {"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession"}
)


class AwsAdapter:
    """Classifies AWS authentication and authorization failures."""

    name: ClassVar[str] = PROVIDER

    def parse(self, payload: Payload) -> Diagnosis | None:
        """Classify the payload, or return None when nothing in it is AWS's."""
        if not self._may_be_aws(payload):
            return None  # cheap sniffing first: most pastes are not AWS's, and parsing costs
        envelope = read_envelope(payload.flat, payload.data, dict(payload.xml), lines=payload.text)
        denial = read_denial(payload.flat)
        if envelope is not None and envelope.message:
            denial = denial or read_denial(envelope.message)
        if not self._is_aws(payload, envelope, denial):
            return None
        # API Gateway and the JSON protocols name the code in a header: it beats any word in the body.
        error_type = payload.header("x-amzn-errortype")
        if error_type:
            header = Envelope(code=error_type.split(":", 1)[0].strip(), basis="the x-amzn-ErrorType header")
            envelope = header.fill(envelope) if envelope else header
        envelope = envelope or Envelope()
        found = FindingsBuilder()
        confidence = _classify(found, payload, envelope, denial)
        _add_facts(found, payload, envelope, denial)
        findings = found.build()
        reason = next((str(f.value) for f in findings if f.field == "reason"), None)
        return Diagnosis(
            provider=PROVIDER,
            reason=reason,
            category=CATEGORY_OF[reason] if reason else "other",
            confidence=confidence,
            findings=findings,
            note=None if reason else _not_access_note(envelope),
        )

    @staticmethod
    def _may_be_aws(payload: Payload) -> bool:
        """Tell, cheaply, whether anything in the payload could make it AWS's (no false negatives)."""
        if payload.provider_hint == PROVIDER or "Code" in payload.xml:
            return True
        if any(name in payload.headers for name in ("x-amz-request-id", "x-amzn-requestid", "x-amzn-errortype")):
            return True
        if any(hint in payload.flat for hint in _DENIAL_HINTS) or "NoSuch" in payload.flat:
            return True
        if "Forbidden" in payload.flat and _is_api_gateway_forbidden(payload):
            return True
        if _aws_access_denied_exception(payload.flat):
            return True
        return _AWS_MARKERS.found(payload.flat)

    @staticmethod
    def _is_aws(payload: Payload, envelope: Envelope | None, denial: Denial | None) -> bool:
        if _CLOUD_STORAGE_SIGNATURE.search(payload.flat) and "amazonaws.com" not in payload.flat:
            return False  # Cloud Storage's XML API speaks S3's codes; the GCP adapter reads it
        if _AWS_MARKERS.found(payload.flat):
            return True
        if S3_CODE_WORDS.search(payload.flat) and not NOT_S3.search(payload.flat):
            return True  # S3's XML body alone, as a browser or proxy shows it
        if "Forbidden" in payload.flat and _is_api_gateway_forbidden(payload):
            return True
        if _aws_access_denied_exception(payload.flat):
            return True
        if (
            payload.header("x-amz-request-id")
            or payload.header("x-amzn-requestid")
            or payload.header("x-amzn-errortype")
        ):
            return True
        # <Error><Code>AccessDenied</Code>...<RequestId>..</RequestId><HostId>..</HostId> (S3),
        # <Response><Errors>..</Errors><RequestID>..</RequestID> (EC2), <ErrorResponse> (Query)
        if "Code" in payload.xml and any(k in payload.xml for k in ("RequestId", "RequestID", "HostId")):
            return True
        if denial is not None and (denial.decision is not None or denial.encoded):
            return True
        if payload.provider_hint != PROVIDER or payload.header("www-authenticate") is not None:
            return False  # a hint never overrules a payload that is plainly another kind (a challenge)
        return envelope is not None or payload.status_code in (400, 401, 403)


def _classify(found: FindingsBuilder, payload: Payload, envelope: Envelope, denial: Denial | None) -> float:
    """Record the reason; return the confidence."""
    text = payload.flat
    code = envelope.code

    # Look-alikes first: their codes (AccessDeniedException, MissingAuthenticationToken) lie.
    if (special := _classify_special(found, payload, envelope, denial)) is not None:
        return special
    if ("odel" in text or "ODEL" in text) and BEDROCK_MODEL_ACCESS.search(text):
        found.add(
            "reason",
            "aws.other.bedrock_model_access",
            "reported",
            "Bedrock's 'You don't have access to the model'",
        )
        if envelope.service is None and re.search(r"[Bb]edrock", text):
            found.add("service", "bedrock", "reported", "the Bedrock named in the message")
        return 0.95
    if OPT_IN.search(text) or (code is not None and AUTHN_CODES.get(code) == "aws.other.opt_in_required"):
        found.add("reason", "aws.other.opt_in_required", "reported", "the opt-in / subscription message")
        return 0.9
    if API_GATEWAY_MISSING_ROUTE.search(text):
        found.add(
            "reason",
            "aws.other.api_gateway_missing_route",
            "inferred",
            "API Gateway's answer for a path with no route",
        )
        return 0.8

    if denial is not None and (
        denial.decision or denial.encoded or denial.block_public_access or denial.action or denial.resource
    ):
        return _classify_denial(found, denial, code, text)

    for pattern, reason in AUTHN_PHRASES:
        if (match := pattern.search(text)) is not None:
            found.add("reason", reason, "reported", f'the words "{match.group(0)}"')
            return 0.9
    if code is not None:
        if code == "AuthFailure" and AUTHFAILURE_IS_AUTHZ.search(text):
            found.add(
                "reason",
                "aws.authz.unspecified",
                "reported",
                "EC2's 'Not authorized for' an image or snapshot",
            )
            return 0.85
        if code in AUTHN_CODES:
            found.add("reason", AUTHN_CODES[code], "reported", f"the error code {code}")
            return 0.9
        if code in DENIAL_CODES or code.endswith("AccessDenied") or code.endswith("AccessDeniedException"):
            found.add("reason", "aws.authz.unspecified", "reported", f"the error code {code} with no policy detail")
            return 0.8
        if code in NOT_ACCESS_CODES and _BARE_DENIAL.search(text) is None:
            return 0.85  # CloudFormation's ValidationError "S3 error: Access Denied" falls through
    if (bare := _BARE_DENIAL.search(text)) is not None:
        found.add("reason", "aws.authz.unspecified", "reported", f'the words "{bare.group(0)}" with no policy detail')
        return 0.7
    if 403 in (payload.status_code, envelope.status_code):
        found.add(
            "reason",
            "aws.authz.unspecified",
            "inferred",
            "an AWS 403 with no body (S3 HEAD requests have none)",
        )
        return 0.6
    return 0.5


def _classify_special(
    found: FindingsBuilder, payload: Payload, envelope: Envelope, denial: Denial | None
) -> float | None:
    """Record the reasons whose fix is not a grant although the words say denied; None when none applies.

    Each is decided by a code or phrase only its service emits, so it outranks the generic
    denial clause and the SDK's credential phrases printed around it (a CLI session that ran
    `aws sso login` before GetRoleCredentials said "No access").
    """
    text = payload.flat
    code = envelope.code
    if code == "RegionDisabledException" or STS_REGION_DISABLED.search(text):
        found.add("reason", "aws.other.sts_region_disabled", "reported", "STS's RegionDisabledException")
        if (account := STS_REGION_ACCOUNT.search(text)) is not None:
            found.add("account_id", account.group(1), "reported", "the account the message names")
        found.add("service", "sts", "reported", "STS's RegionDisabledException")
        return 0.95
    if _service_delivery_denied(found, text):
        return 0.9
    if IDENTITY_CENTER_NO_ACCESS.search(text):
        found.add(
            "reason",
            "aws.authz.identity_center_no_access",
            "reported",
            "IAM Identity Center's GetRoleCredentials 'No access'",
        )
        found.add("service", "sso", "reported", "the IAM Identity Center portal API")
        found.add("operation", "GetRoleCredentials", "inferred", "the portal call that returns role credentials")
        return 0.9
    if code in KMS_UNUSABLE_CODES or (("KMS" in text or "kms" in text) and KMS_KEY_STATE.search(text)):
        basis = f"the KMS error code {code}" if code in KMS_UNUSABLE_CODES else "the KMS key state in the message"
        found.add("reason", "aws.other.kms_key_unusable", "reported", basis)
        if (key := _KMS_KEY_ARN.search(text)) is not None:
            found.add("resource", key.group(0), "reported", "the KMS key ARN in the message")
        return 0.9
    if code != "RequestExpired" and PRESIGNED_EXPIRED.search(text) and PRESIGN_EVIDENCE.search(text):
        found.add(
            "reason", "aws.authn.presigned_url_expired", "reported", "S3's 'Request has expired' on a presigned URL"
        )
        found.add("service", "s3", "inferred", "the presigned URL's expiry answer")
        return 0.9
    if (assume := SERVICE_CANNOT_ASSUME.search(text)) is not None:
        found.add("reason", "aws.authz.assume_role_denied", "reported", f'the words "{assume.group(0)}"')
        return 0.8
    if _is_api_gateway_denial(payload, denial):
        found.add(
            "reason",
            "aws.authz.api_gateway_authorizer_denied",
            "reported",
            "API Gateway's authorizer / resource policy answer",
        )
        found.add("service", "execute-api", "inferred", "the API Gateway answer")
        return 0.85
    return None


# The service principal each delivery error speaks for (its bucket-policy page names it).
_DELIVERY_SERVICE: Final = (
    ("Insufficient delivery policy", "config", "config.amazonaws.com"),
    ("InsufficientDeliveryPolicyException", "config", "config.amazonaws.com"),
    ("S3bucket permission", "elasticloadbalancing", None),  # an ELB account or logdelivery.elasticloadbalancing
    ("S3 bucket permission", "elasticloadbalancing", None),
    ("Insufficient", "cloudtrail", "cloudtrail.amazonaws.com"),  # CloudTrail's Insufficient*PolicyException
    ("Incorrect S3 bucket policy", "cloudtrail", "cloudtrail.amazonaws.com"),
)


def _service_delivery_denied(found: FindingsBuilder, text: str) -> bool:
    """Record a service principal refused by the policy of the bucket, topic or queue it delivers to.

    CloudTrail, Config and Elastic Load Balancing check the bucket policy when the trail, delivery
    channel or access log is configured and answer in their own words; SNS logs a delivery that the
    queue's policy refused. The fix is the statement for the service (and its aws:SourceArn /
    aws:SourceAccount condition), not an Allow for the person who made the call.
    """
    if (match := SERVICE_DELIVERY_DENIED.search(text)) is not None:
        words = match.group(0)
        service, principal = next(((s, p) for key, s, p in _DELIVERY_SERVICE if key in words), ("cloudtrail", None))
        found.add("reason", "aws.authz.service_principal_denied", "reported", f'the words "{words}"')
        found.add("service", service, "reported", f'"{words}" is {service}\'s delivery check')
        if principal is not None:
            found.add("principal", principal, "inferred", f"the service principal {service} delivers as")
        if (bucket := SERVICE_DELIVERY_BUCKET.search(text)) is not None:
            found.add("resource", f"arn:aws:s3:::{bucket.group(1)}", "reported", "the bucket the message names")
        return True
    if "providerResponse" in text and SNS_DELIVERY_DENIED.search(text) is not None:
        found.add("reason", "aws.authz.service_principal_denied", "reported", "an SNS delivery log's AccessDenied")
        found.add("principal", "sns.amazonaws.com", "inferred", "SNS delivers to the subscribed endpoint")
        if (topic := SNS_DELIVERY_TOPIC.search(text)) is not None:
            found.add("source_arn", topic.group(1), "reported", "the topic of the delivery log")
        if (destination := SNS_DELIVERY_DESTINATION.search(text)) is not None:
            found.add("resource", destination.group(1), "reported", "the destination of the delivery log")
            found.add("service", destination.group(1).split(":")[2], "reported", "the destination's service")
        return True
    return False


def _aws_access_denied_exception(text: str) -> bool:
    """Tell whether an AccessDeniedException is AWS's: named next to an AWS service, not java.nio's."""
    return "AccessDeniedException" in text and "java.nio" not in text and AWS_SERVICE_NOUN.search(text) is not None


def _is_api_gateway_denial(payload: Payload, denial: Denial | None) -> bool:
    """Tell whether API Gateway itself refused: an authorizer, the API's resource policy, WAF or a private API."""
    text = payload.flat
    if API_GATEWAY_AUTHORIZER.search(text):
        return True
    if denial is not None and denial.action == "execute-api:Invoke" and denial.layer in (None, "resource_policy"):
        return True  # "User: anonymous is not authorized to perform: execute-api:Invoke on resource: ..."
    return _is_api_gateway_forbidden(payload)


def _is_api_gateway_forbidden(payload: Payload) -> bool:
    """Tell whether a {"message":"Forbidden"} body comes from API Gateway (a header or words place it there)."""
    text = payload.flat
    if API_GATEWAY_FORBIDDEN.search(text) is None:
        return False
    error_type = payload.header("x-amzn-errortype") or ""
    return (
        payload.header("x-amz-apigw-id") is not None
        or error_type.startswith("Forbidden")
        or API_GATEWAY_CONTEXT.search(text) is not None
    )


def _classify_denial(found: FindingsBuilder, denial: Denial, code: str | None, text: str) -> float:
    clause: Evidence = "reported"
    if denial.block_public_access:
        found.add("reason", "aws.authz.s3_block_public_access", clause, "the S3 Block Public Access clause")
        return 0.95
    if denial.action in _ASSUME_ACTIONS:
        found.add("reason", "aws.authz.assume_role_denied", clause, f"the denied action {denial.action}")
        return 0.95
    if denial.assume_warning and not _LATER_FAILURE.search(text):
        # CDK could not assume its bootstrap roles and nothing else failed after the warning.
        found.add("reason", "aws.authz.assume_role_denied", clause, "CDK's 'could not be used to assume'")
        return 0.8
    if denial.layer == "role_trust_policy":
        found.add("reason", "aws.authz.assume_role_denied", clause, f'"{denial.clause}"')
        return 0.95
    if denial.decision == "explicit":
        if denial.layer is None:
            found.add(
                "reason",
                "aws.authz.explicit_deny.unknown_policy",
                clause,
                f'"{denial.clause}", no policy type named',
            )
        else:
            found.add("reason", f"aws.authz.explicit_deny.{denial.layer}", clause, f'"{denial.clause}"')
        return 0.95
    if denial.decision == "implicit" and denial.layer in POLICY_TYPE_OF and denial.layer != "rcp":
        found.add("reason", f"aws.authz.implicit_deny.{denial.layer}", clause, f'"{denial.clause}"')
        return 0.95
    if denial.encoded:
        found.add("reason", "aws.authz.encoded_message", clause, "the encoded authorization failure message")
        return 0.9
    basis = f"'is not authorized to perform: {denial.action}' with no policy clause"
    found.add("reason", "aws.authz.unspecified", clause, basis + (f" ({code})" if code else ""))
    return 0.85


def _add_facts(found: FindingsBuilder, payload: Payload, envelope: Envelope, denial: Denial | None) -> None:
    said: Evidence = "reported"
    if denial is not None:
        found.add("principal", denial.principal, said, "the 'User:' of the message")
        found.add("action", denial.action, said, "the action the message names")
    found.add("action", envelope.action, said, envelope.basis)
    if denial is not None:
        found.add("resource", denial.resource, said, "the 'on resource' of the message")
        if denial.layer in POLICY_TYPE_OF:
            found.add("policy_type", POLICY_TYPE_OF[denial.layer], said, f'"{denial.clause}"')
        found.add("policy_arn", denial.policy_arn, said, "the policy ARN after the clause")
        found.add("encoded_message", denial.encoded_message, said, "the encoded authorization failure message")
        found.add("authorization_id", denial.authorization_id, said, "the authorization id in the message")
    found.add("principal", envelope.principal, said, envelope.basis)
    principal = denial.principal if denial and denial.principal else envelope.principal
    account = _ACCOUNT_IN_ARN.match(principal) if principal else None
    found.add(
        "account_id",
        account.group(1) if account else envelope.account_id,
        said,
        "the account in the principal ARN",
    )
    # The service called (the envelope's) first: a Bedrock call can be denied iam:PassRole.
    found.add("service", envelope.service, said, envelope.basis)
    if denial is not None and denial.action and ":" in denial.action:
        found.add("service", denial.action.split(":", 1)[0], said, "the service prefix of the action")
    found.add("operation", envelope.operation, said, envelope.basis)
    found.add("code", envelope.code, said, envelope.basis)
    found.add(
        "request_id",
        envelope.request_id or payload.header("x-amz-request-id") or payload.header("x-amzn-requestid"),
        said,
        envelope.basis,
    )
    status = payload.status_code if payload.status_code is not None else envelope.status_code
    if status is None and (in_text := status_in_text(payload.flat)) is not None:
        status = in_text[0]
    found.add("status_code", status, said, "the HTTP status")
    # Who really made the call: a CloudTrail record names the identity type, the role behind a
    # session, MFA, source identity and what an AssumeRole asked for (adapters/aws/identity.py).
    if payload.data is not None and (record := denied_record(payload.data)) is not None:
        for key, value, evidence, basis in identity_findings(record):
            found.add(key, value, evidence, basis)


def _not_access_note(envelope: Envelope) -> str:
    # The code is the paste's own text (a JSON `__type` can hold anything): the note reaches a
    # terminal, so it loses control characters as facts do (ESC ]52 would write the clipboard).
    code = (envelope.code or "").translate(_CONTROL_CHARACTERS) or "this error"
    return (
        f"{code} is an AWS error, but not an access failure: no credential or policy change will fix it. "
        "Read the message for the resource, parameter or limit it names."
    )
