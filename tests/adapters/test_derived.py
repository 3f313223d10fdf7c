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
            {
                "role_arn": "arn:aws:iam::123456789012:role/Deploy",
                "role_name": "Deploy",
                "principal_kind": "role_session",
                "policy_principal": "arn:aws:iam::123456789012:role/Deploy",  # a resource policy names the role
            },
            id="assumed-role-session",
        ),
        pytest.param(
            {"principal": "arn:aws-us-gov:sts::123456789012:assumed-role/ci/s"},
            {"role_arn": "arn:aws-us-gov:iam::123456789012:role/ci", "role_name": "ci"},
            id="govcloud-partition",
        ),
        pytest.param(
            {"principal": "arn:aws:iam::123456789012:user/alice"},
            {"user_name": "alice", "principal_kind": "iam_user", "role_name": None, "role_arn": None},
            id="iam-user",
        ),
        pytest.param({"principal": "arn:aws:iam::123456789012:root"}, {"principal_kind": "root"}, id="aws-root"),
        pytest.param(
            {"resource": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
            {"resource_type": "kms_key", "region": "eu-west-1", "resource_account": "111122223333", "bucket": None},
            id="kms-key",
        ),
        pytest.param(
            {"resource": "arn:aws:sqs:us-east-1:111122223333:orders"},
            {"resource_type": "sqs_queue", "queue_url": "https://sqs.us-east-1.amazonaws.com/111122223333/orders"},
            id="sqs-queue-url",
        ),
        pytest.param(
            {"resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"},
            {
                "resource_type": "secretsmanager_secret",
                "secret_id": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
            },
            id="secretsmanager-secret",
        ),
        pytest.param(
            {"resource": "arn:aws:lambda:us-east-1:111122223333:function:resize:live"},
            {"resource_type": "lambda_function", "function_name": "resize"},
            id="lambda-function-with-qualifier",
        ),
        pytest.param(
            {"resource": "arn:aws:ecr:us-east-1:111122223333:repository/team/app"},
            {"resource_type": "ecr_repository", "repository_name": "team/app"},
            id="ecr-repository",
        ),
        pytest.param(
            {"action": "s3:GetObject"},
            {"inline_policy_name": "allow-s3-GetObject", "statement_id": "AllowS3GetObject"},
            id="names-from-the-action",
        ),
        pytest.param(
            {"policy_arn": "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"},
            {"policy_id": "p-2kgnabcd"},
            id="scp-policy-id",
        ),
        pytest.param(
            {
                "principal": "serviceAccount:ci@p.iam.gserviceaccount.com",
                "resource": "projects/p1/secrets/db-pass/versions/latest",
            },
            {
                "principal_kind": "service_account",
                "resource_type": "secret",
                "project": "p1",
                "secret": "db-pass",
                "full_resource_name": "//secretmanager.googleapis.com/projects/p1/secrets/db-pass/versions/latest",
                "bucket": None,
            },
            id="gcp-secret-version",
        ),
        pytest.param(
            {"resource": "//cloudkms.googleapis.com/projects/p/locations/global/keyRings/r/cryptoKeys/k"},
            {"resource_type": "kms_key", "location": "global", "key_ring": "r", "crypto_key": "k", "project": "p"},
            id="gcp-kms-key-full-name",
        ),
        pytest.param(
            {"principal": "serviceAccount:my-proj.svc.id.goog[default/app]"},
            {"principal_kind": "workload_identity", "principal_email": None},
            id="gke-workload-identity",
        ),
        pytest.param(
            {"project": "stated", "resource": "projects/other/topics/t"},
            {"project": None, "topic": "t"},
            id="a-stated-fact-is-never-repeated-as-derived",
        ),
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
        pytest.param(
            {"permission": "iam.serviceAccounts.actAs", "resource": "deployer@my-proj.iam.gserviceaccount.com"},
            {
                "resource_type": "service_account",
                "service_account_email": "deployer@my-proj.iam.gserviceaccount.com",
                "project": "my-proj",
                "full_resource_name": "//iam.googleapis.com/projects/my-proj/serviceAccounts/deployer@my-proj.iam.gserviceaccount.com",
            },
            id="gcp-service-account-named-by-its-email",
        ),
        pytest.param(
            {"permission": "iam.serviceAccounts.actAs", "resource": "123456789-compute@developer.gserviceaccount.com"},
            {
                "resource_type": "service_account",
                "service_account_email": "123456789-compute@developer.gserviceaccount.com",
                "project": None,  # the default compute account's address names no project id
                "full_resource_name": None,
            },
            id="gcp-default-compute-service-account",
        ),
        pytest.param(
            {"permission": "iam.serviceAccounts.actAs", "resource": "my-app-prod@appspot.gserviceaccount.com"},
            {
                "resource_type": "service_account",
                "service_account_email": "my-app-prod@appspot.gserviceaccount.com",
                "project": "my-app-prod",  # the App Engine default account's local part is the project id
                "full_resource_name": "//iam.googleapis.com/projects/my-app-prod/serviceAccounts/my-app-prod@appspot.gserviceaccount.com",
            },
            id="gcp-app-engine-default-service-account-names-its-project",
        ),
        pytest.param(
            {
                "permission": "iam.serviceAccounts.actAs",
                "resource": "service-123456789@gcp-sa-cloudbuild.iam.gserviceaccount.com",
            },
            {
                "resource_type": "service_account",
                "project": None,  # a service agent's domain is Google's, not the customer's project
                "full_resource_name": None,
            },
            id="gcp-service-agent-domain-is-not-a-project",
        ),
        pytest.param(
            {"permission": "storage.objects.get", "resource": "glow-demo/logs/run-1.tar"},
            {"bucket": "glow-demo", "object_name": "logs/run-1.tar", "resource_type": "gcs_object"},
            id="gcs-bucket-slash-object-as-gsutil-names-it",
        ),
        pytest.param(
            {"permission": "storage.buckets.create", "resource": "project", "project": "cdf-entcon"},
            {
                "bucket": None,  # "access to the Google Cloud project": not a bucket named "project"
                "resource_type": "project",
                "full_resource_name": "//cloudresourcemanager.googleapis.com/projects/cdf-entcon",
            },
            id="gcs-bucket-creation-is-checked-on-the-project",
        ),
    ],
)
def test_derived_facts(facts: dict[str, str], expected: dict[str, str]) -> None:
    derived = derived_facts(facts)
    assert {key: derived.get(key) for key in expected} == expected


def test_derived_keys_are_declared_in_the_taxonomy() -> None:
    taxonomy = load_taxonomy(content_root() / "taxonomy.yaml")
    assert set(DERIVED_KEYS) <= set(taxonomy.derived)
    # Only `project` may be both: the same value, stated by some pastes and read from the resource
    # name in others (a stated one always wins, and is never repeated under `derived`).
    assert set(taxonomy.derived) & set(taxonomy.facts) == {"project"}
