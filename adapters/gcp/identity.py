"""Who really made the call, from a Cloud Audit Log entry's `authenticationInfo`: the service account
key that authenticated, and the impersonation chain behind a service account.

Field meanings follow the AuditLog reference (https://cloud.google.com/logging/docs/reference/audit/
auditlog/rest/Shared.Types/AuditLog, AuthenticationInfo and ServiceAccountDelegationInfo):
`serviceAccountKeyName` is "the name of the service account key used to create or exchange
credentials for authenticating the service account making the request"; `serviceAccountDelegationInfo`
is the "identity delegation history of an authenticated service account", "sorted based on the
original ordering of the identity delegation events": the account nearest the one the call was made
as comes first, and the original caller last ("The last entry in the chain should reveal the true end
user's identity", https://docs.glean.com/security/cloud-prem/gcp/elevated-access, whose sample entry
lists the intermediate service account, then the engineer). The chain is shown the other way round,
the way it was walked: the original caller first, the account the call was made as last. Values are
bounded; only what the entry states.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

Found = tuple[str, str, str]  # (fact key, value, basis); all stated by the entry

_MAX: Final = 256
_MAX_HOPS: Final = 5


def identity_findings(authentication: Mapping[str, Any]) -> tuple[Found, ...]:
    """Return the identity facts an entry's authenticationInfo states beyond the principal."""
    found: list[Found] = []
    key = _text(authentication.get("serviceAccountKeyName"))
    if key:
        found.append(("service_account_key", key, "the entry's authenticationInfo.serviceAccountKeyName"))
    delegation = authentication.get("serviceAccountDelegationInfo")
    hops = [_hop(item) for item in delegation[:_MAX_HOPS]] if isinstance(delegation, list) else []
    chain = [hop for hop in hops if hop]
    principal = _text(authentication.get("principalEmail")) or _text(authentication.get("principalSubject"))
    if chain:
        # The original caller first (the entry lists it last), then each account it went through.
        walked = [*reversed(chain), principal] if principal and principal not in chain else list(reversed(chain))
        value = " -> ".join(walked)
        found.append(("impersonation_chain", value[: _MAX * 2], "the entry's serviceAccountDelegationInfo"))
    return tuple(found)


def _hop(item: Any) -> str | None:
    """One delegate: a first-party principal's email, else the hop's principal subject."""
    if not isinstance(item, dict):
        return None
    first = item.get("firstPartyPrincipal")
    if isinstance(first, dict) and (email := _text(first.get("principalEmail"))):
        return email
    third = item.get("thirdPartyPrincipal")
    if isinstance(third, dict) and isinstance(third.get("thirdPartyClaims"), dict):
        claims = third["thirdPartyClaims"]
        if subject := _text(claims.get("sub")) or _text(claims.get("email")):
            return subject
    return _text(item.get("principalSubject"))


def _text(value: Any) -> str | None:
    return value[:_MAX] if isinstance(value, str) and value else None
