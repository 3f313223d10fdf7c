"""AWS error codes and phrases → reason: the literal tables the AWS adapter classifies with.

HTTP status never decides (AccessDeniedException is 400 in SSM and KMS; Lambda relays a KMS
denial as 502); the code and the message do.
"""

from __future__ import annotations

import re
from typing import Final

from adapters.lazyre import LazyPattern, lazy_compile

# Codes that say what went wrong without a message to read (CommonErrors in each API reference).
AUTHN_CODES: Final[dict[str, str]] = {
    "InvalidAccessKeyId": "aws.authn.invalid_credentials",
    "InvalidClientTokenId": "aws.authn.invalid_credentials",
    "UnrecognizedClientException": "aws.authn.invalid_credentials",
    "InvalidToken": "aws.authn.invalid_credentials",
    "AuthFailure": "aws.authn.invalid_credentials",
    "NotAuthorized": "aws.authn.invalid_credentials",
    "SignatureDoesNotMatch": "aws.authn.signature_mismatch",
    "IncompleteSignature": "aws.authn.signature_mismatch",
    "IncompleteSignatureException": "aws.authn.signature_mismatch",
    "InvalidSignatureException": "aws.authn.signature_mismatch",
    "ExpiredToken": "aws.authn.expired_credentials",
    "ExpiredTokenException": "aws.authn.expired_credentials",
    "TokenRefreshRequired": "aws.authn.expired_credentials",
    "RequestTimeTooSkewed": "aws.authn.clock_skew",
    "RequestExpired": "aws.authn.clock_skew",
    "RequestInTheFuture": "aws.authn.clock_skew",
    "MissingAuthenticationToken": "aws.authn.missing_credentials",
    "MissingAuthenticationTokenException": "aws.authn.missing_credentials",
    "UnauthorizedSSOTokenError": "aws.authn.sso_token_expired",
    "TokenRetrievalError": "aws.authn.sso_token_expired",
    "SSOTokenProviderFailure": "aws.authn.sso_token_expired",
    "InvalidGrantException": "aws.authn.sso_token_expired",  # SSO-OIDC refusing the cached refresh token
    "SSOProviderInvalidToken": "aws.authn.sso_token_expired",
    # The SDKs' own credential errors (raised before any request is sent).
    "NoCredentialsError": "aws.authn.missing_credentials",
    "PartialCredentialsError": "aws.authn.missing_credentials",
    "CredentialsProviderError": "aws.authn.missing_credentials",
    "NoCredentialProviders": "aws.authn.missing_credentials",
    "CredentialsError": "aws.authn.missing_credentials",
    "ProfileNotFound": "aws.authn.missing_credentials",
    "OptInRequired": "aws.other.opt_in_required",
    "SubscriptionRequiredException": "aws.other.opt_in_required",
    "RegionDisabledException": "aws.other.sts_region_disabled",
}

# KMS codes that mean the key (or the ciphertext's binding to it) cannot be used by anyone, whatever
# the policies say: key state (Disabled, PendingDeletion, PendingImport, Unavailable), and a
# ciphertext or encryption context that does not match (KMS API reference, each operation's Errors).
# Services relay them with their own prefix (Lambda's KMSDisabledException, SFN's KmsInvalidStateException).
KMS_UNUSABLE_CODES: Final = frozenset(
    {
        "DisabledException", "KMSInvalidStateException", "KmsInvalidStateException", "KMSDisabledException",
        "KMSDisabled", "KMSInvalidState", "KMS.DisabledException", "KMS.KMSInvalidStateException",
        "KeyUnavailableException", "InvalidCiphertextException", "IncorrectKeyException",
        "KMSInvalidStateFault", "KMSDisabledFault", "KMSKeyDisabledException",
    }
)  # fmt: skip

# Codes that mean "a policy said no" without saying which (the message may say more).
DENIAL_CODES: Final = frozenset(
    {
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation",
        "UnauthorizedAccess", "Unauthorized", "UnauthorizedException", "Forbidden", "ForbiddenException",
        "AuthorizationError", "AuthorizationErrorException", "AuthorizationFailure", "KMSAccessDenied",
        "KMSAccessDeniedException", "AccessDeniedFault", "NotAuthorizedException", "InsufficientPermissions",
        "InsufficientPermissionsException", "UnauthorizedTaggingOperation", "AllAccessDisabled",
        "403",
    }
)  # fmt: skip

# Real AWS errors that are not access failures: recognised as AWS, answered with reason None.
NOT_ACCESS_CODES: Final = frozenset(
    {
        "ThrottlingException", "Throttling", "TooManyRequestsException", "SlowDown", "RequestLimitExceeded",
        "ProvisionedThroughputExceededException", "NoSuchBucket", "NoSuchKey", "NoSuchEntity",
        "ValidationException", "ValidationError", "ResourceNotFoundException", "InvalidParameterValue",
        "InvalidParameterException", "ServiceUnavailable", "InternalError", "InternalFailure",
        "EntityAlreadyExists", "BucketAlreadyExists", "BucketAlreadyOwnedByYou", "ConditionalCheckFailedException",
        "ResourceInUseException", "InvalidRequest", "MalformedPolicyDocument", "LimitExceeded",
        "LimitExceededException", "ServiceQuotaExceededException", "NotFound", "NoSuchUpload", "PermanentRedirect",
        "AuthorizationHeaderMalformed", "InvalidBucketName", "InvalidAMIID.NotFound", "DryRunOperation",
        "InvalidRequestException",
    }
)  # fmt: skip

# (pattern, reason): phrases that decide an authentication failure whatever the code says.
# Most specific first.
AUTHN_PHRASES: Final[tuple[tuple[LazyPattern, str], ...]] = (
    # "Signature expired: 20190703T131216Z is now earlier than 20190703T131217Z"
    (
        lazy_compile(r"Signature expired: |Signature not yet current: |RequestTimeTooSkewed|time-skew"),
        "aws.authn.clock_skew",
    ),
    # "The difference between the request time and the current time is too large."
    (
        lazy_compile(r"difference between the request time and the (?:current|server's) time is too large"),
        "aws.authn.clock_skew",
    ),
    # "Error when retrieving token from sso: Token has expired and refresh failed"
    (
        lazy_compile(
            r"retrieving token from sso|Token has expired and refresh failed|SSO session associated with this profile"
            r"|UnauthorizedSSOTokenError|SSOTokenProviderFailure|aws sso login|The SSO session .{0,80}expired"
            r"|Session token not found or invalid|SSO Token .{0,40}(?:expired|invalid)",
            re.IGNORECASE,
        ),
        "aws.authn.sso_token_expired",
    ),
    # "The security token included in the request is expired"; "ExpiredToken"
    (
        lazy_compile(r"security token included in the request is expired|ExpiredToken|[Tt]oken (?:has )?expired"),
        "aws.authn.expired_credentials",
    ),
    # "The security token included in the request is invalid"; "The AWS Access Key Id you provided does not exist"
    (
        lazy_compile(
            r"security token included in the request is invalid|Access Key Id you provided does not exist"
            r"|InvalidClientTokenId|UnrecognizedClientException|InvalidAccessKeyId"
        ),
        "aws.authn.invalid_credentials",
    ),
    # "The request signature we calculated does not match the signature you provided"
    (
        lazy_compile(r"signature we calculated does not match|SignatureDoesNotMatch"),
        "aws.authn.signature_mismatch",
    ),
    # botocore: "NoCredentialsError: Unable to locate credentials"; JS v3: "Could not load
    # credentials from any providers"; Go: "NoCredentialProviders: no valid providers in chain"
    (
        lazy_compile(
            r"Unable to locate credentials|NoCredentialsError|Could not load credentials from any providers"
            r"|NoCredentialProviders|no valid providers in chain|Unable to load AWS credentials from any provider"
            r"|Unable to load credentials from any of the providers"
            r"|failed to refresh cached credentials, no EC2 IMDS role|No valid credential sources found"
            r"|Missing credentials in config|PartialCredentialsError|credentials? (?:are|is) missing"
            # .NET's IMDS fallback off EC2; botocore's unknown profile (no credentials to resolve)
            r"|Unable to get IAM security credentials from EC2 Instance Metadata Service|ProfileNotFound"
            r"|The config profile \([^)\n]{1,128}\) could not be found"
        ),
        "aws.authn.missing_credentials",
    ),
)

# Bedrock: "You don't have access to the model with the specified model ID."
BEDROCK_MODEL_ACCESS: Final = lazy_compile(
    r"(?:don't|do not) have access to the model|model access is not enabled|access to the model .{0,40}not enabled"
    r"|Model access is denied due to",
    re.IGNORECASE,
)
# "OptInRequired: You are not subscribed to this service"; "The region ... is not enabled"
OPT_IN: Final = lazy_compile(
    r"OptInRequired|not subscribed to this service|[Rr]egion .{0,60} is (?:not enabled|disabled)"
)
# STS: "RegionDisabledException: STS is not activated in this region for account:123456789012."
STS_REGION_DISABLED: Final = lazy_compile(r"RegionDisabledException|STS is not activated in this region")
# "STS is not activated in this region for account:123456789012" → the account whose Region is off
STS_REGION_ACCOUNT: Final = lazy_compile(r"activated in this region for account: ?(\d{12})")
# IAM Identity Center's portal API: "(ForbiddenException) when calling the GetRoleCredentials
# operation: No access"; Go: "SSO: GetRoleCredentials, ... api error ForbiddenException: No access"
IDENTITY_CENTER_NO_ACCESS: Final = lazy_compile(
    r"GetRoleCredentials[^\n]{0,300}?\bNo access\b|ForbiddenException\b[^\n]{0,80}?\bNo access\b"
)
# S3 presigned URL used after X-Amz-Expires: <Code>AccessDenied</Code><Message>Request has expired</Message>
# <X-Amz-Expires>60</X-Amz-Expires><Expires>..</Expires><ServerTime>..</ServerTime>. EC2's clock-skew
# RequestExpired says "Request has expired" too, so the code or presign evidence decides.
PRESIGNED_EXPIRED: Final = lazy_compile(r"Request has expired")
PRESIGN_EVIDENCE: Final = lazy_compile(
    r"X-Amz-Expires|ServerTime|AccessDenied|X-Amz-Signature|[Pp]re-?signed|[Ss]igned ?[Uu][Rr][Ll]|getSignedUrl"
)
# API Gateway's answers when an authorizer or the API's resource policy denies (Knowledge Center,
# "troubleshoot HTTP 403 errors from API Gateway"): a Lambda authorizer's Deny / no Allow.
API_GATEWAY_AUTHORIZER: Final = lazy_compile(r"User is not authorized to access this resource")
# {"message":"Forbidden"} from an execute-api endpoint (WAF, private API, API key, resource policy)
API_GATEWAY_FORBIDDEN: Final = lazy_compile(r"[\"']message[\"'] ?: ?[\"']Forbidden[\"']")
# A service that could not assume the role it was given (the role's trust policy, or a role that is
# not yet propagated): Lambda's "The role defined for the function cannot be assumed by Lambda.",
# ECS's "ECS was unable to assume the role 'arn:aws:iam::...'"
SERVICE_CANNOT_ASSUME: Final = lazy_compile(
    r"cannot be assumed by (?:Lambda|[A-Z][A-Za-z]{1,30})\b|\bwas unable to assume the role\b"
)
# A service principal refused by a bucket, topic or queue policy it delivers to: the statement for the
# service, or its confused-deputy condition (aws:SourceArn, aws:SourceAccount, aws:SourceOrgID), does
# not match the resource that delivers. The service answers with its own words, never an IAM clause:
# CloudTrail "InsufficientS3BucketPolicyException: Incorrect S3 bucket policy is detected for bucket: b";
# Config "InsufficientDeliveryPolicyException: Insufficient delivery policy to s3 bucket: b, unable to
# write to bucket"; ELB "Access Denied for bucket: b. Please check S3bucket permission".
SERVICE_DELIVERY_DENIED: Final = lazy_compile(
    r"InsufficientS3BucketPolicyException|Incorrect S3 bucket policy is detected|InsufficientSnsTopicPolicyException"
    r"|InsufficientEncryptionPolicyException|InsufficientDeliveryPolicyException|Insufficient delivery policy to s3"
    r"|Please check S3 ?bucket permission"
)
# "... for bucket: my-trail-bucket" / "to s3 bucket: config-bucket-4277, unable ..." → the bucket
# (a name cut short by redaction, "bucket: logs-****-bucket", is not read)
SERVICE_DELIVERY_BUCKET: Final = lazy_compile(
    r"(?:for|to s3) bucket:? {1,3}([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?=[\s,;)]|\.(?:\s|$)|$)"
)
# An SNS delivery status log line: {"notification": {"topicArn": "arn:aws:sns:..."}, "delivery":
# {"destination": "arn:aws:sqs:...", "providerResponse": "{\"ErrorCode\":\"AccessDenied\", ...}"}}
# (the account part as pasted: people redact it, "arn:aws:sns:us-west-2:[redacted]:topic")
SNS_DELIVERY_TOPIC: Final = lazy_compile(
    r"\btopicArn\W{1,6}(arn:aws[a-z-]{0,10}:sns:[a-z0-9-]{1,32}:[^:\s\"\\]{1,40}:[\w.-]{1,256})"
)
SNS_DELIVERY_DESTINATION: Final = lazy_compile(
    r"\bdestination\W{1,6}(arn:aws[a-z-]{0,10}:(?:sqs|lambda):[a-z0-9-]{1,32}:[^:\s\"\\]{1,40}:[\w:.-]{1,256})"
)
SNS_DELIVERY_DENIED: Final = lazy_compile(r"providerResponse\W{1,12}ErrorCode\W{1,6}(?:AccessDenied|KMS\.AccessDenied)")
# "AccessDeniedException" alone is also java.nio's; next to an AWS service's name it is AWS's
AWS_SERVICE_NOUN: Final = lazy_compile(
    r"\b(?:Lambda|DynamoDB|KMS|S3|SQS|SNS|ECR|ECS|EKS|IAM|STS|CloudFormation|CloudWatch|Kinesis|Glue"
    r"|Athena|SageMaker|Secrets ?Manager|SSM|Cognito|Bedrock|Step Functions|EventBridge)\b"
)

# Words that place a bare {"message":"Forbidden"} at API Gateway (its default 403 body for a missing
# API key, WAF, resource policy or private API)
API_GATEWAY_CONTEXT: Final = lazy_compile(
    r"x-api-key|\bAPI [Kk]ey|\b[Uu]sage [Pp]lan|API Gateway|execute-api|apigateway|x-amz-apigw-id", re.IGNORECASE
)
# KMS key state in words: "arn:aws:kms:...:key/... is disabled.", "... is pending deletion."
KMS_KEY_STATE: Final = lazy_compile(
    r"\bis pending (?:deletion|import)\b|KMS key (?:used )?(?:is|was) disabled|\bkey/[0-9a-f-]{36} is disabled"
    r"|\bkey (?:is )?(?:in|has) (?:an )?(?:invalid|unavailable) (?:key )?state|\bKeyState\b[\"']?: ?[\"']?(?:Disabled|PendingDeletion)"
)

# S3's codes as a browser, a proxy or a client library shows them without RequestId/HostId. Cloud
# Storage's XML API uses the same codes, so a text naming Google or holding <Details> is not S3's.
S3_CODE_WORDS: Final = lazy_compile(
    r"<Code>(?:NoSuchBucket|NoSuchKey|AccessDenied|AllAccessDisabled)</Code>|\bNoSuch(?:Key|Bucket)\b"
)
NOT_S3: Final = lazy_compile(r"<Details>|[Gg]oogle|storage\.objects\.|storage\.buckets\.")

# API Gateway answers a path with no route with exactly "Missing Authentication Token" (capital M),
# as {"message":"Missing Authentication Token"} or <MissingAuthenticationTokenException><Message>...;
# AWS service endpoints say "Request is missing Authentication Token" (missing credentials).
API_GATEWAY_MISSING_ROUTE: Final = lazy_compile(r"\bMissing Authentication Token\b")
# EC2's "AuthFailure: Not authorized for images: [ami-...]" is an authorization failure.
AUTHFAILURE_IS_AUTHZ: Final = lazy_compile(r"Not authorized for (?:images|snapshots|instances)")

# Text that makes a payload AWS's even before its shape is read.
AWS_MARKERS: Final = lazy_compile(
    r"arn:aws|amazonaws\.com|botocore|boto3|aws-sdk|@aws-sdk|aws_sdk|AWS HTTP error|x-amz-|An error occurred \("
    r"|operation error [A-Za-z0-9 ]{1,40}: |\(Service: |Encoded authorization failure message|NoCredentialsError"
    r"|Unable to locate credentials|CredentialsProviderError|NoCredentialProviders|InvalidClientTokenId"
    r"|UnrecognizedClientException|InvalidAccessKeyId|RequestTimeTooSkewed|UnauthorizedOperation|OptInRequired"
    r"|aws sso login|AWS_PROFILE|HandlerErrorCode|registry\.terraform\.io/hashicorp/aws|sts:AssumeRole"
    r"|security token included in the request|AWS Access Key Id|SSOTokenProviderFailure|retrieving token from sso"
    r"|You don't have access to the model with the specified model ID|status code: \d{3}, request id: "
    r"|SignatureDoesNotMatch|InvalidSignatureException|signature we calculated does not match"
    r"|Signature expired: \d{8}T\d{6}Z|AuthFailure|Not authorized for images|A client error \("
    # (not AccessDeniedException alone: java.nio.file.AccessDeniedException is a local file error)
    r"|ExpiredTokenException|Amazon\.[A-Za-z]{2,40}Exception|AmazonServiceException"
    r"|AWSSecurityTokenService|https response error StatusCode|Could not load credentials"
    r"|Unable to load AWS credentials|KMSAccessDenied|KMS Exception|ciphertext refers to a customer master key"
    r"|x-amzn-ErrorType|x-amzn-RequestId|internal\.amazon\.com/coral|\bAWS[A-Z][A-Za-z]{2,40}\."
    r"|Lambda was unable to decrypt|\bMissing Authentication Token\b|[Bb]edrock|SSOProviderInvalidToken"
    r"|[Nn]o valid credential sources|Resource handler returned message|CREATE_FAILED|UPDATE_FAILED"
    r"|\bAPI: [a-z0-9-]{2,40}:[A-Z][A-Za-z0-9]{2,80}\b|Call failed: [a-zA-Z]{2,80}\(|RespMetadata"
    r"|resource \"aws_[a-z0-9_]{2,80}\"|\baws_[a-z0-9_]{2,60}\.[a-z0-9_-]{1,80}\b|AccessDenied: Access Denied"
    r"|<Code>AccessDenied</Code><Message>Access Denied</Message>|could not be used to assume 'arn:aws"
    r"|\bStates\.[A-Z][A-Za-z]{2,40}\b"
    r"|Unable to load credentials|AmazonClientException|SdkClientException|CredentialsProviderError"
    r"|NoCredentialProviders|InvalidGrantException|UnauthorizedSSOTokenError|TokenRetrievalError"
    r"|Amazon[A-Za-z0-9]{1,40}Exception|Amazon\.Runtime|aws\.sdk\.kotlin|software\.amazon\.awssdk|com\.amazonaws"
    r"|AWSSDK|aws-sdk-go|aws_sdk_|\"retryDelay\"|UnknownAWSHTTPServiceError"
    r"|RegionDisabledException|STS is not activated in this region|GetRoleCredentials|KMSInvalidStateException"
    r"|User is not authorized to access this resource|<X-Amz-Expires>|execute-api|KMSDisabledException"
    r"|<Code>AccessDenied</Code><Message>Request has expired|InvalidCiphertextException|IncorrectKeyException"
    # the Ruby SDK's namespaces, and the Query protocol's throttling line "Throttling: Rate exceeded"
    r"|Aws::|Amazon::Coral::|Throttling: Rate exceeded|ThrottlingException: Rate exceeded"
    # AWS credential field names people mention next to a bare "Access Denied"
    r"|AccessKeyId|SecretAccessKey|aws_access_key_id|aws_secret_access_key"
    # the Lambda console's invoke failure; the PHP S3 class's "S3::putObject(): [AccessDenied]"
    r"|Calling the [Ii]nvoke API (?:action )?failed with|\bS3::[a-z][A-Za-z]{2,40}\(\)"
    r"|AuthorizationHeaderMalformed"
    # services refused by the bucket policy they deliver to (SERVICE_DELIVERY_DENIED)
    r"|InsufficientS3BucketPolicyException|InsufficientDeliveryPolicyException|Please check S3 ?bucket permission"
    r"|InsufficientSnsTopicPolicyException|InsufficientEncryptionPolicyException"
)
