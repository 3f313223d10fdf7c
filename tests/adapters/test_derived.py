"""Values derived from stated facts, used only to fill commands (never returned as facts)."""

from __future__ import annotations

import pytest

from adapters.derived import DERIVED_KEYS, derived_facts
from api.catalog import content_root
from api.taxonomy import load_taxonomy


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(
            {"principal": "arn:aws:sts::123456789012:assumed-role/Deploy/gha-42"},
            {"role_arn": "arn:aws:iam::123456789012:role/Deploy", "role_name": "Deploy"},
            id="assumed-role-session",
        ),
        pytest.param(
            {"principal": "arn:aws-us-gov:sts::123456789012:assumed-role/ci/s"},
            {"role_arn": "arn:aws-us-gov:iam::123456789012:role/ci", "role_name": "ci"},
            id="govcloud-partition",
        ),
        pytest.param({"principal": "arn:aws:iam::123456789012:user/alice"}, {"user_name": "alice"}, id="iam-user"),
        pytest.param(
            {"resource": "arn:aws:iam::123456789012:role/path/to/Target"},
            {"resource_role_name": "Target"},
            id="assumed-role-target",
        ),
        pytest.param({"resource": "arn:aws:s3:::reports/2026/q1.csv"}, {"bucket": "reports"}, id="s3-object"),
        pytest.param(
            {"principal": "ci@proj.iam.gserviceaccount.com"},
            {
                "principal_email": "ci@proj.iam.gserviceaccount.com",
                "member": "serviceAccount:ci@proj.iam.gserviceaccount.com",
            },
            id="bare-service-account",
        ),
        pytest.param(
            {"principal": "user:jane@example.com"},
            {"principal_email": "jane@example.com", "member": "user:jane@example.com"},
            id="prefixed-user",
        ),
        pytest.param(
            {"permission": "storage.objects.list", "resource": "my-bucket-name"},
            {
                "bucket": "my-bucket-name",
                "full_resource_name": "//storage.googleapis.com/projects/_/buckets/my-bucket-name",
            },
            id="gsutil-bare-bucket",
        ),
        pytest.param(
            {"resource": "projects/p/topics/t", "service": "pubsub.googleapis.com"},
            {"full_resource_name": "//pubsub.googleapis.com/projects/p/topics/t"},
            id="relative-name-with-service",
        ),
    ],
)
def test_derived_facts(facts: dict[str, str], expected: dict[str, str]) -> None:
    assert derived_facts(facts) == expected


def test_derived_keys_are_declared_in_the_taxonomy() -> None:
    taxonomy = load_taxonomy(content_root() / "taxonomy.yaml")
    assert set(DERIVED_KEYS) <= set(taxonomy.derived)
    assert not set(taxonomy.derived) & set(taxonomy.facts)
