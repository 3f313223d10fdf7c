"""The generic HTTP adapter: the last in the registry, for any API's 401, 403, 407 or CORS error.

Reads, in order of trust: a browser CORS message; the WWW-Authenticate challenge (RFC 9110
§11.6.1; RFC 6750 §3.1 `error=` values); OAuth / GraphQL / common API error bodies
(`{"error":"invalid_client"}`, `{"errors":[{"type":"FORBIDDEN"}]}`, `{"message":"Bad
credentials"}`); phrases in the text; and last the status code alone (evidence `inferred`).
A 403 or 429 that is a rate limit, a used-up quota, a TLS trust failure or a plain 404 is
recognised and answered with `reason: None` and a note that says what it is (not_access.py); a
block by a CDN, WAF or bot filter in front of the site is `http.other.edge_block` (edge.py).
"""

from __future__ import annotations

import re
from typing import ClassVar, Final

from adapters.base import Category, Diagnosis, FindingsBuilder, Payload
from adapters.generic import LOOSE_CONFIDENCE, loose_reason
from adapters.http.body import (
    OAUTH_ERRORS,
    SLACK_ERRORS,
    BodySignal,
    read_body,
    required_scope_in_text,
)
from adapters.http.challenge import Challenge, parse_challenges
from adapters.http.cors import read_cors
from adapters.http.edge import EdgeBlock, read_edge_block
from adapters.http.not_access import NOT_ACCESS_NOTES, not_found, quota_exceeded, tls_failure
from adapters.http.phrases import Phrase, find_phrase, is_rate_limit
from adapters.http.status import status_in_text, url_in_text
from adapters.lazyre import lazy_compile

PROVIDER: Final = "http"

CATEGORY_OF: Final[dict[str, Category]] = {
    "http.authn.missing_credentials": "authentication",
    "http.authn.invalid_credentials": "authentication",
    "http.authz.insufficient_scope": "authorization",
    "http.authz.forbidden": "authorization",
    "http.other.cors": "other",
    "http.other.edge_block": "other",
}

_RATE_LIMIT_NOTE: Final = NOT_ACCESS_NOTES["rate_limit"]


class HttpAdapter:
    """Classifies any HTTP API's authentication and authorization failures."""

    name: ClassVar[str] = PROVIDER

    def parse_edge_block(self, payload: Payload) -> Diagnosis | None:
        """Return the diagnosis of a CDN, WAF or bot-filter block page, or None if it is not one.

        The registry asks this before the provider grammars: CloudFront's block page carries AWS
        headers (x-amz-cf-id), yet no IAM policy said no.
        """
        status = payload.status_code
        status_basis = "the status code given"
        if status is None and (in_text := status_in_text(payload.text)) is not None:
            status, status_basis = in_text
        edge = read_edge_block(payload.text, payload.headers, status)
        if edge is None or edge.rate_limited:
            return None
        return _edge_diagnosis(FindingsBuilder(), edge, status, status_basis, payload)

    def parse(self, payload: Payload) -> Diagnosis | None:
        """Classify the payload, or return None when nothing in it is HTTP-shaped."""
        found = FindingsBuilder()
        cors = read_cors(payload.text)
        if cors is not None:
            found.add("reason", "http.other.cors", "reported", cors.basis)
            found.add("url", cors.url, "reported", "the URL in the CORS message")
            found.add("origin", cors.origin, "reported", "the origin in the CORS message")
            found.add(
                "request_header",
                cors.request_header,
                "reported",
                "the header the preflight refused",
            )
            found.add("method", cors.method, "reported", "the method the preflight refused")
            found.add("status_code", cors.status_code, "reported", "the status the browser printed")
            return _diagnosis(found, 0.95, variant=cors.variant)

        status = payload.status_code
        status_basis = "the status code given"
        if status is None and (in_text := status_in_text(payload.text)) is not None:
            status, status_basis = in_text
        body = read_body(payload.data, payload.text)
        challenges = _challenges(payload, body)
        phrase = find_phrase(payload.flat)

        edge = read_edge_block(payload.text, payload.headers, status)
        if edge is not None and not edge.rate_limited:
            return _edge_diagnosis(found, edge, status, status_basis, payload)
        lowered = payload.flat.lower()
        kind = _not_access_kind(payload, lowered, status, body, phrase, challenges, edge)
        if kind is not None:
            found.add("status_code", status, "reported", status_basis)
            if edge is not None:
                found.add("code", edge.code, "reported", edge.basis)
            _add_common_facts(found, payload, body)
            return Diagnosis(
                provider=PROVIDER,
                reason=None,
                category="other",
                confidence=0.9 if status is not None else 0.75,
                findings=found.build(),
                note=NOT_ACCESS_NOTES[kind],
            )

        if status is not None:
            found.add("status_code", status, "reported", status_basis)
        confidence = _classify(found, status, challenges, body, phrase, payload.text)
        if confidence is None:
            loose = loose_reason(payload)
            if loose is None:
                return None
            reason, words = loose
            found.add("reason", reason, "inferred", f'the words "{words}" (no known error shape)')
            confidence = LOOSE_CONFIDENCE
        _add_common_facts(found, payload, body)
        return _diagnosis(found, confidence)


def _not_access_kind(
    payload: Payload,
    lowered: str,
    status: int | None,
    body: BodySignal | None,
    phrase: Phrase | None,
    challenges: tuple[Challenge, ...],
    edge: EdgeBlock | None,
) -> str | None:
    """Return what a failure that is not an access failure is (a NOT_ACCESS_NOTES key), or None."""
    if edge is not None:  # Cloudflare 1015
        return "rate_limit"
    if status in (None, 403, 429) and quota_exceeded(lowered):
        return "quota"
    if status == 429 or (status == 403 and is_rate_limit(payload.flat, payload.headers)):
        return "rate_limit"
    body_reason = body.reason if body is not None else None
    access_signal = phrase is not None or body_reason is not None or bool(challenges)
    if status is None and not access_signal and is_rate_limit(payload.flat, payload.headers):
        return "rate_limit"
    if status not in (401, 403, 407) and tls_failure(lowered) and not access_signal:
        return "tls"
    if status in (None, 404) and not_found(lowered, status):
        gated = phrase if phrase is None or status is None or status in phrase.statuses else None
        if gated is None and body_reason is None and not challenges:
            return "not_found"
    return None


def _edge_diagnosis(
    found: FindingsBuilder, edge: EdgeBlock, status: int | None, status_basis: str, payload: Payload
) -> Diagnosis:
    found.add("reason", "http.other.edge_block", "reported", edge.basis)
    found.add("status_code", status, "reported", status_basis)
    found.add("code", edge.code, "reported", "the block page's error code")
    found.add("request_id", edge.reference, "reported", "the block page's reference (Ray ID, request id)")
    found.add("url", url_in_text(payload.text), "reported", "the URL in the error text")
    return _diagnosis(found, 0.9, variant=edge.vendor)


def _classify(
    found: FindingsBuilder,
    status: int | None,
    challenges: tuple[Challenge, ...],
    body: BodySignal | None,
    phrase: Phrase | None,
    text: str = "",
) -> float | None:
    """Record the reason and the facts it rests on; return the confidence, None if not mine."""
    challenge = challenges[0] if challenges else None
    if challenge is not None:
        found.add("auth_scheme", challenge.scheme, "reported", "the WWW-Authenticate challenge")
        found.add("realm", challenge.param("realm"), "reported", "the challenge's realm")
        found.add("required_scope", challenge.param("scope"), "reported", "the challenge's scope")
    error_code = next((c.param("error") for c in challenges if c.param("error")), None)
    if error_code is not None and error_code.lower() in OAUTH_ERRORS:
        found.add(
            "reason",
            OAUTH_ERRORS[error_code.lower()],
            "reported",
            f'the challenge\'s error="{error_code}"',
        )
        found.add("error_reason", error_code, "reported", "the challenge's error attribute")
        return 0.95

    if phrase is not None and status is not None and status not in phrase.statuses:
        phrase = None  # "Access denied" on a 404 page is not this adapter's 403
    if body is not None:
        found.add("code", body.code, "reported", body.basis)
        found.add("error_reason", body.error_reason, "reported", body.basis)
        found.add("required_scope", body.required_scope, "reported", body.basis)
        if body.reason is not None:
            # A phrase may sharpen a code: GraphQL UNAUTHENTICATED + "Invalid Email or password"
            # is a rejected credential; Keycloak's unauthorized_client + "Invalid client secret" too.
            if phrase is not None and _RANK[phrase.reason] > _RANK[body.reason]:
                found.add(
                    "reason",
                    phrase.reason,
                    "reported",
                    f'the words "{phrase.matched}" (sharpening {body.basis})',
                )
            else:
                found.add("reason", body.reason, "reported", body.basis)
            return 0.9

    if phrase is not None:
        found.add("reason", phrase.reason, "reported", f'the words "{phrase.matched}"')
        if phrase.matched.lower() in OAUTH_ERRORS:
            found.add("error_reason", phrase.matched, "reported", "the OAuth error code in the text")
        elif phrase.matched.lower() in SLACK_ERRORS:
            found.add("code", phrase.matched, "reported", "the Slack error code in the text")
        return 0.85 if status is not None else 0.7

    if status in (401, 407) or (status is None and challenge is not None):
        if challenge is not None:
            header = "Proxy-Authenticate" if status == 407 else "WWW-Authenticate"
            found.add(
                "reason",
                "http.authn.missing_credentials",
                "reported",
                f"a {header} challenge with no error attribute",
            )
            return 0.8
        sent = _credentials_sent(text) if status == 401 else None
        if sent is not None:
            # RFC 9110 §15.5.2: if the request included credentials, the 401 says they were refused.
            found.add(
                "reason",
                "http.authn.invalid_credentials",
                "inferred",
                f"HTTP 401 to a request that carried credentials ({sent})",
            )
            return 0.55
        found.add(
            "reason",
            "http.authn.missing_credentials",
            "inferred",
            f"HTTP {status} with no challenge and no body detail",
        )
        return 0.5
    if status == 403:
        found.add("reason", "http.authz.forbidden", "inferred", "HTTP 403 with no further detail")
        return 0.6
    return None


# Signs that the refused request carried credentials: a sign-in or token endpoint, a key or token
# in the query string, an Authorization header, user:password@ in the URL.
_CREDENTIALS_SENT: Final = (
    (
        lazy_compile(r"https?://[^\s'\"<>]{1,300}?/(?:users/)?(?:sign_?in|log_?in|oauth2?/token|token|authenticate)\b"),
        "a sign-in or token endpoint",
    ),
    (lazy_compile(r"[?&](?:key|api_?key|token|access_token|auth|apikey)=[^&\s]{1,300}"), "a key or token in the URL"),
    # a header line of a request dump (curl -v "> Authorization: ..."), not a sentence quoting one
    (
        lazy_compile(r"^[>* ]{0,4}authorization: ?(?:bearer|basic|token|digest) ", re.IGNORECASE | re.MULTILINE),
        "an Authorization header",
    ),
    (lazy_compile(r"https?://[^\s/@:'\"]{1,100}:[^\s/@'\"]{1,200}@"), "user:password in the URL"),
)


def _credentials_sent(text: str) -> str | None:
    """Return what shows that the request carried credentials, or None."""
    sample = text[:20_000]
    for pattern, what in _CREDENTIALS_SENT:
        if pattern.search(sample) is not None:
            return what
    return None


# How specific a reason is: a more specific phrase may override a vaguer body code.
_RANK: Final[dict[str, int]] = {
    "http.authz.forbidden": 1,
    "http.authn.missing_credentials": 2,
    "http.authn.invalid_credentials": 3,
    "http.authz.insufficient_scope": 4,
}

# npm: "Unable to authenticate, need: Basic realm=\"Artifactory Realm\"";
# a log line: "WWW-Authenticate: Bearer realm=\"x\", error=\"invalid_token\""
_CHALLENGE_IN_TEXT = lazy_compile(
    r"(?:WWW-Authenticate|Proxy-Authenticate|need)[\"']?: ?[\"']?"
    r"((?:Basic|Bearer|Digest|Negotiate|NTLM|Token)\b[^\n]{0,500})",
    re.IGNORECASE,
)


def _challenges(payload: Payload, body: BodySignal | None) -> tuple[Challenge, ...]:
    value = payload.header("www-authenticate") or payload.header("proxy-authenticate")
    if value is None and body is not None:
        value = body.challenge
    if value is None and (in_text := _CHALLENGE_IN_TEXT.search(payload.text)) is not None:
        value = in_text.group(1).rstrip("'")
    return parse_challenges(value) if value else ()


def _add_common_facts(found: FindingsBuilder, payload: Payload, body: BodySignal | None) -> None:
    request_id = (
        payload.header("x-request-id")
        or payload.header("x-github-request-id")
        or payload.header("request-id")
        or payload.header("x-correlation-id")
    )
    found.add("request_id", request_id, "reported", "the request-id response header")
    if body is not None:
        found.add("request_id", body.request_id, "reported", "the error body")
        found.add("code", body.code, "reported", body.basis)
    found.add("url", url_in_text(payload.text), "reported", "the URL in the error text")
    found.add(
        "required_scope",
        required_scope_in_text(payload.text),
        "reported",
        "the scope the message requires",
    )


def _diagnosis(found: FindingsBuilder, confidence: float, variant: str | None = None) -> Diagnosis:
    findings = found.build()
    reason = str(next(f.value for f in findings if f.field == "reason"))
    return Diagnosis(
        provider=PROVIDER,
        reason=reason,
        category=CATEGORY_OF[reason],
        confidence=confidence,
        findings=findings,
        variant=variant,
    )
