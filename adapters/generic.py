"""Generic readers below the provider grammars: whose failure it is, and what kind, from loose signs.

When no provider grammar recognised a payload, two things can still be read:

* the provider, from the hosts the request went to (`*.amazonaws.com`, `*.googleapis.com`,
  `*.azure.com` / `*.windows.net` / `login.microsoftonline.com`, `*.svc.cluster.local`), from
  ARNs (`arn:aws:`), resource names (`projects/p/...`, `/subscriptions/<uuid>/`), SDK class names
  (`botocore.exceptions`, `google.api_core`, `Azure.RequestFailedException`, `k8s.io/client-go`)
  and header names (`x-amz-*`, `x-goog-*`, `x-ms-*`);
* the kind of refusal, from the words: denial ("denied", "not authorized", "forbidden"), identity
  ("unauthorized", "not authenticated", invalid or missing credential) or expiry ("expired").

`attribute_provider` re-reads a diagnosis of the generic HTTP adapter with the provider found:
the reason becomes that provider's matching generic reason (`PROVIDER_REASONS`), with a lower
confidence and evidence `inferred`. A provider with no reasons registered here (Azure and
Kubernetes until their adapters register theirs) keeps the HTTP reason, with `provider` set.
`loose_reason` lets the generic HTTP adapter (last in the registry) answer payloads no grammar
claimed, but whose words still say "denied" or "unauthorized", with a low confidence rather than
nothing.

Adapters for new providers hook in with `register_provider_reasons("azure", {...})`.
Every pattern is a literal alternation with bounded repetition: linear in the payload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final, Literal

from adapters.base import Diagnosis, Finding, Payload
from adapters.lazyre import LazyPattern, lazy_compile

Kind = Literal["missing", "invalid", "expired", "denied", "scope"]

# The generic reason of each provider for each kind of refusal. A provider absent here keeps
# the http.* reason (its guidance still applies) and only gets `provider` set.
PROVIDER_REASONS: Final[dict[str, dict[Kind, str]]] = {
    "aws": {
        "missing": "aws.authn.missing_credentials",
        "invalid": "aws.authn.invalid_credentials",
        "expired": "aws.authn.expired_credentials",
        "denied": "aws.authz.unspecified",
        "scope": "aws.authz.unspecified",
    },
    "gcp": {
        "missing": "gcp.authn.missing_credentials",
        "invalid": "gcp.authn.invalid_credentials",
        "expired": "gcp.authn.expired_credentials",
        "denied": "gcp.authz.iam_permission_denied",
        "scope": "gcp.authz.insufficient_scopes",
    },
}

_CATEGORY: Final = {
    "missing": "authentication",
    "invalid": "authentication",
    "expired": "authentication",
    "denied": "authorization",
    "scope": "authorization",
}
_HTTP_REASON: Final[dict[Kind, str]] = {
    "missing": "http.authn.missing_credentials",
    "invalid": "http.authn.invalid_credentials",
    "expired": "http.authn.invalid_credentials",
    "denied": "http.authz.forbidden",
    "scope": "http.authz.insufficient_scope",
}
_KIND_OF_HTTP_REASON: Final[dict[str, Kind]] = {
    "http.authn.missing_credentials": "missing",
    "http.authn.invalid_credentials": "invalid",
    "http.authz.forbidden": "denied",
    "http.authz.insufficient_scope": "scope",
}

# Inferred answers are capped: the provider's own grammar did not recognise the payload.
INFERRED_CONFIDENCE: Final = 0.55
LOOSE_CONFIDENCE: Final = 0.4

_MAX_SCAN: Final = 20_000  # provider signs sit near the error; a huge paste is read from its start


def register_provider_reasons(provider: str, reasons: dict[Kind, str]) -> None:
    """Let a provider adapter name its generic reasons (every kind must be given)."""
    missing = set(_CATEGORY) - set(reasons)
    if missing:
        raise ValueError(f"{provider}: no reason for {sorted(missing)}")
    PROVIDER_REASONS[provider] = dict(reasons)


@dataclass(frozen=True)
class ProviderClue:
    """A provider and the words it was read from."""

    provider: str
    basis: str


# (provider, pattern, what it is). Order: the most specific signs first (SDK class names and
# ARNs name the provider outright; a host could be a proxy or a package mirror on that cloud).
_CLUES: Final[tuple[tuple[str, LazyPattern, str], ...]] = (
    (
        "aws",
        lazy_compile(
            r"botocore\.exceptions|boto3\.|aws-sdk|@aws-sdk/|software\.amazon\.awssdk|com\.amazonaws\."
            r"|github\.com/aws/aws-sdk-go|amazon\.runtime\.|aws::[a-z0-9]{1,30}::errors"
        ),
        "an AWS SDK class name",
    ),
    (
        "gcp",
        lazy_compile(
            r"google\.api_core|google\.auth\.exceptions|googleapiclient\.errors|com\.google\.cloud\."
            r"|@google-cloud/|cloud\.google\.com/go|google\.cloud\.[a-z_]{1,30}|google::cloud::"
        ),
        "a Google Cloud client library name",
    ),
    (
        "azure",
        lazy_compile(
            r"azure\.requestfailedexception|azure\.core\.exceptions|azure\.identity|com\.azure\.|@azure/"
            r"|microsoft\.azure\.|github\.com/azure/azure-sdk-for-go|msal[a-z]{0,20}exception"
        ),
        "an Azure SDK class name",
    ),
    (
        "kubernetes",
        lazy_compile(r"k8s\.io/client-go|k8s\.io/apimachinery|io\.kubernetes\.client|kubernetes\.client\.exceptions"),
        "a Kubernetes client class name",
    ),
    ("aws", lazy_compile(r"\barn:aws(?:-cn|-us-gov)?:[a-z0-9-]{1,40}:"), "an AWS ARN"),
    ("aws", lazy_compile(r"\.amazonaws\.com(?:\.cn)?\b"), "an amazonaws.com host"),
    (
        "gcp",
        lazy_compile(r"\.googleapis\.com\b|\bprojects/[a-z][a-z0-9-]{4,28}[a-z0-9]/"),
        "a googleapis.com host or a projects/ resource name",
    ),
    (
        "azure",
        lazy_compile(
            r"\.(?:azure\.com|windows\.net|azurecr\.io|azurewebsites\.net|azure-api\.net)\b"
            r"|login\.microsoftonline\.com|graph\.microsoft\.com"
            r"|/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/"
        ),
        "an Azure host or subscription resource id",
    ),
    ("kubernetes", lazy_compile(r"\.svc\.cluster\.local\b"), "a cluster-local service host"),
)

# Header names. Every x-amz-/x-goog- header is the cloud's own; x-ms- is also sent by SharePoint,
# IIS and other Microsoft servers, so only the headers Azure services send count.
_AZURE_HEADERS: Final = (
    "x-ms-request-id|x-ms-error-code|x-ms-correlation-request-id|x-ms-routing-request-id"
    "|x-ms-version|x-ms-failure-cause|x-ms-ests-server|x-ms-client-request-id"
)
_HEADER_NAME = lazy_compile(rf"(?:x-amzn?-[a-z0-9-]{{2,40}}|x-goog-[a-z0-9-]{{2,40}}|(?:{_AZURE_HEADERS}))$")
_HEADER_IN_TEXT = lazy_compile(rf"\b(x-amzn?-[a-z0-9-]{{2,40}}|x-goog-[a-z0-9-]{{2,40}}|{_AZURE_HEADERS}):")


def infer_provider(payload: Payload) -> ProviderClue | None:
    """Return the provider the payload's hosts, ARNs, resource names, SDK or headers point to."""
    lowered = payload.text[:_MAX_SCAN].lower()
    for provider, pattern, what in _CLUES:
        match = pattern.search(lowered)
        if match is not None:
            return ProviderClue(provider, f'{what} ("{_host_around(lowered, match)}")')
    for name in payload.headers:
        if _HEADER_NAME.match(name):
            return ProviderClue(_provider_of_header(name), f"the {name} response header")
    if (header := _HEADER_IN_TEXT.search(lowered)) is not None:
        return ProviderClue(_provider_of_header(header.group(1)), f"the {header.group(1)} header in the text")
    return None


_HOST_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _host_around(lowered: str, match: re.Match[str]) -> str:
    """Return the matched words, widened leftwards over a host name's characters (at most 80)."""
    start = match.start()
    while start > 0 and match.start() - start < 80 and lowered[start - 1] in _HOST_CHARS:
        start -= 1
    return lowered[start : match.end()].strip()


def _provider_of_header(name: str) -> str:
    if name.startswith("x-goog-"):
        return "gcp"
    return "aws" if name.startswith("x-amz") else "azure"


_EXPIRY = lazy_compile(r"\bexpired\b|\bhas expired\b|\bexpiredtoken|token_expired|\bexpiry\b")


def attribute_provider(diagnosis: Diagnosis, payload: Payload) -> Diagnosis:
    """Re-read a generic HTTP diagnosis with the provider its signs point to, if any."""
    if diagnosis.provider != "http" or diagnosis.reason in ("http.other.cors", "http.other.edge_block"):
        return diagnosis
    clue = infer_provider(payload)
    if clue is None or clue.provider == "http":
        return diagnosis
    if diagnosis.reason is None:  # not an access failure: only whose it is changes
        return replace(diagnosis, provider=clue.provider, confidence=min(diagnosis.confidence, 0.7))
    kind = _KIND_OF_HTTP_REASON.get(diagnosis.reason)
    if kind is None:
        return diagnosis
    if kind == "invalid" and _EXPIRY.search(payload.flat[:_MAX_SCAN].lower()):
        kind = "expired"
    reason = PROVIDER_REASONS.get(clue.provider, {}).get(kind, diagnosis.reason)
    basis = f"the words of the failure read as {kind}; the provider from {clue.basis}"
    findings = [Finding("reason", reason, "inferred", basis)]
    findings.extend(finding for finding in diagnosis.findings if finding.field != "reason")
    return replace(
        diagnosis,
        provider=clue.provider,
        reason=reason,
        category="authentication" if _CATEGORY[kind] == "authentication" else "authorization",
        confidence=min(diagnosis.confidence, INFERRED_CONFIDENCE),
        findings=tuple(findings),
    )


# Loose words, used only when no adapter recognised the payload at all.
_LOOSE: Final[tuple[tuple[LazyPattern, Kind], ...]] = (
    (lazy_compile(r"\b(?:token|credentials?|session|password|api key) (?:has |have )?expired\b"), "expired"),
    (lazy_compile(r"\blogin failed\b|\bsign[ -]?in failed\b"), "invalid"),
    (lazy_compile(r"\bunauthori[sz]ed\b|\bunauthenticated\b|\bnot logged in\b"), "missing"),
    (
        lazy_compile(
            r"\bdenied\b|\bnot authori[sz]ed\b|\bforbidden\b|\bno permission\b|\bnot permitted\b"
            r"|\bnot allowed to\b|\bpermission(?:s)? (?:required|missing)\b"
        ),
        "denied",
    ),
)


def loose_reason(payload: Payload) -> tuple[str, str] | None:
    """Return (http reason, the words) for loose words of denial, identity or expiry, or None.

    The last resort of the generic HTTP adapter, for payloads no grammar claimed; the registry
    then re-reads the answer with the provider its signs point to (`attribute_provider`).
    """
    lowered = payload.flat[:_MAX_SCAN].lower()
    for pattern, kind in _LOOSE:
        match = pattern.search(lowered)
        if match is not None:
            return _HTTP_REASON[kind], match.group(0)
    return None
