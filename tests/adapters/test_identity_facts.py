"""Who really made the call: the identity facts the AWS and GCP adapters read from CloudTrail records and
Cloud Audit Log entries (adapters/aws/identity.py, adapters/gcp/identity.py).

Payloads are real where one was found (source beside each); the AssumeRole record is AWS's own
documentation example with a denial added (marked synthetic), since a denied AssumeRole with session
tags and an external id was not found in public.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from adapters.registry import diagnose
from tests.adapters.harness import load_payloads

AWS_PAYLOADS = {item["id"]: item for item in load_payloads(Path(__file__).parent / "aws")}

# https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html#stscloudtrailexample-assumerole
# (role chaining with session tags); source: synthetic for errorCode, errorMessage and externalId, added.
ROLE_CHAINING: dict[str, Any] = {
    "eventVersion": "1.05",
    "userIdentity": {
        "type": "AssumedRole",
        "principalId": "AROAIN5ATK5U7KEXAMPLE:JohnRole1",
        "arn": "arn:aws:sts::111111111111:assumed-role/John/JohnRole1",
        "accountId": "111111111111",
        "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
        "sessionContext": {
            "attributes": {"mfaAuthenticated": "false", "creationDate": "2019-10-02T21:50:54Z"},
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAIN5ATK5U7KEXAMPLE",
                "arn": "arn:aws:iam::111111111111:role/JohnRole1",
                "accountId": "111111111111",
                "userName": "John",
            },
            "sourceIdentity": "John",
        },
    },
    "eventTime": "2019-10-02T22:12:29Z",
    "eventSource": "sts.amazonaws.com",
    "eventName": "AssumeRole",
    "awsRegion": "us-east-2",
    "errorCode": "AccessDenied",
    "errorMessage": "User: arn:aws:sts::111111111111:assumed-role/John/JohnRole1 is not authorized to perform: "
    "sts:AssumeRole on resource: arn:aws:iam::111111111111:role/JohnRole2",
    "requestParameters": {
        "incomingTransitiveTags": {"Department": "Engineering"},
        "tags": [{"value": "johndoe@example.com", "key": "Email"}, {"value": "12345", "key": "CostCenter"}],
        "roleArn": "arn:aws:iam::111111111111:role/JohnRole2",
        "roleSessionName": "Role2WithTags",
        "externalId": "Unique-ID-Assigned-by-Example-Corp",
        "sourceIdentity": "John",
        "transitiveTagKeys": ["Email"],
        "durationSeconds": 3600,
    },
    "requestID": "b96b0e4e-e561-11e9-8b3f-7b396EXAMPLE",
    "eventID": "1917948f-3042-46ec-98e2-62865EXAMPLE",
    "eventType": "AwsApiCall",
    "recipientAccountId": "111111111111",
}

# https://github.com/panther-labs/panther-analysis/blob/main/rules/gcp_audit_rules/gcp_service_account_access_denied.yml
GCP_KEY_DENIED: dict[str, Any] = {
    "insertid": "xxxxxxxxxxxx",
    "logname": "projects/test-project-123456/logs/cloudaudit.googleapis.com%2Factivity",
    "protoPayload": {
        "at_sign_type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {
            "principalEmail": "test-no-perms@test-project-123456.iam.gserviceaccount.com",
            "principalSubject": "serviceAccount:test-no-perms@test-project-123456.iam.gserviceaccount.com",
            "serviceAccountKeyName": "//iam.googleapis.com/projects/test-project-123456/serviceAccounts/"
            "test-no-perms@test-project-123456.iam.gserviceaccount.com/keys/a0064fe0ef82b9e256b8b093d927ee842a19da34",
        },
        "authorizationInfo": [{"permission": "iam.serviceAccounts.create", "resource": "projects/test-project-123456"}],
        "methodName": "google.iam.admin.v1.CreateServiceAccount",
        "resourceName": "projects/test-project-123456",
        "serviceName": "iam.googleapis.com",
        "status": {
            "code": 7,
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "domain": "iam.googleapis.com",
                    "metadata": {"permission": "iam.serviceAccounts.create"},
                    "reason": "IAM_PERMISSION_DENIED",
                }
            ],
            "message": "Permission 'iam.serviceAccounts.create' denied on resource (or it may not exist).",
        },
    },
    "severity": "ERROR",
}
# The authenticationInfo of a call made by chained impersonation, from Glean's documentation of what its
# engineers' calls look like in a customer's audit log (https://docs.glean.com/security/cloud-prem/gcp/elevated-access);
# source: synthetic for putting it into the denied entry above.
DELEGATED = {
    "principalEmail": "glean-admin@customer-project.iam.gserviceaccount.com",
    "serviceAccountDelegationInfo": [
        {
            "firstPartyPrincipal": {
                "principalEmail": "glean-admin-877ca5f02f2728a17b@glean-admin-provisioning.iam.gserviceaccount.com"
            }
        },
        {"firstPartyPrincipal": {"principalEmail": "named-engineer@glean.com"}},
    ],
    "principalSubject": "serviceAccount:glean-admin@customer-project.iam.gserviceaccount.com",
}


def _facts(error: Any) -> dict[str, Any]:
    return diagnose(error).facts


def test_a_cloudtrail_session_names_its_issuer_mfa_and_temporary_credentials() -> None:
    item = AWS_PAYLOADS["cloudtrail-record-lambda-listfunctions-explicit-deny-no-type"]  # tenable's real record
    facts = _facts(item["input"]["error"])
    assert facts["principal_type"] == "AssumedRole"
    assert facts["session_issuer"] == "arn:aws:iam::123456789012:role/RscScpDisallow"
    assert facts["mfa_authenticated"] == "false"
    assert facts["credential_type"] == "temporary"  # ASIA...
    assert "federated_provider" not in facts  # webIdFederationData is {} there: nothing stated


def test_a_long_term_key_is_named_by_its_prefix_and_never_echoed() -> None:
    item = AWS_PAYLOADS["cloudtrail-record-ec2-createkeypair-clause-plus-encoded-message"]
    error = item["input"]["error"]
    facts = _facts(error)
    assert facts["principal_type"] == "IAMUser"
    assert facts["credential_type"] == "long-term"
    assert "AKIASZSTLCAWF4CPBKMF" not in json.dumps(facts)


def test_an_assume_role_record_gives_the_request_session_tags_and_external_id() -> None:
    facts = _facts(ROLE_CHAINING)
    assert facts["source_identity"] == "John"
    assert facts["session_name"] == "Role2WithTags"
    assert facts["external_id"] == "Unique-ID-Assigned-by-Example-Corp"
    assert facts["session_tags"] == "Email=johndoe@example.com (transitive), CostCenter=12345"
    assert facts["session_issuer"] == "arn:aws:iam::111111111111:role/JohnRole1"


def test_a_service_acting_for_the_caller_and_a_federated_session_are_named() -> None:
    # source: synthetic (the fields as the CloudTrail userIdentity reference shows them)
    record = copy.deepcopy(ROLE_CHAINING)
    record["eventName"] = "GetObject"
    record["eventSource"] = "s3.amazonaws.com"
    record["userIdentity"]["invokedBy"] = "athena.amazonaws.com"
    record["userIdentity"]["sessionContext"]["webIdFederationData"] = {
        "federatedProvider": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    }
    facts = _facts(record)
    assert facts["invoked_by"] == "athena.amazonaws.com"
    assert facts["federated_provider"].endswith("oidc-provider/token.actions.githubusercontent.com")
    assert "session_tags" not in facts and "external_id" not in facts  # only an AssumeRole's request has them


def test_hostile_identity_fields_are_bounded_stripped_and_ignored_when_malformed() -> None:
    record = copy.deepcopy(ROLE_CHAINING)
    record["userIdentity"]["sessionContext"]["sourceIdentity"] = "x" * 100_000
    record["userIdentity"]["sessionContext"]["sessionIssuer"] = ["not", "an", "object"]
    record["userIdentity"]["sessionContext"]["attributes"] = {"mfaAuthenticated": "maybe"}
    record["requestParameters"]["tags"] = [{"key": f"k{i}\x1b[2J", "value": "v"} for i in range(1000)]
    facts = _facts(record)
    assert len(facts["source_identity"]) <= 256
    assert "session_issuer" not in facts and "mfa_authenticated" not in facts
    assert "\x1b" not in facts["session_tags"] and len(facts["session_tags"]) <= 256


def test_a_gcp_audit_entry_names_the_key_that_authenticated() -> None:
    facts = _facts(GCP_KEY_DENIED)
    assert facts["service_account_key"].endswith("/keys/a0064fe0ef82b9e256b8b093d927ee842a19da34")
    assert "impersonation_chain" not in facts


def test_a_gcp_impersonation_chain_runs_from_the_first_caller_to_the_account_used() -> None:
    entry = copy.deepcopy(GCP_KEY_DENIED)
    entry["protoPayload"]["authenticationInfo"] = DELEGATED
    facts = _facts(entry)
    assert facts["principal"] == "glean-admin@customer-project.iam.gserviceaccount.com"
    assert facts["impersonation_chain"] == (  # the engineer first: the entry lists the original caller last
        "named-engineer@glean.com -> glean-admin-877ca5f02f2728a17b@glean-admin-provisioning.iam.gserviceaccount.com"
        " -> glean-admin@customer-project.iam.gserviceaccount.com"
    )
