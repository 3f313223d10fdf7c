"""WWW-Authenticate parsing (RFC 9110 §11.6.1), with the challenges real servers send."""

from __future__ import annotations

import pytest

from adapters.http.challenge import parse_challenges


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            'Bearer realm="api", error="invalid_token"',
            [("Bearer", {"realm": "api", "error": "invalid_token"})],
            id="rfc6750",
        ),
        pytest.param(
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull"',
            [
                (
                    "Bearer",
                    {
                        "realm": "https://auth.docker.io/token",
                        "service": "registry.docker.io",
                        "scope": "repository:library/x:pull",
                    },
                )
            ],
            id="docker-registry",
        ),
        pytest.param('Basic realm="GitHub"', [("Basic", {"realm": "GitHub"})], id="basic"),
        pytest.param("Negotiate, NTLM", [("Negotiate", {}), ("NTLM", {})], id="iis-two-schemes"),
        pytest.param("Token", [("Token", {})], id="drf-token"),
        pytest.param(
            'Basic realm="simple", Bearer realm="x, y", error="insufficient_scope", scope="a b"',
            [
                ("Basic", {"realm": "simple"}),
                ("Bearer", {"realm": "x, y", "error": "insufficient_scope", "scope": "a b"}),
            ],
            id="two-challenges-comma-in-quotes",
        ),
        pytest.param(
            'Bearer error="invalid_token", error_description="The \\"token\\" expired"',
            [("Bearer", {"error": "invalid_token", "error_description": 'The "token" expired'})],
            id="escaped-quote",
        ),
        pytest.param("BEARER REALM=api", [("BEARER", {"realm": "api"})], id="case-insensitive-names"),
    ],
)
def test_parse_challenges_reads_schemes_and_params(value: str, expected: list[tuple[str, dict[str, str]]]) -> None:
    assert [(c.scheme, c.params) for c in parse_challenges(value)] == expected


def test_parse_challenges_keeps_token68() -> None:
    (challenge,) = parse_challenges("Negotiate oYH1MIHyoAMKAQChCwYJKoZIgvcSAQICooHdBIHa==")
    assert challenge.scheme == "Negotiate"
    assert challenge.token68 == "oYH1MIHyoAMKAQChCwYJKoZIgvcSAQICooHdBIHa=="


@pytest.mark.parametrize("value", ["", ",,,", '"unterminated', "=" * 5000, "a=" * 3000])
def test_parse_challenges_tolerates_garbage(value: str) -> None:
    parse_challenges(value)  # must not raise, whatever comes back
