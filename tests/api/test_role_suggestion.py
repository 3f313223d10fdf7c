"""GCP permission denials come with the smallest predefined role and a filled, quoted grant command."""

from __future__ import annotations

import shlex

from fastapi.testclient import TestClient

from api.catalog import Catalog

# The GCS wording, as google-api-core prints it (source: payloads_api.yaml carries real ones).
DENIAL = (
    "google.api_core.exceptions.Forbidden: 403 GET https://storage.googleapis.com/storage/v1/b/reports/o: "
    "ci@proj-1.iam.gserviceaccount.com does not have storage.objects.list access to the Google Cloud Storage "
    "bucket. Permission 'storage.objects.list' denied on resource (or it may not exist)."
)  # synthetic: the documented GCS message in api_core's envelope


def test_role_table_suggests_a_role_that_is_not_basic_for_every_permission(catalog: Catalog) -> None:
    table = catalog.gcp_roles
    assert table is not None and len(table.permissions) >= 100
    for permission, entry in table.permissions.items():
        assert entry.roles, permission
        assert not set(entry.roles) & {"roles/owner", "roles/editor", "roles/viewer"}, permission
        assert not any(role.startswith("roles/storage.legacy") for role in entry.roles), permission


def test_permission_denial_response_suggests_the_smallest_role_at_the_bucket(shared_client: TestClient) -> None:
    body = shared_client.post("/v1/diagnose", json={"error": DENIAL}).json()
    assert body["reason"] == "gcp.authz.iam_permission_denied"
    suggestion = body["guidance"]["role_suggestion"]
    assert suggestion["roles"][0] == "roles/storage.objectViewer"
    assert suggestion["grant_on"] == "bucket"
    argv = shlex.split(suggestion["command"])
    assert argv[:4] == ["gcloud", "storage", "buckets", "add-iam-policy-binding"]
    assert "--member=serviceAccount:ci@proj-1.iam.gserviceaccount.com" in argv
    assert "--role=roles/storage.objectViewer" in argv


def test_impersonation_suggests_token_creator_on_the_service_account(shared_client: TestClient) -> None:
    error = {
        "error": {
            "code": 403,
            "message": "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "IAM_PERMISSION_DENIED",
                    "domain": "iam.googleapis.com",
                    "metadata": {"permission": "iam.serviceAccounts.getAccessToken"},
                }
            ],
        }
    }  # the ErrorInfo example of research/providers.md §8.2 (Google's documented body)
    body = shared_client.post("/v1/diagnose", json={"error": error}).json()
    assert body["reason"] == "gcp.authz.service_account_impersonation"
    assert body["guidance"]["role_suggestion"]["roles"][0] == "roles/iam.serviceAccountTokenCreator"
    assert body["guidance"]["role_suggestion"]["grant_on"] == "service_account"


def test_service_account_grant_names_the_account_in_full_so_gcloud_needs_no_project(
    shared_client: TestClient,
) -> None:
    # gcloud 528 refuses a bare email here when core/project is unset ("Failed to find attribute
    # [project]"); the full name with "-" parses anywhere, and IAM infers the project from the account.
    sa = "deployer@proj-1.iam.gserviceaccount.com"
    message = (
        f"Permission 'iam.serviceAccounts.getAccessToken' denied on resource "
        f"'projects/-/serviceAccounts/{sa}' (or it may not exist)."
    )  # synthetic: IAM Credentials' documented wording with the account's resource name
    body = shared_client.post("/v1/diagnose", json={"error": message}).json()
    argv = shlex.split(body["guidance"]["role_suggestion"]["command"])
    assert argv[:5] == [
        "gcloud",
        "iam",
        "service-accounts",
        "add-iam-policy-binding",
        f"projects/-/serviceAccounts/{sa}",
    ]
