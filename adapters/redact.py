"""Secret redaction: applied to every pasted text before anything reads, stores or echoes it.

Each pattern is linear-time (no nested quantifiers over the same text) and keeps enough of
the secret's shape to stay diagnostic (an AWS key's AKIA/ASIA prefix says long-term vs
temporary credentials) while dropping the secret itself.
"""

from __future__ import annotations

import re
from typing import Final

_R: Final = "[REDACTED]"

# Each entry: (name, compiled pattern, replacement). Replacements keep group 1 (the label).
_PATTERNS: Final[tuple[tuple[str, re.Pattern[str], str], ...]] = (
    # -----BEGIN RSA PRIVATE KEY----- ... -----END RSA PRIVATE KEY-----
    (
        "private-key",
        re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]{0,20000}?-----END (?:[A-Z]+ )*PRIVATE KEY-----"),
        "-----BEGIN PRIVATE KEY-----" + _R + "-----END PRIVATE KEY-----",
    ),
    # eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl  (a JWT: header.payload.signature)
    (
        "jwt",
        re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"),
        "[REDACTED:jwt]",
    ),
    # Authorization: Bearer 8d4f...   /   Bearer ya29.a0Af...  (not `Bearer realm="x"`)
    (
        "bearer",
        re.compile(r"(\bBearer\s+)(?![A-Za-z_]+=\")[A-Za-z0-9._~+/-]{12,}=*"),
        r"\1" + _R,
    ),
    # Authorization: Basic dXNlcjpwYXNz
    (
        "basic",
        re.compile(r"(\bBasic\s+)(?![A-Za-z_]+=)[A-Za-z0-9+/]{8,}=*"),
        r"\1" + _R,
    ),
    # AKIAIOSFODNN7EXAMPLE / ASIA... : keep the 4-letter prefix, it tells the key type
    ("aws-access-key", re.compile(r"\b(AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b"), r"\1" + _R),
    # aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ; "SecretAccessKey": "..."
    (
        "aws-secret",
        re.compile(
            r"((?:aws_secret_access_key|secret_?access_?key|aws_session_token|session_?token"
            r"|x-amz-security-token)[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{16,}",
            re.IGNORECASE,
        ),
        r"\1" + _R,
    ),
    # ?X-Amz-Signature=abc&X-Goog-Signature=...&sig=...&Signature=... (presigned URLs)
    (
        "url-signature",
        re.compile(
            r"([?&](?:X-Amz-Signature|X-Goog-Signature|Signature|sig|X-Amz-Security-Token"
            r"|X-Amz-Credential|X-Goog-Credential|access_token|token|key|api_key|apikey|code)=)"
            r"[^&\s\"'<>]+",
            re.IGNORECASE,
        ),
        r"\1" + _R,
    ),
    # AIzaSyD...  (Google API key)
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "AIza" + _R),
    # ya29.a0AfH6SM... (Google OAuth access token)
    ("google-oauth", re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"), "ya29." + _R),
    # ghp_xxx, gho_, ghu_, ghs_, ghr_, github_pat_xxx
    (
        "github-token",
        re.compile(r"\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}"),
        r"\1" + _R,
    ),
    # Azure AD client secret values: 3 characters, a digit, "Q~", 31-34 more (Microsoft's format)
    ("azure-client-secret", re.compile(r"\b[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,40}"), _R),
    # https://user:password@host/ : keep the user, drop the password
    (
        "url-password",
        re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@]{1,256}:)[^\s@/]{1,256}@"),
        r"\1" + _R + "@",
    ),
    # wdk_... (whydenied's own API keys, from `whydenied keys create`)
    ("whydenied-key", re.compile(r"\b(wdk_)[A-Za-z0-9_-]{20,}"), r"\1" + _R),
    # glpat-xxxxxxxxxxxxxxxxxxxx (GitLab)
    ("gitlab-token", re.compile(r"\b(glpat-)[A-Za-z0-9_-]{16,}"), r"\1" + _R),
    # xoxb-123-456-abc (Slack)
    ("slack-token", re.compile(r"\b(xox[abposr]-)[A-Za-z0-9-]{10,}"), r"\1" + _R),
    # sk_live_..., rk_live_..., sk-proj-... (Stripe, OpenAI-style secret keys)
    (
        "secret-key",
        re.compile(r"\b((?:sk|rk)_(?:live|test)_|sk-(?:proj-)?)[A-Za-z0-9_-]{16,}"),
        r"\1" + _R,
    ),
    # "password": "hunter2" / password=hunter2 / "client_secret": "..." / "api_key": "..."
    (
        "named-secret",
        re.compile(
            r"((?:password|passwd|client_secret|api[_-]?key|x-api-key|private_key|refresh_token"
            r"|access_token|id_token|AccountKey|SharedAccessKey)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]{4,}",
            re.IGNORECASE,
        ),
        r"\1" + _R,
    ),
)


# A literal that every match of a pattern contains (lower-cased): a pattern whose hint is absent
# cannot match, so its scan is skipped (most pastes hold no secret at all).
_HINTS: Final[dict[str, tuple[str, ...]]] = {
    "private-key": ("private key",),
    "jwt": ("eyj",),
    "bearer": ("bearer",),
    "basic": ("basic",),
    "aws-access-key": ("akia", "asia", "aroa", "aida"),
    "aws-secret": ("secret", "token"),
    "url-signature": ("=",),
    "google-api-key": ("aiza",),
    "google-oauth": ("ya29.",),
    "github-token": ("gh", "github_pat_"),
    "whydenied-key": ("wdk_",),
    "azure-client-secret": ("q~",),
    "url-password": ("://",),
    "gitlab-token": ("glpat-",),
    "slack-token": ("xox",),
    "secret-key": ("sk_", "rk_", "sk-"),
    "named-secret": ("pass", "secret", "key", "token"),  # AccountKey / SharedAccessKey hold "key"
}


def redact(text: str) -> str:
    """Return the text with every known kind of secret replaced by a [REDACTED] marker."""
    lowered = text.lower()
    for name, pattern, replacement in _PATTERNS:
        if any(hint in lowered for hint in _HINTS[name]):
            text = pattern.sub(replacement, text)
    return text


def secret_kinds() -> tuple[str, ...]:
    """Return the names of the secret kinds redacted, for documentation and tests."""
    return tuple(name for name, _, _ in _PATTERNS)
