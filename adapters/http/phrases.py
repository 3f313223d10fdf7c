"""The words APIs use for authentication and authorization failures, and for rate limits.

A phrase decides the reason only when the status agrees with it (or no status is known):
"Invalid API key" is a credential problem whatever the status; "Access denied" is a 403's.
Patterns are literal alternations, case-insensitive, with no nested quantifiers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from adapters.lazyre import LazyPattern, lazy_compile

_AUTHN_STATUSES: Final = frozenset({200, 400, 401, 403, 407})
_AUTHZ_STATUSES: Final = frozenset({200, 403})


@dataclass(frozen=True)
class Phrase:
    """A phrase found in the text, and the reason it stands for."""

    reason: str
    statuses: frozenset[int]
    matched: str


# Most specific first: a scope message often also says "forbidden".
_TABLE: Final[tuple[tuple[LazyPattern, str, frozenset[int]], ...]] = (
    (
        # GitHub GraphQL: "Your token has not been granted the required scopes to execute this query"
        # GitLab: "insufficient_scope"; Slack: "missing_scope"; "Insufficient scope for this action"
        lazy_compile(
            r"insufficient[_ ]scopes?|not been granted the required scopes?|missing[_ ]scopes?"
            r"|required scopes? (?:is|are) missing|scope (?:is )?(?:required|missing)"
            r"|does not have the required scopes?|token does not have .{0,40} scopes?",
            re.IGNORECASE,
        ),
        "http.authz.insufficient_scope",
        frozenset({200, 400, 401, 403}),
    ),
    (
        # GitHub: "Bad credentials"; DRF: "Invalid token."; "jwt expired"; "Token has expired"
        lazy_compile(
            r"bad credentials|invalid (?!csrf |xsrf )(?:[a-z0-9]{1,12} )?"
            r"(?:token|api[ _-]?key|key|credentials?|client|grant|password|signature|jwt|secret"
            r"|username|user ?name)"
            r"|invalid (?:e-?mail|username|user ?name|login)(?: or |/)password"
            r"|(?:token|key|credentials?|password|secret|sid) (?:seems to be|appears to be|was|were|is|are)"
            r" (?:incorrect|invalid|wrong|not valid|not found)"
            r"|basic auth(?:entication)? with (?:a )?password is (?:not allowed|deprecated)"
            r"|(?:token|jwt|session|credentials?) (?:has |is )?(?:expired|revoked|invalid|malformed)"
            r"|expired (?:token|jwt|credentials?)|jwt malformed|invalid_(?:token|client|grant|auth)"
            r"|incorrect (?:username|password|api key|credentials)|authentication failed"
            r"|unable to verify (?:the )?(?:token|credentials)|signature verification failed"
            r"|token_(?:expired|revoked)|api key (?:is )?(?:not valid|invalid)"
            r"|wrong (?:password|credentials)"
            # PyPI: "403 Invalid or non-existent authentication information"; npm E401's hint;
            # PyPI: "Username/Password authentication is no longer supported"; OAuth descriptions
            r"|invalid or non-existent authentication|credentials are probably out of date"
            r"|typed your password in incorrectly|password authentication is no longer supported"
            r"|support for password authentication was removed"
            r"|grant is invalid|invalid (?:refresh|access|id) token|invalidgrantexception",
            re.IGNORECASE,
        ),
        "http.authn.invalid_credentials",
        _AUTHN_STATUSES,
    ),
    (
        # DRF: "Authentication credentials were not provided."; GitHub: "Requires authentication"
        # Twilio: "Authentication Error - No credentials provided"
        lazy_compile(
            r"credentials were not provided|requires authentication|no credentials provided"
            r"|missing (?:authorization|authentication|api key|access token|bearer token|credentials|token)"
            r"|(?:no|without) (?:authorization|auth(?:entication)?) (?:header|token)"
            r"|authentication (?:is )?required|login required|not[_ ]authed|unauthenticated"
            r"|not authenticated|must be (?:logged in|authenticated)|no api key"
            r"|requires you to be authenticated|did not provide an api key|api key (?:is )?required",
            re.IGNORECASE,
        ),
        "http.authn.missing_credentials",
        _AUTHN_STATUSES,
    ),
    (
        # GitHub: "Resource not accessible by integration"; DRF: "You do not have permission to
        # perform this action."; Spring: "(type=Forbidden, status=403) Access Denied"
        lazy_compile(
            r"resource not accessible by|do(?:n't| not) have permission|access (?:is )?denied"
            r"|permission denied|not (?:authori[sz]ed|allowed|permitted) to|forbidden"
            r"|insufficient (?:permissions?|privileges?|rights)|you are not allowed"
            r"|requested access to the resource is denied"
            # git over HTTPS or SSH: "remote: Permission to owner/repo.git denied to user.",
            # a fine-grained token: "remote: Write access to repository not granted."
            r"|permission to [^ \n]{1,200} denied to|write access to repository not granted",
            re.IGNORECASE,
        ),
        "http.authz.forbidden",
        _AUTHZ_STATUSES,
    ),
    (
        # GitHub answers 404 for a private repository the caller cannot see ("Repository not
        # found"); its docs list missing access first among the causes.
        lazy_compile(r"repository not found", re.IGNORECASE),
        "http.authz.forbidden",
        frozenset({200, 403, 404}),
    ),
)

# GitHub: "API rate limit exceeded for 1.2.3.4"; "You have exceeded a secondary rate limit"
_RATE_LIMIT = lazy_compile(
    r"rate[ -]?limit(?:ed| exceeded)?|too many requests|quota exceeded|request limit exceeded"
    r"|throttl(?:ed|ing)|slow down",
    re.IGNORECASE,
)


# The same patterns without IGNORECASE, run over `text.lower()`: a case-insensitive scan costs
# several times a plain one in Python's engine, and lowering once is a single C pass.
_LOWER_TABLE: Final = tuple((lazy_compile(pattern.pattern), reason, statuses) for pattern, reason, statuses in _TABLE)


def find_phrase(text: str) -> Phrase | None:
    """Return the first known failure phrase in the text (most specific kind first)."""
    lowered = text.lower()
    # A few characters ("İ") lower to two; then offsets differ and the slower scan is exact.
    table = _LOWER_TABLE if len(lowered) == len(text) else _TABLE
    haystack = lowered if table is _LOWER_TABLE else text
    for pattern, reason, statuses in table:
        match = pattern.search(haystack)
        if match is not None:
            return Phrase(reason=reason, statuses=statuses, matched=text[match.start() : match.end()])
    return None


def is_rate_limit(text: str, headers: Mapping[str, str]) -> bool:
    """Tell whether a 403/429 is a rate limit rather than an access failure."""
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        return True
    if _RATE_LIMIT.search(text) is None:
        return False
    # A GitHub 401/403 transcript lists x-ratelimit-* headers on every response: only the
    # words outside those header names count.
    return _RATE_LIMIT.search(_without_ratelimit_headers(text)) is not None


def _without_ratelimit_headers(text: str) -> str:
    return re.sub(r"x-ratelimit-[a-z-]{1,20}|ratelimit-[a-z-]{1,20}", "", text, flags=re.IGNORECASE)
