"""The generic readers below the provider grammars (adapters/generic.py), and the HTTP adapter's
answers for blocks in front of a site (edge.py) and for failures that are not access failures.

Texts are real shapes with the identifying parts (hosts, ids) as the clients print them; the few
assembled here for one sign each are marked synthetic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.base import Diagnosis
from adapters.generic import (
    INFERRED_CONFIDENCE,
    PROVIDER_REASONS,
    attribute_provider,
    infer_provider,
    register_provider_reasons,
)
from adapters.http.adapter import HttpAdapter
from adapters.http.not_access import NOT_ACCESS_NOTES
from adapters.normalize import normalize
from adapters.registry import diagnose
from tests.corpus.split import split_of


def _http_then_attributed(text: str, **request: Any) -> Diagnosis:
    """The generic HTTP adapter's answer, re-read with the provider (what the registry does)."""
    payload = normalize(text, **request)
    diagnosis = HttpAdapter().parse(payload)
    assert diagnosis is not None
    return attribute_provider(diagnosis, payload)


@pytest.mark.parametrize(
    ("text", "headers", "provider"),
    [
        ("Forbidden for url: https://mybucket.s3.eu-west-1.amazonaws.com/key", {}, "aws"),
        ("Resource: arn:aws:s3:::my-bucket/key", {}, "aws"),
        ("botocore.exceptions.ClientError: An error occurred (403)", {}, "aws"),
        ("GET https://storage.googleapis.com/b/o: 403", {}, "gcp"),
        ("on resource projects/my-project-123/secrets/db", {}, "gcp"),
        ("google.api_core.exceptions.Forbidden: 403", {}, "gcp"),
        ("Azure.RequestFailedException: Status: 403 (Forbidden)", {}, "azure"),
        ("https://acct.blob.core.windows.net/c/b 403", {}, "azure"),
        ("/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg", {}, "azure"),
        ("k8s.io/client-go/rest: 403", {}, "kubernetes"),
        ('Get "http://api.default.svc.cluster.local/v1": 401', {}, "kubernetes"),
        ("403 Forbidden", {"x-amz-request-id": "4442587FB7D0A2F9"}, "aws"),
        ("403 Forbidden", {"x-goog-api-client": "gl-python/3.11"}, "gcp"),
        ("403 Forbidden", {"x-ms-request-id": "a1b2"}, "azure"),
        ("x-amzn-requestid: 0f4e\n403 Forbidden", {}, "aws"),
    ],
)
def test_the_provider_is_read_from_hosts_arns_names_sdks_and_headers(
    text: str, headers: dict[str, str], provider: str
) -> None:
    clue = infer_provider(normalize(text, headers=headers))
    assert clue is not None and clue.provider == provider
    assert clue.basis  # the user can see what it came from


@pytest.mark.parametrize(
    ("text", "headers"),
    [
        ("remote: Permission to owner/repo.git denied to someone.", {}),
        ("401 Unauthorized", {"x-ms-invokeapp": "1; RequireReadOnly"}),  # SharePoint, not Azure
        ("HTTPError: 403 Forbidden from https://upload.pypi.org/legacy/", {}),
    ],
)
def test_no_provider_is_guessed_without_a_sign(text: str, headers: dict[str, str]) -> None:
    assert infer_provider(normalize(text, headers=headers)) is None


def test_an_http_answer_with_a_cloud_host_gets_that_clouds_generic_reason_inferred() -> None:
    # synthetic: a requests HTTPError against an API Gateway URL, the shape requests prints
    diagnosis = _http_then_attributed(
        "requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: "
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod/items"
    )
    assert (diagnosis.provider, diagnosis.reason, diagnosis.category) == (
        "aws",
        "aws.authz.unspecified",
        "authorization",
    )
    reason = next(f for f in diagnosis.findings if f.field == "reason")
    assert reason.evidence == "inferred" and "amazonaws.com" in reason.basis
    assert diagnosis.confidence <= INFERRED_CONFIDENCE
    assert diagnosis.facts["status_code"] == 403  # the facts the HTTP adapter read are kept


def test_expiry_words_choose_the_expired_reason_of_the_provider() -> None:
    # synthetic: a 401 whose body says the token expired, against a googleapis.com URL
    diagnosis = _http_then_attributed(
        '401 Client Error: Unauthorized for url: https://example.googleapis.com/v1/things {"error": "token expired"}'
    )
    assert (diagnosis.provider, diagnosis.reason) == ("gcp", "gcp.authn.expired_credentials")


def test_a_provider_without_registered_reasons_keeps_the_http_reason_with_the_provider_set() -> None:
    diagnosis = _http_then_attributed("Azure.RequestFailedException: Service request failed.\nStatus: 403 (Forbidden)")
    assert (diagnosis.provider, diagnosis.reason, diagnosis.category) == (
        "azure",
        "http.authz.forbidden",
        "authorization",
    )


def test_a_provider_adapter_can_register_its_generic_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PROVIDER_REASONS, "kubernetes", PROVIDER_REASONS["aws"])  # restored afterwards
    register_provider_reasons(
        "kubernetes",
        {
            "missing": "k8s.authn.missing",
            "invalid": "k8s.authn.invalid",
            "expired": "k8s.authn.expired",
            "denied": "k8s.authz.rbac",
            "scope": "k8s.authz.rbac",
        },
    )
    diagnosis = _http_then_attributed('Get "https://api.default.svc.cluster.local/v1/items": 401 Unauthorized')
    assert (diagnosis.provider, diagnosis.reason) == ("kubernetes", "k8s.authn.missing")
    with pytest.raises(ValueError, match="no reason for"):
        register_provider_reasons("azure", {"denied": "azure.authz.x"})


def test_edge_blocks_and_cors_keep_their_http_provider_even_with_cloud_headers() -> None:
    # CloudFront's block page carries x-amz-cf-id: the block is still the CDN's, not an AWS IAM denial.
    diagnosis = diagnose(
        "x-amz-cf-id: 0V6LXXHX4qL_xlDfhvFTPe3TIgSCHmcrM_UN-EeQCzxGSF0ucca2lg==\n<H1>403 ERROR</H1>\n"
        "<H2>The request could not be satisfied.</H2>\nRequest blocked. We can't connect to the server "
        "for this app or website at this time.\nGenerated by cloudfront (CloudFront)"
    )
    assert (diagnosis.provider, diagnosis.reason, diagnosis.variant) == ("http", "http.other.edge_block", "cloudfront")


def test_loose_words_alone_answer_with_a_low_confidence_instead_of_nothing() -> None:
    diagnosis = diagnose("Unauthorized")
    assert (diagnosis.provider, diagnosis.reason) == ("http", "http.authn.missing_credentials")
    assert diagnosis.confidence < 0.5
    assert next(f for f in diagnosis.findings if f.field == "reason").evidence == "inferred"
    assert diagnose("The build finished in 3 minutes.").reason is None


@pytest.mark.parametrize(
    ("text", "headers", "vendor", "code", "reference"),
    [
        ('StatusCodeError: 403 - "error code: 1020"', {}, "cloudflare", "1020", None),
        (
            "Error 1010 Ray ID: 4e9ad1735f4ac99d • 2019-06-20 03:57:21 UTC\nAccess denied",
            {},
            "cloudflare",
            "1010",
            "4e9ad1735f4ac99d",
        ),
        (
            'Access Denied\nYou don\'t have permission to access "http://www.example.com/" on this server.\n'
            "Reference #18.2f5e1402.1652881577.1b0b6a1f",
            {},
            "akamai",
            None,
            "18.2f5e1402.1652881577.1b0b6a1f",
        ),
        (
            "<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>",
            {"server": "cloudflare", "cf-ray": "8d88c59eba94c82f-SJC"},
            "cloudflare",
            None,
            "8d88c59eba94c82f-SJC",
        ),
    ],
)
def test_blocks_in_front_of_the_site_are_edge_blocks_with_their_reference(
    text: str, headers: dict[str, str], vendor: str, code: str | None, reference: str | None
) -> None:
    diagnosis = diagnose(text, status_code=403 if headers else None, headers=headers)
    assert (diagnosis.provider, diagnosis.reason, diagnosis.category) == ("http", "http.other.edge_block", "other")
    assert diagnosis.variant == vendor
    assert diagnosis.facts.get("code") == code
    assert diagnosis.facts.get("request_id") == reference


def test_an_api_error_behind_cloudflare_is_still_the_apis_answer() -> None:
    headers = {"server": "cloudflare", "cf-ray": "8d88c59eba94c82f-SJC"}
    diagnosis = diagnose('{"message":"Bad credentials"}', status_code=401, headers=headers)
    assert diagnosis.reason == "http.authn.invalid_credentials"


@pytest.mark.parametrize(
    ("text", "status", "kind"),
    [
        ("error code: 1015", None, "rate_limit"),  # Cloudflare: rate limited, not blocked
        ("API rate limit exceeded for 1.2.3.4.", None, "rate_limit"),
        ('{"error": {"type": "insufficient_quota"}}', 429, "quota"),
        ("x509: certificate signed by unknown authority", None, "tls"),
        (
            "npm ERR! code E404\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/nope - Not found",
            None,
            "not_found",
        ),
    ],
)
def test_failures_that_are_not_access_failures_say_what_they_are(text: str, status: int | None, kind: str) -> None:
    diagnosis = diagnose(text, status_code=status)
    assert (diagnosis.reason, diagnosis.category) == (None, "other")
    assert diagnosis.note == NOT_ACCESS_NOTES[kind]


def test_a_404_that_hides_a_private_repository_is_an_access_failure() -> None:
    assert diagnose(
        "remote: Repository not found.\nfatal: repository 'https://github.com/o/r.git/' not found"
    ).reason == ("http.authz.forbidden")


def test_a_401_to_a_request_that_carried_credentials_means_they_were_refused() -> None:
    sent = diagnose(
        "Server returned HTTP response code: 401 for URL: https://api.example.com/v1/items?key=abc&token=def"
    )
    assert sent.reason == "http.authn.invalid_credentials"
    bare = diagnose("Server returned HTTP response code: 401 for URL: https://api.example.com/v1/items")
    assert bare.reason == "http.authn.missing_credentials"


# The corpus's HTTP pastes that are not access failures (dev sources only: held-out ones are
# measured by the corpus report, never asserted one by one).
_OTHER = [
    item
    for path in sorted((Path(__file__).parents[2] / "corpus" / "other").glob("http-*.yaml"))
    for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if split_of(item["source"]) == "dev"
]


@pytest.mark.parametrize("item", _OTHER, ids=[item["id"] for item in _OTHER])
def test_real_pastes_that_are_not_access_failures_get_no_reason_and_the_right_note(item: dict[str, Any]) -> None:
    diagnosis = diagnose(**item["input"])
    assert diagnosis.reason is None
    assert diagnosis.note == NOT_ACCESS_NOTES[item["expect"]["note"]]


def test_every_not_access_kind_is_covered_by_real_pastes() -> None:
    assert {item["expect"]["note"] for item in _OTHER} == set(NOT_ACCESS_NOTES)
    assert len(_OTHER) >= 25
