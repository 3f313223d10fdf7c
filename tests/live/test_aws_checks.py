"""AWS live checks: outcomes from stubbed STS and IAM (botocore's Stubber), and from a dead endpoint.

No test reaches AWS. The Stubber checks each request's parameters against the real service
model, so a check that calls an API wrongly fails here. Responses follow the shapes in the STS
and IAM API references; their values are made up (`source: synthetic`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from adapters.registry import diagnose
from api.live.aws import client_config, run_aws_checks

ROOT = Path(__file__).resolve().parents[2]
# The example of AWS's announcement of policy ARNs in denial messages.
SCP = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/Matt "
    "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* with an explicit deny "
    "in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)


def _payload(payload_id: str) -> str:
    for path in sorted((ROOT / "tests" / "adapters" / "aws").glob("payloads*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            if item["id"] == payload_id:
                return str(item["input"]["error"])
    raise LookupError(payload_id)


class Stubs:
    """Real boto3 clients with Stubbers attached; `make_client` hands them to the checks."""

    def __init__(self) -> None:
        self.clients = {
            name: boto3.client(
                name, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x"
            )
            for name in ("sts", "iam", "organizations")
        }
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        for stub in self.stubs.values():
            stub.activate()
        self.calls: list[str] = []  # "sts:GetCallerIdentity", ... in the order the checks made them
        for name, client in self.clients.items():
            client.meta.events.register(
                "before-parameter-build.*.*",
                lambda model, name=name, **_: self.calls.append(f"{name}:{model.name}"),
            )

    def make_client(self, service: str) -> Any:
        return self.clients[service]

    def done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def _facts(text: str) -> tuple[dict[str, Any], str | None]:
    diagnosis = diagnose(text)
    return dict(diagnosis.facts), diagnosis.reason


def test_scp_deny_is_simulated_and_names_the_matched_policy() -> None:
    facts, reason = _facts(SCP)
    stubs = Stubs()
    stubs.stubs["sts"].add_response(
        "get_caller_identity",
        {"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/Matt"},
    )
    stubs.stubs["iam"].add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [
                {
                    "EvalActionName": "iam:ListRoles",
                    "EvalDecision": "explicitDeny",
                    "MatchedStatements": [{"SourcePolicyId": "p-2kgnabcd", "SourcePolicyType": "none"}],
                    "OrganizationsDecisionDetail": {"AllowedByOrganizations": False},
                }
            ]
        },
        {
            "PolicySourceArn": "arn:aws:iam::123456789012:user/Matt",
            "ActionNames": ["iam:ListRoles"],
            "ResourceArns": ["arn:aws:iam::123456789012:role/*"],
        },
    )
    stubs.stubs["organizations"].add_client_error(  # run from a member account: not permitted
        "list_policies_for_target",
        service_error_code="AccessDeniedException",
        service_message="You don't have permissions to access this resource.",
        http_status_code=400,
    )
    identity, simulation, scps = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    assert scps.outcome == "not permitted" and scps.needs and "ListPoliciesForTarget" in scps.needs
    assert identity.outcome == "verified" and "the denied principal" in identity.summary
    assert simulation.outcome == "simulated"
    assert simulation.details["matched_statements"] == [{"SourcePolicyId": "p-2kgnabcd", "SourcePolicyType": "none"}]
    assert simulation.details["allowed_by_organizations"] is False
    assert "p-2kgnabcd" in simulation.summary


def test_an_encoded_message_is_decoded_into_facts() -> None:
    facts, reason = _facts(_payload("ec2-xml-unauthorizedoperation-encoded-message"))
    assert reason == "aws.authz.encoded_message" and facts["encoded_message"]
    decoded = {  # the documented shape of DecodedMessage; values synthetic
        "allowed": False,
        "explicitDeny": False,
        "matchedStatements": {"items": []},
        "failures": {"items": []},
        "context": {
            "principal": {"id": "AIDAEXAMPLE", "arn": "arn:aws:iam::123456789012:user/dev"},
            "action": "ec2:RunInstances",
            "resource": "arn:aws:ec2:us-east-1:123456789012:instance/*",
            "conditions": {"items": [{"key": "ec2:InstanceType", "values": {"items": [{"value": "t3.micro"}]}}]},
        },
    }
    decoded["matchedStatements"] = {
        "items": [
            {
                "statementId": "OnlySmallInstances",
                "effect": "DENY",
                "conditions": {"items": [{"key": "ec2:InstanceType", "values": {"items": [{"value": "m5.large"}]}}]},
            }
        ]
    }
    stubs = Stubs()
    stubs.stubs["sts"].add_response(
        "get_caller_identity",
        {
            "UserId": "AROAEXAMPLE:me",
            "Account": "123456789012",
            "Arn": "arn:aws:sts::123456789012:assumed-role/Admin/me",
        },
    )
    stubs.stubs["sts"].add_response(
        "decode_authorization_message",
        {"DecodedMessage": json.dumps(decoded)},
        {"EncodedMessage": facts["encoded_message"]},
    )
    results = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    decode = next(r for r in results if r.check == "sts decode-authorization-message")
    assert decode.outcome == "verified" and "implicit deny" in decode.summary
    assert decode.details["action"] == "ec2:RunInstances"
    assert decode.details["principal"] == "arn:aws:iam::123456789012:user/dev"
    # Ids, decision and condition key names; never the statement's text or the request's values.
    assert decode.details["condition_keys"] == ["ec2:InstanceType"]
    assert decode.details["matched_statements"] == [{"statement_id": "OnlySmallInstances", "effect": "DENY"}]
    assert "t3.micro" not in json.dumps(decode.to_json()) and "m5.large" not in json.dumps(decode.to_json())


def test_a_check_that_is_itself_denied_says_what_it_needs() -> None:
    facts, reason = _facts(SCP)
    stubs = Stubs()
    stubs.stubs["sts"].add_response(
        "get_caller_identity",
        {"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/Other"},
    )
    stubs.stubs["iam"].add_client_error(
        "simulate_principal_policy",
        service_error_code="AccessDenied",
        service_message="User: arn:aws:iam::123456789012:user/Other is not authorized to perform: "
        "iam:SimulatePrincipalPolicy on resource: user Matt because no identity-based policy allows the "
        "iam:SimulatePrincipalPolicy action",
        http_status_code=403,
    )
    stubs.stubs["organizations"].add_client_error(
        "list_policies_for_target", service_error_code="AccessDeniedException", http_status_code=400
    )
    identity, simulation, _ = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    assert identity.outcome == "contradicted" and "user/Other" in identity.summary
    assert simulation.outcome == "not permitted"
    assert simulation.needs == "iam:SimulatePrincipalPolicy"
    assert simulation.denial_reason == "aws.authz.implicit_deny.identity_policy"


def test_an_unreachable_endpoint_is_unavailable_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    facts, reason = _facts(SCP)
    clients = {
        name: boto3.client(
            name,
            region_name="us-east-1",
            endpoint_url="http://127.0.0.1:9",  # nothing listens on the discard port
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="x",
            config=client_config(1.0),
        )
        for name in ("sts", "iam", "organizations")
    }
    started = time.monotonic()
    results = run_aws_checks(facts, reason, make_client=clients.__getitem__)
    assert [r.outcome for r in results] == ["unavailable"] * 3
    assert time.monotonic() - started < 10


def test_explain_live_keeps_the_offline_diagnosis_when_aws_is_unreachable(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "api.cli", "explain", "--json", "--live", "--live-timeout", "1"],
        input=SCP, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    response = json.loads(run.stdout)
    assert response["reason"] == "aws.authz.explicit_deny.scp" and response["guidance"]["fix"]
    assert [check["outcome"] for check in response["live"]] == ["unavailable"] * 3
    assert time.monotonic() - started < 30


# A real cross-account AssumeRole denial (nccgroup/aws-inventory#34), in the AWS payload corpus:
# the caller is in 123456789012, the role in 210987654321.
ASSUME = "botocore-sts-assumerole-cross-account-denied"
ROLE_ACCOUNT = "210987654321"


def _get_role(stubs: Stubs, role_arn: str, trust: dict[str, Any]) -> None:
    role = role_arn.rsplit("/", 1)[-1]
    stubs.stubs["iam"].add_response(
        "get_role",
        {
            "Role": {
                "Path": "/", "RoleName": role, "RoleId": "AROAEXAMPLEEXAMPLE1", "Arn": role_arn,
                "CreateDate": "2026-01-01T00:00:00Z", "AssumeRolePolicyDocument": json.dumps(trust),
            }
        },
        {"RoleName": role},
    )  # fmt: skip


def _identity(stubs: Stubs, account: str, name: str = "user/admin") -> None:
    stubs.stubs["sts"].add_response(
        "get_caller_identity", {"UserId": "AIDAEXAMPLE", "Account": account, "Arn": f"arn:aws:iam::{account}:{name}"}
    )


@pytest.mark.parametrize("on_server", [True, False])
def test_a_role_in_another_account_is_refused_without_reading_a_role(on_server: bool) -> None:
    # Credentials of the caller's account: iam:GetRole would read *this* account's role of that name.
    facts, reason = _facts(_payload(ASSUME))
    assert reason == "aws.authz.assume_role_denied"
    stubs = Stubs()
    _identity(stubs, "123456789012", "user/aws-user")  # no GetRole queued: the Stubber fails any call
    identity, trust_check = run_aws_checks(facts, reason, make_client=stubs.make_client, on_server=on_server)
    stubs.done()
    assert stubs.calls == ["sts:GetCallerIdentity"]
    assert identity.outcome == "verified"
    assert trust_check.outcome == "refused"
    assert trust_check.summary.startswith(
        f"The role is in account {ROLE_ACCOUNT}, not in these credentials' account 123456789012: not checked"
    )
    assert ("--profile" in trust_check.summary) is not on_server  # the CLI says how to check it after all
    assert trust_check.details == {"target_account": ROLE_ACCOUNT, "credentials_account": "123456789012"}


def test_the_role_owner_gets_a_verdict_not_the_trust_policy() -> None:
    facts, reason = _facts(_payload(ASSUME))
    stubs = Stubs()
    _identity(stubs, ROLE_ACCOUNT)  # the role's own account reads the denial a partner sent
    trust = {  # synthetic: trusts another account only
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    _get_role(stubs, str(facts["resource"]), trust)
    identity, trust_check = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    assert identity.outcome == "contradicted"  # the server's (or the owner's) identity, not the denied caller
    assert trust_check.outcome == "verified" and "names no principal matching" in trust_check.summary
    assert trust_check.details["trusts_caller"] is False and trust_check.details["denies_caller"] is False
    assert "444455556666" not in json.dumps(trust_check.to_json())  # no part of the document


def test_a_conditional_trust_names_the_condition_keys_never_the_external_id() -> None:
    facts, reason = _facts(_payload(ASSUME))
    stubs = Stubs()
    _identity(stubs, ROLE_ACCOUNT)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "s3cr3t-external-id-0451"}},
            }
        ],
    }
    _get_role(stubs, str(facts["resource"]), trust)
    _, trust_check = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    assert trust_check.outcome == "verified" and "sts:ExternalId" in trust_check.summary
    assert trust_check.details["trusts_caller"] == "conditional"
    assert trust_check.details["condition_keys"] == ["sts:ExternalId"]
    assert "s3cr3t-external-id-0451" not in json.dumps(trust_check.to_json())
    assert "trust_policy" not in trust_check.details


# A principal in another account (no SCP involved): the simulator would be asked about a stranger.
FOREIGN_PRINCIPAL = (
    "An error occurred (AccessDenied) when calling the GetObject operation: User: arn:aws:iam::999999999999:user/x "
    "is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::some-bucket/key because no "
    "identity-based policy allows the s3:GetObject action"
)
# Our principal, another account's queue.
FOREIGN_RESOURCE = (
    "An error occurred (AccessDenied) when calling the SendMessage operation: User: arn:aws:iam::123456789012:user/dev "
    "is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:999999999999:orders because "
    "no identity-based policy allows the sqs:SendMessage action"
)


@pytest.mark.parametrize(("text", "noun"), [(FOREIGN_PRINCIPAL, "principal"), (FOREIGN_RESOURCE, "resource")])
def test_simulating_for_another_account_is_refused(text: str, noun: str) -> None:
    facts, reason = _facts(text)
    stubs = Stubs()
    _identity(stubs, "123456789012")
    _, simulation = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    assert stubs.calls == ["sts:GetCallerIdentity"]  # no SimulatePrincipalPolicy
    assert simulation.outcome == "refused"
    assert simulation.summary.startswith(f"The {noun} is in account 999999999999, not in these credentials' account")


def test_without_the_credentials_account_no_other_check_runs() -> None:
    facts, reason = _facts(SCP)
    stubs = Stubs()
    stubs.stubs["sts"].add_client_error("get_caller_identity", service_error_code="ExpiredToken", http_status_code=403)
    results = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    assert stubs.calls == ["sts:GetCallerIdentity"]
    assert [r.outcome for r in results] == ["unavailable"] * 3
    assert "account is unknown" in results[1].summary


def test_an_scp_denial_names_the_scps_on_the_account() -> None:
    facts, reason = _facts(SCP)
    stubs = Stubs()
    stubs.stubs["sts"].add_response(
        "get_caller_identity",
        {"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/Matt"},
    )
    stubs.stubs["iam"].add_client_error(
        "simulate_principal_policy", service_error_code="AccessDenied", service_message="denied", http_status_code=403
    )
    stubs.stubs["organizations"].add_response(
        "list_policies_for_target",
        {
            "Policies": [
                {
                    "Id": "p-2kgnabcd", "Arn": str(facts["policy_arn"]), "Name": "DenyIamReads",
                    "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False,
                }
            ]
        },
        {"TargetId": "123456789012", "Filter": "SERVICE_CONTROL_POLICY"},
    )  # fmt: skip
    *_, scps = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    assert scps.outcome == "verified"
    assert "DenyIamReads (p-2kgnabcd) is attached to account 123456789012" in scps.summary


def test_another_accounts_scps_are_refused_on_a_server() -> None:
    facts, reason = _facts(SCP)  # account 123456789012; the server runs in the management account
    stubs = Stubs()
    _identity(stubs, "987654321098", "user/whydenied-server")
    _, simulation, scps = run_aws_checks(facts, reason, make_client=stubs.make_client)
    stubs.done()
    assert stubs.calls == ["sts:GetCallerIdentity"]  # neither SimulatePrincipalPolicy nor ListPoliciesForTarget
    assert simulation.outcome == scps.outcome == "refused"
    assert scps.summary.startswith("Account 123456789012 is not these credentials' account 987654321098")


def test_the_cli_lists_another_accounts_scps_and_says_whose_credentials_did() -> None:
    facts, reason = _facts(SCP)
    stubs = Stubs()
    _identity(stubs, "987654321098")  # the user's management-account profile
    stubs.stubs["organizations"].add_response(
        "list_policies_for_target",
        {"Policies": []},
        {"TargetId": "123456789012", "Filter": "SERVICE_CONTROL_POLICY"},
    )
    _, simulation, scps = run_aws_checks(facts, reason, make_client=stubs.make_client, on_server=False)
    stubs.done()
    assert stubs.calls == ["sts:GetCallerIdentity", "organizations:ListPoliciesForTarget"]
    assert simulation.outcome == "refused"  # Matt's policies live in 123456789012: simulate there
    assert scps.outcome == "verified" and "listed with the credentials of account 987654321098" in scps.summary
