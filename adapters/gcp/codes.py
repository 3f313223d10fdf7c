"""Google's error vocabulary → reason: ErrorInfo reasons, legacy `errors[].reason`, and phrases.

Sources: google/api/error_reason.proto (ErrorInfo reasons of domain googleapis.com), the IAM
troubleshooting pages, and the messages each service prints.
"""

from __future__ import annotations

from typing import Final

from adapters.lazyre import LazyPattern, lazy_compile

# ErrorInfo.reason → reason. None: a Google error that is not an access failure.
ERROR_REASONS: Final[dict[str, str | None]] = {
    "IAM_PERMISSION_DENIED": "gcp.authz.iam_permission_denied",
    "SERVICE_DISABLED": "gcp.other.service_disabled",
    "BILLING_DISABLED": "gcp.other.billing_disabled",
    "UREQ_PROJECT_BILLING_NOT_FOUND": "gcp.other.billing_disabled",
    "API_KEY_INVALID": "gcp.authn.invalid_credentials",
    "API_KEY_SERVICE_BLOCKED": "gcp.authz.api_key_restricted",
    "API_KEY_HTTP_REFERRER_BLOCKED": "gcp.authz.api_key_restricted",
    "API_KEY_IP_ADDRESS_BLOCKED": "gcp.authz.api_key_restricted",
    "API_KEY_ANDROID_APP_BLOCKED": "gcp.authz.api_key_restricted",
    "API_KEY_IOS_APP_BLOCKED": "gcp.authz.api_key_restricted",
    "USER_PROJECT_DENIED": "gcp.authz.user_project_denied",
    "CONSUMER_INVALID": "gcp.other.consumer_invalid",
    "CONSUMER_SUSPENDED": "gcp.other.consumer_suspended",
    "RESOURCE_PROJECT_INVALID": "gcp.other.consumer_invalid",
    "SECURITY_POLICY_VIOLATED": "gcp.authz.vpc_service_controls",
    "ACCESS_TOKEN_EXPIRED": "gcp.authn.expired_credentials",
    "ACCESS_TOKEN_SCOPE_INSUFFICIENT": "gcp.authz.insufficient_scopes",
    "ACCOUNT_STATE_INVALID": "gcp.authn.invalid_credentials",
    "ACCESS_TOKEN_TYPE_UNSUPPORTED": "gcp.authn.invalid_credentials",
    "CREDENTIALS_MISSING": "gcp.authn.missing_credentials",
    "SESSION_COOKIE_INVALID": "gcp.authn.invalid_credentials",
    "OVERLOADED_CREDENTIALS": "gcp.authn.invalid_credentials",
    "RESOURCE_USAGE_RESTRICTION_VIOLATED": "gcp.authz.org_policy",
    "LOCATION_POLICY_VIOLATED": "gcp.authz.org_policy",
    "ORG_POLICY_CONSTRAINT_FAILED": "gcp.authz.org_policy",
    "RATE_LIMIT_EXCEEDED": None,
    "RESOURCE_QUOTA_EXCEEDED": None,
}

# Legacy JSON `errors[].reason` → reason, when no ErrorInfo says more.
LEGACY_REASONS: Final[dict[str, str | None]] = {
    "accessNotConfigured": "gcp.other.service_disabled",
    "SERVICE_DISABLED": "gcp.other.service_disabled",
    "forbidden": "gcp.authz.iam_permission_denied",
    "insufficientPermissions": "gcp.authz.iam_permission_denied",
    "accessDenied": "gcp.authz.iam_permission_denied",
    "notAuthorized": "gcp.authz.iam_permission_denied",  # Cloud SQL Admin API: "The client is not authorized ..."
    "authError": "gcp.authn.invalid_credentials",
    "required": "gcp.authn.missing_credentials",
    # "Daily Limit for Unauthenticated Use Exceeded. Continued use requires signup.": the call carried no credential
    "dailyLimitExceededUnreg": "gcp.authn.missing_credentials",
    "dailyLimitExceeded": None,
    "keyInvalid": "gcp.authn.invalid_credentials",
    "ipRefererBlocked": "gcp.authz.api_key_restricted",
    "rateLimitExceeded": None,
    "userRateLimitExceeded": None,
    "quotaExceeded": None,
    "notFound": None,
    "duplicate": None,
    "alreadyExists": None,
    "badRequest": None,
    "invalid": None,
    "conditionNotMet": None,  # org policy says so in words when it is one; else a precondition
    "failedPrecondition": None,
    "accountDisabled": "gcp.other.billing_disabled",  # GCS: the project's (billing) account is disabled
}

# Canonical status names (google.rpc.Code) and their numbers.
STATUS_NAMES: Final[dict[int, str]] = {
    1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND", 6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}  # fmt: skip
NOT_ACCESS_STATUSES: Final = frozenset(
    {"NOT_FOUND", "RESOURCE_EXHAUSTED", "INVALID_ARGUMENT", "ALREADY_EXISTS", "DEADLINE_EXCEEDED", "UNAVAILABLE",
     "INTERNAL", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "CANCELLED"}
)  # fmt: skip

# Permissions whose denial means impersonating a service account.
IMPERSONATION_PERMISSIONS: Final = frozenset(
    {
        "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.actAs", "iam.serviceAccounts.signBlob",
        "iam.serviceAccounts.signJwt", "iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.implicitDelegation",
    }
)  # fmt: skip

# (pattern, reason): phrases that decide the reason when no ErrorInfo does. Most specific first.
PHRASES: Final[tuple[tuple[LazyPattern, str | None], ...]] = (
    # Policy Troubleshooter's answer when a deny policy denied: "denyAccessState": "DENY_ACCESS_STATE_DENIED"
    (
        lazy_compile(r"DENY_ACCESS_STATE_DENIED|denied by (?:an |the )?(?:IAM )?deny polic(?:y|ies)"),
        "gcp.authz.deny_policy",
    ),
    # "Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: ..."
    (
        lazy_compile(
            r"vpcServiceControlsUniqueIdentifier|prohibited by organization's policy|SecurityPolicyViolated"
            r"|violates VPC Service Controls"
        ),
        "gcp.authz.vpc_service_controls",
    ),
    # Cloud Storage signatures (signed URLs, HMAC keys through S3-compatible tools): Google's own wording
    (lazy_compile(r"Check your Google secret key|GOOG4-(?:RSA|HMAC)-SHA256"), "gcp.authn.signature_mismatch"),
    # The consumer project (or its API key) suspended by Google: "Consumer 'projects/x' has been suspended."
    (
        lazy_compile(
            r"Consumer '[^'\s]{1,300}' has been suspended|Google has disabled the use of APIs from this API project"
        ),
        "gcp.other.consumer_suspended",
    ),
    # Firestore through a server client library (Python api_core, Java gax, .NET Grpc.Core): rules do not apply, IAM does
    (
        lazy_compile(
            r"(?:api_core\.exceptions\.PermissionDenied|gax\.rpc\.PermissionDeniedException|Grpc\.Core\.RpcException"
            r"|StatusCode=\"?PermissionDenied)[^\n]{0,200}"
            r"Missing or insufficient permissions"
        ),
        "gcp.authz.iam_permission_denied",
    ),
    # Firestore / Firebase Security Rules: "Missing or insufficient permissions."
    # Realtime Database: "Error: PERMISSION_DENIED: Permission denied", "FIREBASE WARNING: set at /x failed:
    # permission_denied", "permission_denied at /users: Client doesn't have permission to access the desired data."
    # Cloud Storage for Firebase: "storage/unauthorized", "User does not have permission to access this object."
    (
        lazy_compile(
            r"Missing or insufficient permissions|PERMISSION_DENIED: Permission denied\b(?! on)"
            r"|FIREBASE WARNING: [a-z ]{2,30} at /\S{0,300} failed: permission_denied|permission_denied at /"
            r"|Client doesn't have permission to access the desired data|storage/unauthorized"
            r"|Firebase Storage: User does not have permission|User does not have permission to access this object"
            r"|User is not authorized to perform the desired action|Permission denied\. Could not perform this operation"
        ),
        "gcp.authz.firebase_security_rules",
    ),
    # "Request had insufficient authentication scopes."
    (
        # ... and its legacy wording "Insufficient Permission" (singular, exactly as Google prints it)
        lazy_compile(
            r"insufficient authentication scopes|ACCESS_TOKEN_SCOPE_INSUFFICIENT|\bInsufficient Permission\b(?!s)"
            r"|Provided scope\(s\) are not authorized|Permission denied while getting Drive credentials"
        ),
        "gcp.authz.insufficient_scopes",
    ),
    # "Constraint constraints/iam.allowedPolicyMemberDomains violated"; "... violates constraint ..."
    (
        lazy_compile(
            r"do not belong to a permitted customer|is not in permitted organization|OrgPolicyConstraintFailed"
            r"|violates OrgPolicy constraint"
            r"|[Cc]onstraint `?constraints/[A-Za-z0-9_.]{2,120}`? (?:violated|is violated)|violates? (?:the )?constraint"
            r"|denied by (?:an |the )?org(?:anization)? polic(?:y|ies)|constraints/[a-z]{2,40}\.[A-Za-z0-9]{2,80}"
            r"|[Oo]rg(?:anization)? [Pp]olicy constraint|ORG_POLICY_CONSTRAINT_FAILED|constraints/[A-Za-z0-9_.]{2,120}"
            r" .{0,60}(?:violat|not allowed|denied)|Key (?:creation|upload) is not allowed on this service account"
        ),
        "gcp.authz.org_policy",
    ),
    # "Caller does not have required permission to use project X. Grant the caller the
    # roles/serviceusage.serviceUsageConsumer role"; GCS: "does not have serviceusage.services.use access"
    (
        lazy_compile(
            r"required permission to use project|serviceusage\.services\.use|serviceUsageConsumer|USER_PROJECT_DENIED"
        ),
        "gcp.authz.user_project_denied",
    ),
    # "Cloud Storage API has not been used in project 123 before or it is disabled"
    (
        lazy_compile(
            r"has not been used in project .{1,80} before or it is disabled|accessNotConfigured|SERVICE_DISABLED"
            r"|Access Not Configured|has not enabled the .{1,60} API|API is not activated|not authorized to use this API(?! key)\b"
        ),
        "gcp.other.service_disabled",
    ),
    # "This API method requires billing to be enabled"; "The billing account for the owning project is disabled"
    (
        lazy_compile(
            r"requires billing to be enabled|billing account for the owning project is disabled|BILLING_DISABLED"
            r"|associated with an? (?:absent|closed|disabled) billing account|Billing must be enabled"
            r"|billing is disabled|Billing account .{0,60} (?:is )?(?:disabled|not found)"
            r"|UREQ_PROJECT_BILLING_NOT_FOUND|[Bb]illing (?:to be|must be) enabled|enable [Bb]illing|has billing disabled"
            r"|project to be billed (?:is associated with an? (?:absent|closed|disabled)|has not configured billing)"
            r"|UserProjectAccountProblem"
        ),
        "gcp.other.billing_disabled",
    ),
    # API keys: "Requests to this API ... method ... are blocked."; "Requests from referer ... are blocked."
    (
        lazy_compile(
            r"Requests (?:to this API|from referer|from this (?:IP|[Aa]ndroid|i[Oo][Ss]|ios)).{0,300}? are blocked"
            r"|API_KEY_(?:SERVICE|HTTP_REFERRER|IP_ADDRESS|ANDROID_APP|IOS_APP)_BLOCKED"
            r"|not authorized to use this API key|API key .{0,40}(?:restricted|not authorized)"
            r"|API key has an? (?:IP address|HTTP referrer|Android app|iOS app|API|application) restriction"
        ),
        "gcp.authz.api_key_restricted",
    ),
    # "API key not valid. Please pass a valid API key."
    (
        lazy_compile(r"API key not valid|API_KEY_INVALID|API key expired|auth/invalid-api-key"),
        "gcp.authn.invalid_credentials",
    ),
    # google-auth: "Your default credentials were not found"; "Could not automatically determine credentials"
    (
        lazy_compile(
            r"default credentials were not found|Could not automatically determine credentials|DefaultCredentialsError"
            r"|Request is missing required authentication credential|CREDENTIALS_MISSING|Anonymous caller"
            r"|Unauthenticated requests do not have permission|Application Default Credentials are not available"
            r"|could not find default credentials|do not currently have an active account selected"
            r"|Application default credentials have not been set up|you may have invalid credentials"
            r"|Daily Limit for Unauthenticated Use Exceeded"
            r"|API keys are not supported by this API|The request was not authenticated"
            r"|Could not load the default credentials|error sending request for url \(http://metadata\.google\.internal"
            r"|due to unavailable metadata server"
        ),
        "gcp.authn.missing_credentials",
    ),
    # "invalid_grant: Token has been expired or revoked"; "Reauthentication is needed"; rapt_required
    (
        lazy_compile(
            r"Token has been expired or revoked|Reauthentication (?:is needed|required)|reauth related error"
            r"|rapt_required|ACCESS_TOKEN_EXPIRED|access token (?:has )?expired|invalid_rapt|Token expired"
            r"|Reauthentication failed"
        ),
        "gcp.authn.expired_credentials",
    ),
    # "Request had invalid authentication credentials. Expected OAuth 2 access token ..."
    (
        lazy_compile(
            r"invalid authentication credentials|ACCESS_TOKEN_TYPE_UNSUPPORTED|ACCOUNT_STATE_INVALID|invalid_grant"
            r"|invalid_client|unauthorized_client|Invalid Credentials|Invalid JWT"
        ),
        "gcp.authn.invalid_credentials",
    ),
    # Impersonation failing inside a client library, with no permission named
    (
        lazy_compile(
            r"Unable to acquire impersonated credentials|ServiceAccountSigner\$SigningException"
            r"|trying to sign provided bytes"
        ),
        "gcp.authz.service_account_impersonation",
    ),
    # "Permission denied on resource project my-project." with no permission named: consumer project
    (
        lazy_compile(r"CONSUMER_INVALID|Project ['\"]?[A-Za-z0-9:._-]{2,100}['\"]? not found or permission denied"),
        "gcp.other.consumer_invalid",
    ),
)

# Text that makes a payload Google's even before its shape is read.
GCP_MARKERS: Final = lazy_compile(
    r"googleapis\.com|google\.api_core|google\.auth|google\.cloud|googleapiclient|type\.googleapis\.com/google\.rpc"
    r"|gcloud|gsutil|\bbq\b|BigQuery error|iam\.gserviceaccount\.com|GOOGLE_APPLICATION_CREDENTIALS|googleapi: Error"
    # (not PERMISSION_DENIED or UNAUTHENTICATED alone: any gRPC service and GraphQL servers use them)
    r"|StatusCode\.PERMISSION_DENIED|Permission '[a-z][a-zA-Z0-9]{1,40}\.[a-zA-Z.]{2,80}' denied"
    r"|Permission \"[a-z][a-zA-Z0-9]{1,40}\.[a-zA-Z.]{2,80}\" denied|FirebaseError|firebase|Firestore"
    r"|Google Cloud Storage"
    r"|Google Compute Engine|Required '[a-z]{2,40}\.[A-Za-z.]{2,80}' permission|vpcServiceControlsUniqueIdentifier"
    r"|DefaultCredentialsError|RefreshError|constraints/[a-z]|gserviceaccount|cloud\.google\.com|protoPayload"
    r"|\"@type\": ?\"type\.googleapis\.com|storage\.objects\.|bigquery\.[a-z]{2,20}\.|pubsub\.|artifactregistry\."
    r"|GRPC::PermissionDenied|rpc error: code = (?:PermissionDenied|Unauthenticated)|\bgcr\.io\b|\bpkg\.dev\b"
    r"|rapt_required|invalid_rapt|support\.google\.com|Missing or insufficient permissions|\b7 PERMISSION_DENIED\b"
    r"|HTTP Error: \d{3},|The caller does not have permission|serviceusage\.|permitted customer"
    r"|(?:AccessDenied|Service|BucketNotFound|NotFound)Exception: \d{3} |provider\.google\b|hashicorp/google"
    r"|Required \"container\.|requires one of \[\"container\.|Caller does not have required permission to use project"
    r"|DetailedApiRequestError|Google::Apis|google-gax|GoogleApiException|GSResponseError|OrgPolicy|SecurityPolicyViolated"
    r"|violates VPC Service Controls|insufficientPermissions|insufficient authentication scopes|gcsfs|googleapis"
    r"|Provided scope\(s\) are not authorized|Missing IAM permission|IAM permission denied|Google Maps|REQUEST_DENIED"
    r"|is required to perform this operation on service account|Your client does not have permission to get URL"
    r"|User not authorized to perform this action|Permission denied on '|not authorized to use this API key"
    r"|PERMISSION_DENIED: Permission denied|impersonated credentials|ServiceAccountSigner|Status: UNAUTHENTICATED"
    r"|API keys are not supported by this API|The request was not authenticated|required authentication credential"
    r"|Apps Script|accounts\.google\.com|oauth2\.googleapis|Google\.Apis|com\.google\.|@google-cloud/"
    r"|developers\.google\.com|Token must be a short-lived token|Token has been expired or revoked"
    r"|prohibited by organization's policy|VPC Service Controls|denyPolicyExplanation|DENY_ACCESS_STATE"
    r"|Access Not Configured|requires billing to be enabled|has billing disabled|HttpError \d{3} when requesting"
    r"|Request contains an invalid argument|rpc error: code = [A-Za-z]{3,40} desc = "
    # BigQuery's and Firebase's own wordings, Cloud Storage signatures, API keys, quotas, project states
    r"|Access Denied: (?:Table|Dataset|Project|BigQuery) |permission to query table|FIREBASE WARNING|@firebase/"
    r"|permission_denied at /|Client doesn't have permission to access the desired data|storage/unauthorized"
    r"|Firebase Storage|User does not have permission to access this object|Could not perform this operation"
    r"|User is not authorized to perform the desired action|Google secret key|Google has disabled the use of APIs"
    r"|has been suspended\.|This API project is not authorized to use this API|Requests from referer|ipRefererBlocked"
    r"|Error refreshing the OAuth2 token|UserProjectAccountProblem|project to be billed|svc\.id\.goog"
    r"|Key creation is not allowed on this service account|userRateLimitExceeded|\"usageLimits\"|User [Rr]ate [Ll]imit"
    r"|serverless-robot-prod|Could not load the default credentials|metadata\.google\.internal"
    r"|The client is not authorized to make this request|Insufficient regional quota"
    # Google's canonical messages for codes that are not access failures (quota, not found)
    r"|Resource has been exhausted \(e\.g\. check quota\)|Requested entity was not found"
    r"|The specified bucket does not exist|StatusCode\.RESOURCE_EXHAUSTED|StatusCode\.NOT_FOUND"
    r"|storage: (?:bucket|object) doesn't exist|Your client does not have permission to|FirebaseFunctionsException"
    r"|functions/permission-denied|firebase_functions/|auth/invalid-api-key|refreshing your current auth tokens"
    r"|Permission denied while getting Drive credentials|rateLimitExceeded|quotaExceeded|dailyLimitExceeded"
    r"|was not found in location"
)

# Google errors that are not access failures, whatever status they carry: quotas and capacity.
NOT_ACCESS_PHRASES: Final = lazy_compile(
    r"Quota '[A-Z0-9_]{2,80}' exceeded|[Qq]uota exceeded|RESOURCE_EXHAUSTED|[A-Z_]{2,40}_EXHAUSTED|rateLimitExceeded"
    r"|Rate Limit Exceeded|currently unavailable in the [a-z0-9-]{2,40} zone|bucket does not exist|already exists"
    r"|was not found in location|dailyLimitExceeded(?!Unreg)"
    r"|quota has been exceeded|storageQuotaExceeded|not available in your location|userRateLimitExceeded"
    r"|User [Rr]ate [Ll]imit [Ee]xceeded|Insufficient regional quota|storage: (?:bucket|object) doesn't exist"
)
