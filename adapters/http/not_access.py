"""Failures that look like access failures but are not: rate limits, quotas, TLS trust, not found.

Each answers with `reason: None` and a note that says what the failure is instead and what will
help, because changing credentials or permissions will not. The kinds (`NOT_ACCESS_NOTES` keys)
are the labels the corpus uses: rate_limit, quota, tls, not_found, edge_rate_limit.

Precedence (the caller checks for access signals first where they outrank these):
    quota      "You exceeded your current quota", insufficient_quota (billing, often a 429)
    rate_limit a 429, a 403 that says "rate limit", Cloudflare 1015, rate-limit words with no status
    tls        a certificate the client would not trust: no HTTP response was received at all
    not_found  a 404 (npm E404, "404 Not Found") that names no permission or credential
Patterns are literal alternations over lower-cased text: linear.
"""

from __future__ import annotations

from typing import Final, Literal

from adapters.lazyre import lazy_compile

NotAccessKind = Literal["rate_limit", "quota", "tls", "not_found"]

NOT_ACCESS_NOTES: Final[dict[str, str]] = {
    "rate_limit": (
        "This is a rate limit, not an access failure: the server refused the request because too "
        "many were sent. Wait for the reset time (Retry-After or X-RateLimit-Reset header) and "
        "slow down; changing credentials or permissions will not help."
    ),
    "quota": (
        "This is a quota or billing limit, not an access failure: the account has used up what its "
        "plan allows (or has no credit). Check the plan, usage and billing of the account the key "
        "belongs to; a new key on the same account will not help."
    ),
    "tls": (
        "This is a TLS certificate error, not an access failure: the client did not trust the "
        "server's certificate, so no request reached the server. Install the issuing CA (often a "
        "corporate proxy's) into the trust store the client uses, or fix the server's chain; do "
        "not turn verification off."
    ),
    "not_found": (
        "This is a not-found error, not an access failure: the server has nothing at that name or "
        "URL. Check the spelling, the registry or base URL, and the version. (Some services, such "
        "as GitHub for private repositories, answer 404 to hide a resource from callers without "
        "access: if you know it exists, it is an access problem.)"
    ),
}

_QUOTA = lazy_compile(
    r"insufficient_quota|exceeded your (?:current )?quota|quota (?:has been )?exceeded|exceeded (?:the |your )?quota"
    r"|out of quota|usage limit (?:has been )?(?:exceeded|reached)"
)
_TLS = lazy_compile(
    r"certificate_verify_failed|certificate verify failed|x509: certificate|pkix path building failed"
    r"|unable to find valid certification path|sslhandshakeexception|unable to get local issuer certificate"
    r"|self[ -]signed certificate in certificate chain|unable to verify the first certificate"
    r"|ssl certificate problem|cert_has_expired|err_cert_[a-z_]{1,40}|tls: failed to verify certificate"
    r"|the remote certificate is invalid|certpathbuilderexception|curl: \((?:35|51|58|60|77|83)\)"
    r"|peer's certificate|ssl certificate verification|certificate verification (?:probably )?failed"
)
_NOT_FOUND = lazy_compile(
    r"\bcode e404\b|\b404 not found\b|\b404 \(not found\)|\bhttp error 404\b|is not in (?:the|this) (?:npm )?registry"
    r"|\bmanifest unknown\b|\b404 client error: not found\b"
)


def quota_exceeded(lowered: str) -> bool:
    """Tell whether the text reports a used-up quota or billing limit."""
    return _QUOTA.search(lowered) is not None


def tls_failure(lowered: str) -> bool:
    """Tell whether the text reports a certificate the client refused to trust."""
    return _TLS.search(lowered) is not None


def not_found(lowered: str, status: int | None) -> bool:
    """Tell whether the text is a plain 404."""
    return status == 404 or _NOT_FOUND.search(lowered) is not None
