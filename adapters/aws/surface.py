"""Read the envelope every AWS client wraps an error in: code, operation, service, request id, status.

Wire and print shapes, each quoted above its pattern. The first envelope that matches wins;
later ones only fill what is still missing. Structured bodies (S3/EC2/Query XML, JSON with
`__type`, Lambda's `errorType`, Step Functions' `error`/`cause`, CloudTrail records) are read
from the parsed document, not the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Final

from adapters.lazyre import lazy_compile

# botocore / AWS CLI: "An error occurred (AccessDenied) when calling the PutObject operation: msg"
# AWS CLI v1: "A client error (AccessDenied) occurred when calling the PutObject operation: Access Denied"
_BOTOCORE = lazy_compile(
    r"(?:An error|A client error) (?:occurred )?\(([A-Za-z0-9_.]{1,100})\)(?: \(reached max retries: \d{1,3}\))?"
    r"(?: occurred)? when calling the ([A-Za-z0-9]{1,100}) operation(?: \(reached max retries: \d{1,3}\))?: ?"
    r"([^\n]{0,4000})"
)
# Go v2: "operation error S3: PutObject, https response error StatusCode: 403, RequestID: X,
#         HostID: Y, api error AccessDenied: Access Denied"
_GO_V2 = lazy_compile(
    r"(?:operation error ([A-Za-z0-9 ]{1,40}): ([A-Za-z0-9]{1,100}), )?"
    r"(?:exceeded maximum number of attempts, \d{1,3}, )?"
    r"https response error StatusCode: (\d{3})(?:, RequestID: ([^,\s]{0,128}))?(?:, HostID: [^,\n]{0,300})?"
    r"(?:, (?:api error )?([A-Za-z][A-Za-z0-9_.]{1,100}): ?([^\n]{0,4000}))?"
)
# Go v1 / older Terraform: "AccessDenied: Access Denied\n\tstatus code: 403, request id: X, host id: Y".
# Anchored on the status clause; the code is the last "Code: " before it ("WebIdentityErr: failed
# to retrieve credentials caused by: AccessDenied: Not authorized ... status code: 403").
_GO_V1_STATUS = lazy_compile(r"status code: (\d{3}), request id: ([A-Za-z0-9-]{0,128})")
_CODE_BEFORE = lazy_compile(r"(?<![^\s:])([A-Z][A-Za-z0-9]{2,100}): ")
# Java v1: "(Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: X; ...)"
# Java v2: "(Service: S3, Status Code: 403, Request ID: X, Extended Request ID: Y)"
_JAVA = lazy_compile(
    r"\(Service: ([A-Za-z0-9 ]{1,60})[;,] Status Code: (\d{3})[;,](?: Error Code: ([^;,()]{1,100})[;,])?"
    r" Request ID: ?([A-Za-z0-9-]{0,128})"
)
# PHP: 'Error executing "PutObject" on "https://b.s3.amazonaws.com/k"; AWS HTTP error: Client
#       error: `PUT https://...` resulted in a `403 Forbidden` response: ... AccessDenied (client): Access Denied'
_PHP = lazy_compile(r'Error executing "([A-Za-z0-9]{1,100})" on "([^"]{1,2048})"; AWS HTTP error: ')
_PHP_CODE = lazy_compile(r"\b([A-Z][A-Za-z0-9]{2,100}) \((?:client|server)\): ([^\n]{0,4000})")
_PHP_STATUS = lazy_compile(r"(?:resulted in a `|AWS HTTP error: (?:Client|Server) error: )(\d{3}) ")
# A wrapping service's code names the layer better than the inner one: SNS's KMSAccessDenied
# around KMS's AccessDeniedException.
_WRAPPER_CODE = lazy_compile(
    r"\b(KMSAccessDenied(?:Exception)?|KMSDisabled(?:Exception)?|KMSInvalidState(?:Exception)?)\b"
)
# `aws --debug` prints the response headers as a dict: "'x-amzn-ErrorType': 'InvalidGrantException:http://...'"
_ERROR_TYPE_HEADER = lazy_compile(r"x-amzn-ErrorType[\"']?: ?[\"']?([A-Za-z][A-Za-z0-9.]{1,100})", re.IGNORECASE)
# urllib3 debug line of `aws --debug`: 'https://iam.amazonaws.com:443 "POST / HTTP/1.1" 403 305'
_URLLIB3_STATUS = lazy_compile(r" HTTP/1\.1\" (\d{3}) ")
# Any code the tables know, written as a word: "ExpiredToken: The security token ..."
_CODE_SHAPE = lazy_compile(r"^[A-Z][A-Za-z0-9]{1,60}(?:\.[A-Za-z0-9]{1,60})?$")
_CODE_WORD = lazy_compile(r"\b([A-Z][A-Za-z]{2,60}(?:\.[A-Za-z]{2,40})?)\b")
# JS v2 objects: "code: 'AccessDenied'", "statusCode: 403", "requestId: 'X'"; JS v3: "Code: 'AccessDenied'",
# "httpStatusCode: 403", "$fault: 'client'", "name: 'AccessDeniedException'"
_JS_CODE = lazy_compile(r"\b(?:code|Code|name|__type)[\"']?: ?[\"']([A-Za-z0-9_.#:]{2,160})[\"']")
_JS_STATUS = lazy_compile(r"\b(?:statusCode|httpStatusCode|status|StatusCode)[\"']?: ?(\d{3})\b")
_JS_REQUEST_ID = lazy_compile(
    r"\b(?:requestId|RequestId|requestID|x-amz-request-id)[\"']?: ?[\"']([A-Za-z0-9-]{8,128})[\"']"
)
# CloudFormation: 'Resource handler returned message: "msg" (RequestToken: X, HandlerErrorCode: AccessDenied)'
_CFN_HANDLER = lazy_compile(
    r"Resource handler returned message: \"([^\n]{0,4000}?)\" ?\((?:Service: ([A-Za-z0-9 ]{1,60}), )?"
    r"(?:Status Code: (\d{3}), )?(?:Request ID: ([A-Za-z0-9-]{0,128}))?[^)]{0,400}?HandlerErrorCode: ([A-Za-z]{1,60})\)"
)
# CloudFormation (legacy): "API: s3:CreateBucket Access Denied"
_CFN_API = lazy_compile(r"\bAPI: ([a-z0-9-]{1,40}):([A-Za-z0-9]{1,100}) ([^\n]{0,2000})")
# "Request ID: 4442587F", "RequestId: x", "request id: x", "x-amz-request-id: x"
_REQUEST_ID = lazy_compile(
    r"(?:Request ?ID|RequestId|request id|x-amz-request-id|x-amzn-RequestId)[\"'>]?:? ?[\"']?([A-Za-z0-9-]{8,128})"
)
# The Java/.NET exception class names the code when nothing else does: "S3Exception", "AmazonS3Exception"
# JS v2 stacks: "aws-sdk/lib/services/ec2.js"; JS v3: "@aws-sdk/client-secrets-manager";
# Kotlin/Java v2 class names: "aws.sdk.kotlin.services.s3.model.S3Exception"
_SDK_SERVICE = lazy_compile(
    r"aws-sdk/lib/services/([a-z0-9]{2,40})\.js|@aws-sdk/client-([a-z0-9-]{2,40})"
    r"|(?:aws\.sdk\.kotlin|software\.amazon\.awssdk)\.services\.([a-z0-9]{2,40})\."
)
# CDK: 'Call failed: getBucketLocation({"Bucket":"x"}) => Access Denied (code=AccessDenied)'
_CDK_CALL = lazy_compile(r"Call failed: ([a-zA-Z]{2,80})\(.{0,600}?\) => .{0,600}?\(code=([A-Za-z0-9.]{2,100})\)")
# A CloudTrail record pasted as lines that no longer parse: '"eventName": "CreateFleet",'
_TRAIL_FIELD = lazy_compile(
    r"\"(eventName|errorCode|eventSource|requestID|recipientAccountId)\": ?\"([A-Za-z0-9._:-]{1,200})\""
)
# JSON-protocol namespaces name the service: "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/"
_CORAL_SERVICE = lazy_compile(r"internal\.amazon\.com/coral/com\.amazon(?:aws)?\.([a-z0-9]{2,40})")
# .NET: "Error making request with Error Code Forbidden and Http Status Code Forbidden"
_DOTNET = lazy_compile(
    r"Error making request with Error Code ([A-Za-z0-9.]{2,100}) and Http Status Code ([A-Za-z0-9]{2,40})"
)
# Swift: 'typeName: Optional("UnauthorizedOperation")' ... "Status Code: http_status_403"
_SWIFT_CODE = lazy_compile(r"typeName: Optional\(\"([A-Za-z0-9.]{2,100})\"\)")
_SWIFT_STATUS = lazy_compile(r"http_status_(\d{3})")
# Kotlin: "Service returned error code 403: Forbidden, Error type: Unknown"
_KOTLIN_STATUS = lazy_compile(r"Service returned error code (\d{3})")
# "cli-dataflow.s3.amazonaws.com", "iam.us-gov.amazonaws.com", "x.execute-api.us-east-1.amazonaws.com"
_SERVICE_OF_HOST = lazy_compile(r"\b[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,4}\.amazonaws\.com")
_REGION_LABEL = lazy_compile(r"^(?:[a-z]{2}(?:-gov)?-[a-z]{4,9}-\d{1,2}|us-gov|dualstack)$")

# Java/.NET client names → service prefix ("(Service: AWSSecurityTokenService; ...")
_JAVA_SERVICE: Final = {
    "amazon s3": "s3", "amazons3": "s3", "amazonec2": "ec2", "amazon ec2": "ec2", "amazondynamodbv2": "dynamodb",
    "awssecuritytokenservice": "sts", "awskms": "kms", "amazonsqs": "sqs", "amazonsns": "sns", "awslambda": "lambda",
    "amazoncloudwatch": "cloudwatch", "awsstepfunctions": "states", "amazonecr": "ecr", "awsecr": "ecr",
    "amazonidentitymanagement": "iam", "awssimplesystemsmanagement": "ssm", "awssecretsmanager": "secretsmanager",
    "amazonkinesis": "kinesis", "amazoncloudformation": "cloudformation", "awsglue": "glue", "amazonathena": "athena",
}  # fmt: skip


@dataclass(frozen=True)
class Envelope:
    """The AWS error's code, message and request context, each with what printed it."""

    code: str | None = None
    message: str | None = None
    operation: str | None = None
    service: str | None = None
    request_id: str | None = None
    status_code: int | None = None
    principal: str | None = None  # CloudTrail's userIdentity.arn
    action: str | None = None  # CloudFormation's legacy "API: s3:PutBucketPolicy"
    account_id: str | None = None
    basis: str = "the error text"
    extra: dict[str, str] = field(default_factory=dict)

    def fill(self, other: Envelope) -> Envelope:
        """Return this envelope with its empty fields taken from another."""
        updates = {
            name: getattr(other, name)
            for name in (
                "code",
                "message",
                "operation",
                "service",
                "request_id",
                "status_code",
                "principal",
                "account_id",
            )
            if getattr(self, name) is None and getattr(other, name) is not None
        }
        return replace(self, **updates) if updates else self


def read_envelope(text: str, data: Any, xml: dict[str, str], lines: str | None = None) -> Envelope | None:
    """Return the envelope of the AWS error in the payload, or None when none is recognisable.

    `text` is the whitespace-folded text (wrapped messages whole); `lines` the text with its line
    breaks, where one line's message cannot run into the next error.
    """
    found: Envelope | None = None
    for reader in (_from_cloudtrail, _from_json, _from_xml):
        candidate = reader(data) if reader is not _from_xml else _from_xml(xml)
        if candidate is not None:
            found = candidate if found is None else found.fill(candidate)
    text_envelope = _from_text(text, lines)
    if text_envelope is not None:
        found = text_envelope if found is None else found.fill(text_envelope)
    if (header := _ERROR_TYPE_HEADER.search(text)) is not None:
        found = Envelope(code=header.group(1), basis="the x-amzn-ErrorType header").fill(found or Envelope())
    wrapper = _WRAPPER_CODE.search(text)
    if wrapper is not None and found is not None and found.code in (None, "AccessDeniedException"):
        stack = _SDK_SERVICE.search(text)
        service = (stack.group(1) or stack.group(2) or stack.group(3)) if stack else found.service
        found = replace(found, code=wrapper.group(1), service=service)
    if found is not None and found.request_id is None and (rid := _REQUEST_ID.search(text)):
        found = replace(found, request_id=rid.group(1))
    if found is not None and found.service is None and (host := _SERVICE_OF_HOST.search(text)):
        found = replace(found, service=_service_of_host(host.group(0)))
    if found is not None and found.service is None and (coral := _CORAL_SERVICE.search(text)):
        found = replace(found, service=coral.group(1))
    if found is not None and found.service is None and (stack := _SDK_SERVICE.search(text)):
        found = replace(found, service=stack.group(1) or stack.group(2) or stack.group(3))
    return found


def _from_text(text: str, lines: str | None = None) -> Envelope | None:
    if m := _BOTOCORE.search(text):
        return Envelope(code=m.group(1), operation=m.group(2), message=m.group(3), basis="the botocore/CLI error line")
    by_line = _best_go_v2(lines) if lines else None
    if m := (by_line if by_line is not None and by_line.group(2) else None) or _best_go_v2(text):
        return Envelope(
            service=_service_name(m.group(1)) if m.group(1) else None,
            operation=m.group(2),
            status_code=int(m.group(3)),
            request_id=m.group(4) or None,
            code=m.group(5),
            message=m.group(6),
            basis="the Go SDK v2 operation error",
        )
    if m := _CFN_HANDLER.search(text):
        handler = Envelope(
            message=m.group(1),
            service=_service_name(m.group(2)) if m.group(2) else None,
            status_code=int(m.group(3)) if m.group(3) else None,
            request_id=m.group(4),
            code=m.group(5),
            basis="the CloudFormation handler message",
        )
        # The SDK error inside the quotes names the real code; HandlerErrorCode is the fallback.
        inner = _from_text(m.group(1).replace('\\"', '"')) if "(Service:" in m.group(1) else None
        return inner.fill(handler) if inner is not None and inner.code else handler.fill(inner or Envelope())
    if m := _JAVA.search(text):
        before = text[max(0, m.start() - 2000) : m.start()]
        return Envelope(
            service=_service_name(m.group(1)),
            status_code=int(m.group(2)),
            # v2 names no code in the parentheses: the exception class before it does (ExpiredTokenException)
            code=m.group(3) if m.group(3) and not m.group(3)[0].isdigit() else known_code_in(before),
            request_id=m.group(4) or None,
            message=before.strip() or None,
            basis="the Java SDK exception",
        )
    if m := _GO_V1_STATUS.search(text):
        codes = _CODE_BEFORE.findall(text[max(0, m.start() - 3000) : m.start()])
        known = [code for code in codes if is_known_code(code)]
        return Envelope(
            code=(known or codes or [None])[-1],
            status_code=int(m.group(1)),
            request_id=m.group(2) or None,
            basis="the Go SDK v1 error",
        )
    if m := _PHP.search(text):
        code = _PHP_CODE.search(text, m.end())
        status = _PHP_STATUS.search(text, m.start())
        return Envelope(
            operation=m.group(1),
            code=code.group(1) if code else None,
            message=code.group(2) if code else None,
            status_code=int(status.group(1)) if status else None,
            basis="the PHP SDK exception",
        )
    if m := _DOTNET.search(text):
        return Envelope(code=m.group(1), basis="the .NET SDK exception")
    swift_status = _SWIFT_STATUS.search(text)
    if swift_status is not None and (swift_code := known_code_in(text)) is not None:
        # Swift v2: "AccessDeniedException(properties: ...), httpResponse: Status Code: http_status_403"
        return Envelope(code=swift_code, status_code=int(swift_status.group(1)), basis="the Swift SDK error")
    if m := _SWIFT_CODE.search(text):
        status = _SWIFT_STATUS.search(text)
        return Envelope(
            code=m.group(1), status_code=int(status.group(1)) if status else None, basis="the Swift SDK error"
        )
    if m := _KOTLIN_STATUS.search(text):
        return Envelope(status_code=int(m.group(1)), basis="the Kotlin SDK exception")
    if m := _CFN_API.search(text):
        return Envelope(
            service=m.group(1),
            operation=m.group(2),
            action=f"{m.group(1)}:{m.group(2)}",
            message=m.group(3),
            basis="the CloudFormation API message",
        )
    if m := _CDK_CALL.search(text):
        return Envelope(
            operation=m.group(1)[:1].upper() + m.group(1)[1:], code=m.group(2), basis="the CDK call failure"
        )
    if (trail := _from_cloudtrail_text(text)) is not None:
        return trail
    code = _JS_CODE.search(text)
    status = _JS_STATUS.search(text) or _URLLIB3_STATUS.search(text)
    if code is not None or status is not None:
        request_id = _JS_REQUEST_ID.search(text)
        return Envelope(
            code=_short_code(code.group(1)) if code else known_code_in(text),
            status_code=int(status.group(1)) if status else None,
            request_id=request_id.group(1) if request_id else None,
            basis="the SDK error object",
        )
    if (word := known_code_in(text)) is not None:
        return Envelope(code=word, basis=f"the error code {word} in the text")
    return None


# Words that are codes for some services but also HTTP reason phrases ("HTTP/1.1 403 Forbidden").
_HTTP_WORDS: Final = frozenset({"Forbidden", "Unauthorized"})


def known_code_in(text: str) -> str | None:
    """Return the first word of the text that is a known AWS error code."""
    for match in _CODE_WORD.finditer(text):
        if is_known_code(match.group(1)) and match.group(1) not in _HTTP_WORDS:
            return match.group(1)
    return None


_NOT_ACCESS: Final = frozenset({"AlreadyExistsException", "EntityAlreadyExists", "ValidationException"})


def is_known_code(code: str) -> bool:
    """Tell whether a code is one the AWS tables know."""
    from adapters.aws.codes import AUTHN_CODES, DENIAL_CODES, NOT_ACCESS_CODES

    return code in AUTHN_CODES or code in DENIAL_CODES or code in NOT_ACCESS_CODES


def _best_go_v2(text: str) -> re.Match[str] | None:
    """Return the Go v2 error that is about access, when Terraform printed several."""
    first = None
    if "response error StatusCode" not in text:  # the literal every Go v2 error carries; a cheap gate
        return None
    for count, match in enumerate(_GO_V2.finditer(text)):
        if count >= 10:
            break
        first = first or match
        if match.group(5) and (is_known_code(match.group(5)) and match.group(5) not in _NOT_ACCESS):
            return match
    return first


def _from_cloudtrail_text(text: str) -> Envelope | None:
    fields: dict[str, str] = {}
    for match in _TRAIL_FIELD.finditer(text):
        fields.setdefault(match.group(1), match.group(2))
    if "eventName" not in fields or "errorCode" not in fields:
        return None
    return Envelope(
        code=fields["errorCode"],
        operation=fields["eventName"],
        service=fields.get("eventSource", "").split(".", 1)[0] or None,
        request_id=fields.get("requestID"),
        account_id=fields.get("recipientAccountId"),
        basis="the CloudTrail record's fields",
    )


def _from_xml(xml: dict[str, str]) -> Envelope | None:
    # <Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>X</RequestId></Error>
    if "Code" not in xml:
        return None
    return Envelope(
        code=xml["Code"],
        message=xml.get("Message"),
        request_id=xml.get("RequestId") or xml.get("RequestID"),
        basis="the XML error body",
    )


def _from_json(data: Any) -> Envelope | None:
    if not isinstance(data, dict):
        return None
    # {"__type": "com.amazonaws.kms#AccessDeniedException", "message": "..."} / {"Code": ..., "Message": ...}
    error = data.get("error")
    # Step Functions' {"error": "States.TaskFailed"}: a code; a log line's {"error": "text ..."}: not.
    error_code = error if isinstance(error, str) and _CODE_SHAPE.match(error) else None
    code = data.get("__type") or data.get("Code") or data.get("code") or data.get("errorType") or error_code
    message = data.get("message") or data.get("Message") or data.get("errorMessage") or data.get("cause")
    if isinstance(data.get("Error"), dict):  # {"Error": {"Code": "AccessDenied", "Message": "..."}}
        inner = data["Error"]
        code, message = inner.get("Code", code), inner.get("Message", message)
    if not isinstance(code, str) and not isinstance(message, str):
        return None
    metadata: dict[str, Any] = data["$metadata"] if isinstance(data.get("$metadata"), dict) else {}
    status = metadata.get("httpStatusCode") or data.get("statusCode")
    return Envelope(
        code=_short_code(code) if isinstance(code, str) else None,
        message=message if isinstance(message, str) else None,
        request_id=_str(metadata.get("requestId") or data.get("requestId") or data.get("RequestId")),
        status_code=status if isinstance(status, int) else None,
        basis="the JSON error body",
    )


def _from_cloudtrail(data: Any) -> Envelope | None:
    record = denied_record(data)
    if record is None:
        return None
    identity: dict[str, Any] = record["userIdentity"] if isinstance(record.get("userIdentity"), dict) else {}
    source = _str(record.get("eventSource")) or ""
    code = _str(record.get("errorCode"))
    return Envelope(
        code=code,
        message=_str(record.get("errorMessage")),
        operation=_str(record.get("eventName")),
        service=source.split(".", 1)[0] or None,
        request_id=_str(record.get("requestID")),
        principal=_str(identity.get("arn")),
        account_id=_str(record.get("recipientAccountId")) or _str(identity.get("accountId")),
        basis="the CloudTrail record",
    )


def denied_record(data: Any) -> dict[str, Any] | None:
    """Return the CloudTrail record in the data that failed, preferring an access denial."""
    records: list[Any]
    if isinstance(data, dict) and isinstance(data.get("Records"), list):
        records = data["Records"][:500]
    elif isinstance(data, dict) and isinstance(data.get("detail"), dict):  # EventBridge envelope
        records = [data["detail"]]
    elif isinstance(data, list):  # an array of records, as the console's "download events" gives
        records = data[:500]
    else:
        records = [data]
    failed = [r for r in records if isinstance(r, dict) and "eventSource" in r and r.get("errorCode")]
    for record in failed:
        if re.search(r"AccessDenied|Unauthorized|Forbidden", str(record.get("errorCode"))):
            return record
    return failed[0] if failed else None


def _service_of_host(host: str) -> str | None:
    """Return the service label of an AWS endpoint host: the last label before region and domain."""
    labels = [label for label in host.removesuffix(".amazonaws.com").split(".") if not _REGION_LABEL.match(label)]
    if not labels:
        return None
    last = labels[-1]
    return "s3" if last.startswith("s3-") else last


def _service_name(name: str) -> str:
    """Return the IAM service prefix for an SDK's service name ("CloudWatch Logs" -> logs)."""
    lowered = name.strip().lower()
    if lowered in _JAVA_SERVICE:
        return _JAVA_SERVICE[lowered]
    key = lowered.replace(" ", "").removeprefix("amazon").removeprefix("aws")
    return _SERVICE_ALIASES.get(key, key)


# Go v2 / Java v2 service names whose IAM prefix differs from the name squeezed
_SERVICE_ALIASES: Final = {
    "cloudwatchlogs": "logs", "elasticloadbalancingv2": "elasticloadbalancing", "eventbridge": "events",
    "sfn": "states", "stepfunctions": "states", "cognitoidentityprovider": "cognito-idp",
    "cognitoidentity": "cognito-identity", "elasticcontainerregistry": "ecr", "ssoadmin": "sso",
    "ssooidc": "sso-oauth", "bedrockruntime": "bedrock", "sesv2": "ses", "opensearch": "es",
    "applicationautoscaling": "application-autoscaling", "identitymanagement": "iam", "securitytokenservice": "sts",
}  # fmt: skip


def _short_code(code: str) -> str:
    """Drop the namespace of a JSON-protocol code: com.amazonaws.kms#AccessDeniedException -> AccessDeniedException."""
    return code.rsplit("#", 1)[-1].split(":", 1)[0].strip()


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
