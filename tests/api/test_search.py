"""Search finds the right entry first for queries written as users type them, on both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.search import terms

# (query as a user would type it, the entry that must come first)
QUERIES = [
    ("service control policy explicit deny", "aws.authz.explicit_deny.scp"),
    ("AccessDenied", "aws.authz.unspecified"),
    ("PERMISSION_DENIED", "gcp.authz.iam_permission_denied"),
    ("ExpiredToken", "aws.authn.expired_credentials"),
    ("InvalidClientTokenId", "aws.authn.invalid_credentials"),
    ("SignatureDoesNotMatch", "aws.authn.signature_mismatch"),
    ("UnauthorizedOperation encoded authorization failure message", "aws.authz.encoded_message"),
    ("NoCredentialsError unable to locate credentials", "aws.authn.missing_credentials"),
    ("RequestTimeTooSkewed", "aws.authn.clock_skew"),
    ("sso token expired refresh failed", "aws.authn.sso_token_expired"),
    ("permissions boundary explicit deny", "aws.authz.explicit_deny.permissions_boundary"),
    ("no permissions boundary allows", "aws.authz.implicit_deny.permissions_boundary"),
    ("session policy implicit deny", "aws.authz.implicit_deny.session_policy"),
    ("resource control policy", "aws.authz.explicit_deny.rcp"),
    ("vpc endpoint policy explicit deny", "aws.authz.explicit_deny.vpc_endpoint_policy"),
    ("not authorized to perform sts:AssumeRoleWithWebIdentity", "aws.authz.assume_role_denied"),
    ("block public access", "aws.authz.s3_block_public_access"),
    ("bedrock model access", "aws.other.bedrock_model_access"),
    ("Missing Authentication Token api gateway", "aws.other.api_gateway_missing_route"),
    ("OptInRequired", "aws.other.opt_in_required"),
    ("vpc service controls", "gcp.authz.vpc_service_controls"),
    ("org policy constraint violated", "gcp.authz.org_policy"),
    ("iam.serviceAccounts.getAccessToken impersonation", "gcp.authz.service_account_impersonation"),
    ("insufficient authentication scopes", "gcp.authz.insufficient_scopes"),
    ("API key restricted referrer blocked", "gcp.authz.api_key_restricted"),
    ("Missing or insufficient permissions firestore", "gcp.authz.firebase_security_rules"),
    ("SERVICE_DISABLED api not enabled", "gcp.other.service_disabled"),
    ("BILLING_DISABLED", "gcp.other.billing_disabled"),
    ("default credentials were not found", "gcp.authn.missing_credentials"),
    ("invalid_token bearer", "http.authn.invalid_credentials"),
    ("insufficient_scope", "http.authz.insufficient_scope"),
    ("blocked by CORS policy", "http.other.cors"),
    ("401 vs 403", "guide.http_401_vs_403"),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_search_finds_the_expected_entry_first(shared_client: TestClient, query: str, expected: str) -> None:
    hits = shared_client.get("/v1/search", params={"q": query, "limit": 5}).json()
    assert hits, query
    assert hits[0]["id"] == expected, [hit["id"] for hit in hits]


def test_search_filters_by_provider(shared_client: TestClient) -> None:
    hits = shared_client.get("/v1/search", params={"q": "expired credentials token", "provider": "gcp"}).json()
    assert hits and all(hit["id"].startswith("gcp.") for hit in hits)


def test_search_without_a_usable_word_returns_nothing(shared_client: TestClient) -> None:
    assert shared_client.get("/v1/search", params={"q": "the of a !!! ***"}).json() == []


@pytest.mark.parametrize("hostile", ['" OR 1=1 --', "NEAR(a b)", "a:* & !b", "'; DROP TABLE entry; --", "*" * 400])
def test_search_treats_query_syntax_as_plain_words(shared_client: TestClient, hostile: str) -> None:
    response = shared_client.get("/v1/search", params={"q": hostile})
    assert response.status_code == 200
    assert isinstance(response.json(), list)
    assert shared_client.get("/v1/entries").status_code == 200  # nothing dropped


def test_search_terms_drop_stopwords_and_keep_codes() -> None:
    assert terms("Why am I getting AccessDenied on my bucket?") == ["accessdenied", "bucket"]
