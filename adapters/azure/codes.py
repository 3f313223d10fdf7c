"""Azure's error vocabulary → reason: ARM codes, data-plane codes, Entra ID (AADSTS) codes, phrases.

Sources: the Azure Resource Manager troubleshooting pages (common deployment errors), the Storage,
Key Vault, Cosmos DB and Service Bus error references, and the Entra ID AADSTS error code list.
A code maps to None when it is an Azure error but not an access failure (throttling, quota, a
missing resource): those are recognised, so that no generic reader calls them a denial.
"""

from __future__ import annotations

from typing import Final

from adapters.lazyre import LazyPattern, lazy_compile

# Error codes (ARM `error.code`, Storage `x-ms-error-code`, Key Vault `innererror.code`, ...) → reason.
# Wrapper codes (DeploymentFailed, InvalidTemplateDeployment, Forbidden, Unauthorized) are absent on
# purpose: the real code is in their `details` or `innererror`, and they are read last (WRAPPER_CODES).
CODES: Final[dict[str, str | None]] = {
    # Azure Resource Manager: RBAC, deny assignments, linked scopes, Azure Policy
    "AuthorizationFailed": "azure.authz.rbac_denied",
    "DenyAssignmentAuthorizationFailed": "azure.authz.deny_assignment",
    "LinkedAuthorizationFailed": "azure.authz.linked_authorization_failed",
    "LinkedAccessCheckFailed": "azure.authz.linked_authorization_failed",
    "RequestDisallowedByPolicy": "azure.authz.azure_policy",
    "RequestDisallowedByAzure": "azure.authz.azure_policy",
    # Azure Resource Manager: the token
    "InvalidAuthenticationTokenTenant": "azure.authn.wrong_tenant",
    "ExpiredAuthenticationToken": "azure.authn.expired_credentials",
    "InvalidAuthenticationToken": "azure.authn.invalid_credentials",
    "InvalidAuthenticationTokenAudience": "azure.authn.invalid_credentials",
    "AuthenticationFailed": "azure.authn.invalid_credentials",  # ARM and Storage: a signature or token refused
    "AuthenticationFailedMissingToken": "azure.authn.missing_credentials",
    # Storage
    "AuthorizationPermissionMismatch": "azure.authz.data_plane_denied",
    "AuthorizationResourceTypeMismatch": "azure.authz.data_plane_denied",
    "AuthorizationServiceMismatch": "azure.authz.data_plane_denied",
    "AuthorizationFailure": "azure.authz.network_rules",
    "AuthorizationSourceIPMismatch": "azure.authz.network_rules",
    "KeyBasedAuthenticationNotPermitted": "azure.authn.key_auth_disabled",
    "NoAuthenticationInformation": "azure.authn.missing_credentials",
    "InvalidAuthenticationInfo": "azure.authn.invalid_credentials",
    # Key Vault (innererror.code)
    "ForbiddenByRbac": "azure.authz.data_plane_denied",
    "ForbiddenByPolicy": "azure.authz.key_vault_access_policy",
    "AccessDenied": None,  # read with the Key Vault phrases below; alone it says nothing
    "ForbiddenByFirewall": "azure.authz.network_rules",
    "ForbiddenByConnection": "azure.authz.network_rules",
    # Cosmos DB, Service Bus, Event Hubs
    "LocalAuthDisabled": "azure.authn.key_auth_disabled",
    # Not access failures
    "TooManyRequests": None,
    "SubscriptionRequestsThrottled": None,
    "ResourceRequestsThrottled": None,
    "ServerBusy": None,
    "QuotaExceeded": None,
    "OperationNotAllowed": None,
    "SkuNotAvailable": None,
    "ResourceNotFound": None,
    "ResourceGroupNotFound": None,
    "SubscriptionNotFound": None,
    "ParentResourceNotFound": None,
    "NotFound": None,
    "BlobNotFound": None,
    "ContainerNotFound": None,
    "SecretNotFound": None,
    "KeyNotFound": None,
    "VaultNotFound": None,
    "InvalidTemplate": None,
    "InvalidParameter": None,
    "InvalidRequestContent": None,
    "Conflict": None,
    "ResourceExists": None,
    "MissingSubscriptionRegistration": None,
    "NoRegisteredProviderFound": None,
    "InvalidResourceNamespace": None,
    "ContainerAlreadyExists": None,
    "RoleAssignmentExists": None,
    "BadRequest": None,
}

# Codes that wrap the real one; read only when nothing under them says more.
WRAPPER_CODES: Final = frozenset(
    {"DeploymentFailed", "InvalidTemplateDeployment", "Forbidden", "Unauthorized", "ResourceDeploymentFailure",
     "DeploymentPreflightValidationFailed", "MultipleErrorsOccurred", "BadRequest", "Failed", "InternalServerError"}
)  # fmt: skip

# What a not-access code is instead, for the note: rate_limit | quota | not_found | conflict | invalid_request.
NOT_ACCESS_KIND: Final[dict[str, str]] = {
    "TooManyRequests": "rate_limit", "SubscriptionRequestsThrottled": "rate_limit",
    "ResourceRequestsThrottled": "rate_limit", "ServerBusy": "rate_limit",
    "QuotaExceeded": "quota", "OperationNotAllowed": "quota", "SkuNotAvailable": "quota",
    "ResourceNotFound": "not_found", "ResourceGroupNotFound": "not_found", "SubscriptionNotFound": "not_found",
    "ParentResourceNotFound": "not_found", "NotFound": "not_found", "BlobNotFound": "not_found",
    "ContainerNotFound": "not_found", "SecretNotFound": "not_found", "KeyNotFound": "not_found",
    "VaultNotFound": "not_found", "Conflict": "conflict", "ResourceExists": "conflict",
    "ContainerAlreadyExists": "conflict", "RoleAssignmentExists": "conflict", "MissingSubscriptionRegistration": "provider_not_registered",
    "NoRegisteredProviderFound": "provider_not_registered",
}  # fmt: skip

# Entra ID sign-in errors, AADSTS<number>, by meaning. None: a sign-in configuration error that no
# credential or role fixes (a redirect URI, an unsupported grant), reported as not an access failure.
AADSTS: Final[dict[str, str | None]] = {
    # the secret, certificate or assertion is wrong
    "7000215": "azure.authn.invalid_credentials",  # Invalid client secret provided
    "700027": "azure.authn.invalid_credentials",  # Client assertion failed signature validation
    "50126": "azure.authn.invalid_credentials",  # Invalid username or password
    "50034": "azure.authn.invalid_credentials",  # The user account does not exist in the directory
    "700016": "azure.authn.invalid_credentials",  # Application ... was not found in the directory
    "7000112": "azure.authn.invalid_credentials",  # Application is disabled
    "50053": "azure.authn.invalid_credentials",  # Account is locked
    "50057": "azure.authn.invalid_credentials",  # The user account is disabled
    "500011": "azure.authn.invalid_credentials",  # The resource principal ... was not found in the tenant
    "700024": "azure.authn.invalid_credentials",  # Client assertion is not within its valid time range
    "50013": "azure.authn.invalid_credentials",
    "50012": "azure.authn.invalid_credentials",  # Invalid client secret is provided (ADAL era)
    "70002": "azure.authn.invalid_credentials",  # Error validating credentials  # Assertion failed signature validation / expired
    "7000218": "azure.authn.invalid_credentials",  # The request body must contain client_assertion or client_secret
    # expired: a secret past its end date, a refresh token past its lifetime
    "7000222": "azure.authn.expired_credentials",  # The provided client secret keys ... are expired
    "700082": "azure.authn.expired_credentials",  # The refresh token has expired due to inactivity
    "70043": "azure.authn.expired_credentials",  # The refresh token has expired or is invalid due to sign-in frequency checks
    "50173": "azure.authn.expired_credentials",  # The provided grant has expired due to it being revoked
    "50133": "azure.authn.expired_credentials",  # Session is invalid due to expiration or recent password change
    "50055": "azure.authn.expired_credentials",  # The password is expired
    "700084": "azure.authn.expired_credentials",  # The refresh token issued to a SPA has expired
    # workload identity federation: the presented token does not match a federated credential
    "70021": "azure.authn.federated_credential_mismatch",  # No matching federated identity record found
    "700213": "azure.authn.federated_credential_mismatch",  # No matching federated identity record found for presented assertion subject
    "700211": "azure.authn.federated_credential_mismatch",  # No matching federated identity record found for presented assertion issuer
    "700212": "azure.authn.federated_credential_mismatch",  # No matching federated identity record found for presented assertion audience
    "700223": "azure.authn.federated_credential_mismatch",
    "7002137": "azure.authn.federated_credential_mismatch",  # ... assertion subject (Agents SDK / managed identity FIC)
    "7002138": "azure.authn.federated_credential_mismatch",  # subject matches only case-insensitively  # The claims matching expression ... did not match
    # a user must do something: MFA, Conditional Access, consent
    "50076": "azure.authn.interaction_required",  # you must use multi-factor authentication
    "50079": "azure.authn.interaction_required",  # user is required to enroll in MFA
    "50074": "azure.authn.interaction_required",  # Strong Authentication is required
    "53003": "azure.authn.interaction_required",  # Access has been blocked by Conditional Access policies
    "53000": "azure.authn.interaction_required",  # Device is not in required device state
    "53001": "azure.authn.interaction_required",  # Device is not domain joined
    "530003": "azure.authn.interaction_required",  # Your device is required to be managed
    "50158": "azure.authn.interaction_required",  # External security challenge was not satisfied
    "65001": "azure.authn.interaction_required",  # The user or administrator has not consented
    "50005": "azure.authn.interaction_required",  # tried to sign in from a platform that Conditional Access blocks
    "50097": "azure.authn.interaction_required",  # Device authentication is required
    "65004": "azure.authn.interaction_required",  # User declined to consent
    # the tenant is wrong
    "90002": "azure.authn.wrong_tenant",  # Tenant ... not found
    "50020": "azure.authn.wrong_tenant",  # User account ... from identity provider ... does not exist in tenant
    "90072": "azure.authn.wrong_tenant",  # User account ... does not exist in tenant ... and cannot access the application
    "900023": "azure.authn.wrong_tenant",  # Specified tenant identifier ... is neither a valid DNS name, nor a valid external domain
    "50128": "azure.authn.wrong_tenant",  # Invalid domain name - No tenant-identifying information found
    # sign-in configuration, not a credential or a role
    "50011": None,  # The redirect URI ... does not match the redirect URIs configured
    "700054": None,  # response_type 'id_token' is not enabled for the application
}

# Phrases, in order of trust; the first that matches names the reason.
PHRASES: Final[tuple[tuple[LazyPattern, str], ...]] = tuple(
    (lazy_compile(pattern), reason)
    for pattern, reason in (
        # "...; however, the access is denied because of the deny assignment with name 'System deny
        # assignment created by Azure Databricks ...' and Id 'bb83...' at scope '/subscriptions/...'."
        (r"because of (?:the )?deny assignment", "azure.authz.deny_assignment"),
        # "...; however, it does not have permission to perform action(s) 'Microsoft.Network/...' on
        # the linked scope(s) '/subscriptions/...' (respectively) or the linked scope(s) are invalid."
        (r"on the linked scope", "azure.authz.linked_authorization_failed"),
        # "Resource 'kv-demo' was disallowed by policy. Policy identifiers: '[{...}]'."
        # also "The resource action 'Microsoft.Network/publicIpAddresses/write' is disallowed by one or more
        # policies. Policy identifier(s): '/subscriptions/{guid}/providers/Microsoft.Authorization/policyDefinitions/x'."
        (
            r"was disallowed by policy|disallowed by Azure|Policy identifiers: |is disallowed by one or more policies"
            r"|Policy identifier\(s\)",
            "azure.authz.azure_policy",
        ),
        # "The access token is from the wrong issuer 'https://sts.windows.net/72f9.../'. It must match
        # the tenant 'https://sts.windows.net/1a2b.../' associated with this subscription."
        (r"token is from the wrong issuer|must match the tenant", "azure.authn.wrong_tenant"),
        # Key Vault, access-policy model: "The user, group or application 'appid=...;oid=...;iss=...'
        # does not have secrets get permission on key vault 'kv;location=eastus'."
        (
            r"does not have (?:secrets|keys|certificates|storage) [a-z ]{1,40}permission on key vault",
            "azure.authz.key_vault_access_policy",
        ),
        # Key Vault firewall: "Client address is not authorized and caller is not a trusted service."
        (r"Client address is not authorized|caller is not a trusted service", "azure.authz.network_rules"),
        # Cosmos DB firewall: "Request originated from IP 20.1.2.3 through public internet. This is
        # blocked by your Cosmos DB account firewall settings."
        (r"blocked by your Cosmos DB account firewall", "azure.authz.network_rules"),
        # Storage: "This request is not authorized to perform this operation using this permission."
        (r"not authorized to perform this operation using this permission", "azure.authz.data_plane_denied"),
        # Storage, network rules: "This request is not authorized to perform this operation." (the
        # sentence ends there; the permission variant is matched above)
        (r"This request is not authorized to perform this operation\.", "azure.authz.network_rules"),
        # "Key based authentication is not permitted on this storage account."
        (r"[Kk]ey[ -][Bb]ased authentication is not permitted", "azure.authn.key_auth_disabled"),
        # Cosmos DB: "Local Authorization is disabled. Use an AAD token to authorize all requests."
        (
            r"Local Authorization is disabled|[Ll]ocal authentication (?:methods )?(?:is|are) disabled",
            "azure.authn.key_auth_disabled",
        ),
        # Cosmos DB: "Request is blocked because principal [5bc...] does not have required RBAC
        # permissions to perform action [Microsoft.DocumentDB/databaseAccounts/readMetadata] on resource [/]."
        (r"does not have required RBAC permissions", "azure.authz.data_plane_denied"),
        # Service Bus / Event Hubs: "Unauthorized access. 'Send' claim(s) are required to perform this operation."
        (
            r"claim\(s\) are required to perform this operation|claims? (?:is|are) required",
            "azure.authz.data_plane_denied",
        ),
        # Key Vault RBAC: "Caller is not authorized to perform action on resource."
        (r"Caller is not authorized to perform action on resource", "azure.authz.data_plane_denied"),
        # ARM: "The client '...' with object id '...' does not have authorization to perform action ..."
        # ... "does not have authorization or an ABAC condition not fulfilled to perform action ..."; deployments:
        # "Authorization failed for template resource '...' ... does not have permission to perform action '...' at scope"
        (
            r"does not have authorization (?:or an ABAC condition not fulfilled )?to perform action"
            r"|does not have permission to perform action '",
            "azure.authz.rbac_denied",
        ),
        # "The access token expiry UTC time '3/28/2023 9:54:07 AM' is earlier than current UTC time"
        (
            r"token expiry UTC time|[Tt]he access token has expired|Lifetime validation failed, the token is expired",
            "azure.authn.expired_credentials",
        ),
        # DefaultAzureCredential, ManagedIdentityCredential, az CLI
        (
            r"DefaultAzureCredential failed to retrieve a token|CredentialUnavailableError"
            r"|ChainedTokenCredential failed to retrieve a token|No Managed Identity endpoint found"
            r"|EnvironmentCredential authentication unavailable|Please run '?az login'? to set ?up account"
            r"|Please run 'az login' to setup account|No subscription found\. Run 'az account set'"
            r"|ManagedIdentityCredential authentication unavailable",
            "azure.authn.missing_credentials",
        ),
        # "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow
        # token issuance." (also without the code, and with other 53xxx numbers)
        (r"blocked by [Cc]onditional [Aa]ccess", "azure.authn.interaction_required"),
        # "Authentication failed. The 'Authorization' header is missing."
        (r"'Authorization' header is missing", "azure.authn.missing_credentials"),
        # Storage: "Server failed to authenticate the request. Make sure the value of Authorization header
        # is formed correctly including the signature."
        (r"Server failed to authenticate the request", "azure.authn.invalid_credentials"),
        # Service Bus / Event Hubs SAS: "InvalidSignature: The token has an invalid signature."
        (r"The token has an invalid signature", "azure.authn.invalid_credentials"),
    )
)

# A payload is Azure's when any of these occurs (plain words are found by MarkerSet at memchr speed).
AZURE_MARKERS: Final = lazy_compile(
    r"management\.azure\.com|\.blob\.core\.windows\.net|\.vault\.azure\.net|\.documents\.azure\.com"
    r"|\.servicebus\.windows\.net|\.queue\.core\.windows\.net|\.table\.core\.windows\.net|\.file\.core\.windows\.net"
    r"|\.dfs\.core\.windows\.net|login\.microsoftonline\.com|sts\.windows\.net|AADSTS\d"
    r"|Microsoft\.Authorization/|/providers/Microsoft\.|x-ms-request-id|x-ms-correlation-request-id"
    r"|x-ms-error-code|azure\.core\.exceptions|Azure\.RequestFailedException|RequestFailedException"
    r"|azcore\.ResponseError|com\.azure\.|azure-sdk-for|DefaultAzureCredential|ManagedIdentityCredential"
    r"|does not have permission to perform action 'Microsoft\.|AzureCliCredential|ClientSecretCredential|WorkloadIdentityCredential|CredentialUnavailableError"
    r"|ClientAuthenticationError|ResourceExistsError|ResourceNotFoundError|HttpResponseError|blocked by Conditional Access"
    r"|az login|azurerm|does not have authorization to perform action"
    r"|AuthorizationFailed|LinkedAuthorizationFailed|RequestDisallowedByPolicy|InvalidAuthenticationToken"
    r"|ExpiredAuthenticationToken|AuthorizationPermissionMismatch|KeyBasedAuthenticationNotPermitted"
    r"|ForbiddenByRbac|ForbiddenByPolicy|ForbiddenByFirewall|ForbiddenByConnection|DenyAssignmentAuthorizationFailed"
    r"|permission on key vault|[Kk]ey[ -][Bb]ased authentication is not permitted|token expiry UTC time|Cosmos DB|claim\(s\) are required|Local Authorization is disabled"
    r"|This request is not authorized to perform this operation|Server failed to authenticate the request"
    r"|The client '[^']{1,200}' with object id|Caller is not authorized to perform action on resource"
    r"|Azure Resource Manager|\bMicrosoft\.[A-Z][A-Za-z]{1,40}/[a-zA-Z]{2,60}/|azure\.identity|Azure\.Identity"
    r"|@azure/|github\.com/Azure/|subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-"
    r"|SubscriptionRequestsThrottled|ResourceRequestsThrottled|ResourceGroupNotFound|SubscriptionNotFound"
    r"|MissingSubscriptionRegistration|SkuNotAvailable|InvalidTemplateDeployment|DeploymentFailed"
)
