"""Secrets in a paste are redacted before anything stores, logs or echoes them."""

from __future__ import annotations

import pytest

from adapters.redact import redact

# (kind, text holding a secret, the secret part that must vanish, a part that must stay)
CASES = [
    (
        "aws-access-key",
        "The AWS Access Key Id AKIAIOSFODNN7EXAMPLE does not exist",
        "IOSFODNN7EXAMPLE",
        "AKIA",
    ),
    ("aws-temporary-key", "key ASIAY34FZKBOKMUTVV7A expired", "Y34FZKBOKMUTVV7A", "ASIA"),
    (
        "aws-secret",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI",
        "aws_secret_access_key",
    ),
    (
        "session-token",
        '"SessionToken": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH"',
        "IQoJb3JpZ2lu",
        "SessionToken",
    ),
    (
        "jwt",
        "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "token",
    ),
    (
        "bearer",
        "Authorization: Bearer 8f3a9c1d2e4b5a6f7c8d9e0f1a2b3c4d",
        "8f3a9c1d2e4b5a6f",
        "Authorization: Bearer",
    ),
    ("basic", "Authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy", "Authorization: Basic"),
    (
        "azure-client-secret",
        "AADSTS7000215: Invalid client secret provided. secret: Abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789",
        "dEfGhIjKlMnOpQrStUvWxYz",
        "AADSTS7000215",
    ),
    (
        "azure-storage-key",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu==",
        "Eby8vdM02xNOcqFl",
        "AccountName=acct",
    ),
    (
        "azure-sas",
        "GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sig=abcDEF%2Bxyz0123%3D 403",
        "abcDEF%2Bxyz0123",
        "sv=2022-11-02",
    ),
    (
        "url-password",
        "could not connect to postgres://admin:s3cr3tP4ss@db.example.com:5432/app",
        "s3cr3tP4ss",
        "admin",
    ),
    ("whydenied-key", "Authorization: wdk_Q2hhbmdlTWVQbGVhc2UxMjM0NTY3ODkw", "Q2hhbmdlTWVQbGVhc2Ux", "Authorization"),
    ("github-token", "remote: ghp_16C7e42F292c6912E7710c838347Ae178B4a denied", "16C7e42F292c", "remote:"),
    ("gitlab-token", "PRIVATE-TOKEN: glpat-xXxXxXxXxXxXxXxXxXxX", "xXxXxXxXxXxX", "PRIVATE-TOKEN"),
    ("slack-token", "token=xoxb-1234567890-abcdefghijkl", "1234567890-abcdef", "token"),
    (
        "google-api-key",
        "key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW blocked",
        "SyA1b2C3d4E5f6G7h8",
        "blocked",
    ),
    (
        "stripe-key",
        "Invalid API Key provided: sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "4eC39HqLyjWDarjtT1zdp7dc",
        "Invalid",
    ),
    (
        "presigned-url",
        "GET https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIDX%2F20260101&X-Amz-Signature=abc123def456 403",
        "abc123def456",
        "X-Amz-Signature=",
    ),
    ("password-field", '{"username": "jane", "password": "hunter2hunter2"}', "hunter2hunter2", "jane"),
    (
        "private-key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA7bq98",
        "PRIVATE KEY",
    ),
]


@pytest.mark.parametrize(("kind", "text", "secret", "kept"), CASES, ids=[c[0] for c in CASES])
def test_redact_removes_the_secret_and_keeps_the_context(kind: str, text: str, secret: str, kept: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert kept in redacted
    assert "REDACTED" in redacted


@pytest.mark.parametrize(
    "text",
    [
        'WWW-Authenticate: Bearer realm="api", error="invalid_token"',
        'WWW-Authenticate: Basic realm="GitHub"',
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject",
        "Permission 'storage.objects.get' denied on resource",
    ],
)
def test_redact_leaves_diagnostic_text_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "changed"),
    [
        pytest.param("-----BEGIN RSA PRIVATE KEY-----" + "A" * 60_000, False, id="key-without-end"),
        pytest.param("eyJ" + "a" * 60_000 + ".", False, id="jwt-without-payload"),
        pytest.param("Bearer " + "x" * 60_000, True, id="long-bearer"),
    ],
)
def test_redact_handles_long_near_misses(text: str, changed: bool) -> None:
    # Near misses are left as they are and true hits redacted, however long; the patterns are
    # bounded (linear), so these finish at once (speed itself is measured in bench/, not here).
    assert (redact(text) != text) is changed
