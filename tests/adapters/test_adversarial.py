"""Hostile 64 KiB (and 256 KiB) inputs: every adapter answers fast and never raises.

Patterns are written to be linear; this corpus catches a catastrophic (super-linear) case with a
generous guard. The speed itself is measured in bench/, not asserted here.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import Adapter
from adapters.normalize import normalize
from adapters.registry import ADAPTER_NAMES, ADAPTERS, diagnose

SIZE = 64 * 1024
GUARD_SECONDS = 1.0  # a linear pass over 64 KiB takes milliseconds; a quadratic one takes seconds
# Measured in this thread's CPU time, not wall time: a loaded machine (CI beside other jobs) stretches the
# wall clock, not the work a quadratic pattern does.

ADVERSARIAL = {
    "one-char-run": "a" * SIZE,
    "newlines": "\n" * SIZE,
    "escaped-newlines": "\\n" * (SIZE // 2),
    "spaces": " " * SIZE,
    "brackets": "{" * (SIZE // 2) + "}" * (SIZE // 2),
    "quotes": '"' * SIZE,
    "arns": "arn:aws:iam::123456789012:role/" * (SIZE // 31),
    "user-clauses": "User: " * (SIZE // 6),
    "perform-clauses": "is not authorized to perform: " * (SIZE // 30),
    "explicit-deny": "with an explicit deny in a " * (SIZE // 27),
    "permission-quotes": "Permission '" * (SIZE // 12),
    "does-not-have": "x@y does not have " * (SIZE // 18),
    "xml-opens": "<Error><Code>" * (SIZE // 13),
    "gutters": "│ " * (SIZE // 2),
    "fixed-width-lines": ("x" * 63 + "\n") * (SIZE // 64),
    "bearer-run": "Bearer " + "A" * (SIZE - 7),
    "jwt-like": "eyJ" + "a" * (SIZE - 3),
    "private-key-open": "-----BEGIN RSA PRIVATE KEY-----" + "A" * (SIZE - 31),
    "gcloud-errors": "ERROR: (gcloud.x) " * (SIZE // 18),
    "status-codes": '"code": 403, ' * (SIZE // 13),
    "cors-prefix": "Access to fetch at '" * (SIZE // 20),
    "firefox-prefix": "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
    * 650,
    "go-v1-status": "AccessDenied: x status code: 403, request id: " * (SIZE // 46),
    "url-params": "?X-Amz-Signature=" + "&sig=" * (SIZE // 5),
}


@pytest.mark.parametrize("text", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_adversarial_input_is_answered_fast(text: str) -> None:
    start = time.thread_time()
    diagnosis = diagnose(text)
    elapsed = time.thread_time() - start
    assert elapsed < GUARD_SECONDS, f"{elapsed:.2f}s: a pattern scans this input super-linearly"
    assert 0 <= diagnosis.confidence <= 1


# Many openings of one secret pattern (or many escapes, base64 runs): each must not rescan the rest
# of the text. At the CLI's size (it keeps 256 KiB of a log), a quadratic scan takes seconds.
CLI_SIZE = 256 * 1024
OPENINGS = {
    "jwt-openings": "eyJ-" * (CLI_SIZE // 4),
    "jwt-dotted-openings": "eyJhbGciOi." * (CLI_SIZE // 11),
    "private-key-openings": "-----BEGIN PRIVATE KEY-----\n" * (CLI_SIZE // 28),
    "pgp-key-openings": "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: x\n" * (CLI_SIZE // 50),
    "private-key-body-headers": "-----BEGIN RSA PRIVATE KEY-----\n" + "Proc-Type: 4\n" * (CLI_SIZE // 13),
    "url-password-openings": "https://:" * (CLI_SIZE // 9) + "@host",
    "url-user-openings": "https://a:b" * (CLI_SIZE // 11) + "@host",
    "password-label-openings": '"password": "' * (CLI_SIZE // 13),
    "password-escaped-openings": '"password": "\\' * (CLI_SIZE // 14),
    "password-bare-openings": "password=" * (CLI_SIZE // 9),
    "authorization-openings": "Authorization: " * (CLI_SIZE // 15),
    "authorization-scheme-openings": "Authorization: Token " * (CLI_SIZE // 21),
    "cookie-openings": "Cookie: " * (CLI_SIZE // 8),
    "secret-key-openings": '{"secret": ' * (CLI_SIZE // 11),
    "xml-secret-openings": "<Password>" * (CLI_SIZE // 10),
    "signature-openings": "Signature=" * (CLI_SIZE // 10),
    "unicode-escapes": "\\u0041" * (CLI_SIZE // 6),
    "double-escapes": "\\\\u0041" * (CLI_SIZE // 7),
    "percent-escapes": "%41" * (CLI_SIZE // 3),
    "html-entities": "&#x41;" * (CLI_SIZE // 6),
    "base64-text-run": "QUtJQUlPU0ZPRE5ON0VYQU1QTEUg" * (CLI_SIZE // 28),
    "base64-short-runs": "QUtJQUlPU0ZPRE5O " * (CLI_SIZE // 17),
    "slack-webhook-openings": "hooks.slack.com/services/" * (CLI_SIZE // 25),
}


@pytest.mark.parametrize("text", list(OPENINGS.values()), ids=list(OPENINGS))
def test_many_openings_of_a_secret_pattern_are_answered_fast(text: str) -> None:
    start = time.thread_time()
    diagnosis = diagnose(text)
    elapsed = time.thread_time() - start
    assert elapsed < GUARD_SECONDS, f"{elapsed:.2f}s: a pattern scans this input super-linearly"
    assert 0 <= diagnosis.confidence <= 1


def test_long_log_with_the_error_at_the_end_is_still_diagnosed() -> None:
    noise = "2026-11-27T10:00:00Z INFO terraform: still creating... [10s elapsed]\n" * 3000  # ~200 KiB
    error = (
        "Error: creating IAM Role (deploy): operation error IAM: CreateRole, https response error StatusCode: 403, "
        "RequestID: 1b2c, api error AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized to "
        "perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/deploy with an explicit deny in a "
        "service control policy"
    )  # synthetic: the Go SDK v2 wording Terraform prints
    diagnosis = diagnose(noise + error)
    assert diagnosis.reason == "aws.authz.explicit_deny.scp"
    assert diagnosis.facts["action"] == "iam:CreateRole"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_yields_a_valid_diagnosis(text: str) -> None:
    diagnosis = diagnose(text or "x")
    assert diagnosis.category in ("authentication", "authorization", "other")
    assert (diagnosis.reason is None) or diagnosis.reason.split(".", 1)[0] in ("aws", "gcp", "http")


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=50),
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=15), inner, max_size=5),
        max_leaves=30,
    ).filter(lambda value: isinstance(value, dict) and bool(value))
)
def test_any_json_object_yields_a_valid_diagnosis(body: dict[str, object]) -> None:
    diagnosis = diagnose(body)
    assert diagnosis.category in ("authentication", "authorization", "other")


# Each adapter on its own, with its provider hint (which lowers its bar for terse payloads): the
# registry above stops at the first adapter that answers, so later ones would see less input.
_MARKED_TEXT = st.text(max_size=800).map(
    lambda text: text + " AccessDenied PERMISSION_DENIED 403 Forbidden WWW-Authenticate: Bearer"
)


@pytest.mark.parametrize("adapter", ADAPTERS, ids=ADAPTER_NAMES)
@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=1500) | _MARKED_TEXT, status=st.none() | st.integers(100, 599))
def test_every_adapter_alone_answers_any_text(adapter: Adapter, text: str, status: int | None) -> None:
    diagnosis = adapter.parse(normalize(text or "x", status_code=status, provider_hint=adapter.name))
    if diagnosis is not None:
        assert diagnosis.category in ("authentication", "authorization", "other")
        assert 0.0 <= diagnosis.confidence <= 1.0
        assert diagnosis.reason is None or diagnosis.reason.startswith(f"{adapter.name}.")


def test_facts_carry_no_control_characters() -> None:
    # ESC c resets a terminal, BEL rings, backspace rewrites what is shown: none may reach a fact.
    text = (
        "An error occurred (AccessDenied) when calling the ListRoles operation: User: "
        "arn:aws:iam::123456789012:user/Ma\x1bc\x08\x07\x9btt is not authorized to perform: iam:ListRoles on resource: "
        "arn:aws:iam::123456789012:role/x"
    )  # synthetic: a real message shape with control characters planted in the principal
    facts = diagnose(text).facts
    assert facts["principal"] == "arn:aws:iam::123456789012:user/Mactt"
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for value in facts.values() for ch in str(value))
