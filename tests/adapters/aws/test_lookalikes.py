"""The AWS adapter's reads that must not over-reach: look-alike texts of other systems stay theirs.

The new reasons and surface forms (S3 XML codes without a RequestId, a bare AccessDeniedException,
"Request has expired", {"message":"Forbidden"}) each have a twin outside AWS or outside the reason;
these pin the line between them. The positive cases are in the corpus and the content examples.
"""

from __future__ import annotations

import pytest

from adapters.registry import diagnose

NOT_AWS = {
    # Cloud Storage's XML API uses S3's codes, but says so in <Details>
    "gcs-xml-nosuchkey": (
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>The specified key does not"
        " exist.</Message><Details>No such object: my-bucket/a.txt</Details></Error>"
    ),
    # a local file error in Java has the same class name as AWS's JSON-protocol code
    "java-nio-access-denied": "java.nio.file.AccessDeniedException: /var/lib/app/S3/cache.db",
    # any API's bare 403 body, with nothing that places it at API Gateway
    "bare-message-forbidden": '{"message":"Forbidden"}',
}


@pytest.mark.parametrize("name", sorted(NOT_AWS))
def test_look_alikes_of_other_systems_are_not_claimed_by_aws(name: str) -> None:
    assert diagnose(NOT_AWS[name]).provider != "aws"


def test_ec2_clock_skew_request_expired_is_not_a_presigned_url() -> None:
    body = (
        "<Response><Errors><Error><Code>RequestExpired</Code><Message>Request has expired.</Message></Error>"
        "</Errors><RequestID>8f3f1d3c-7f0b-4e8a-9a0e-1b2c3d4e5f60</RequestID></Response>"
    )
    assert diagnose(body).reason == "aws.authn.clock_skew"


def test_an_identity_policy_denial_of_execute_api_stays_an_identity_policy_denial() -> None:
    text = (
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: execute-api:Invoke on resource:"
        " arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/items because no identity-based policy"
        " allows the execute-api:Invoke action"
    )
    assert diagnose(text).reason == "aws.authz.implicit_deny.identity_policy"


def test_a_kms_access_denial_is_a_policy_problem_not_a_key_state() -> None:
    text = (
        "An error occurred (AccessDeniedException) when calling the Decrypt operation: User:"
        " arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:Decrypt on resource:"
        " arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab because no resource-based"
        " policy allows the kms:Decrypt action"
    )
    assert diagnose(text).reason == "aws.authz.implicit_deny.resource_policy"


def test_an_sso_token_rejection_is_not_a_missing_assignment() -> None:
    text = (
        "An error occurred (UnauthorizedException) when calling the GetRoleCredentials operation:"
        " Session token not found or invalid"
    )
    assert diagnose(text).reason == "aws.authn.sso_token_expired"
