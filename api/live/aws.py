"""AWS live checks with boto3: who am I, decode the encoded message, simulate the denied call.

Read-only calls only: sts:GetCallerIdentity (needs no permission), sts:DecodeAuthorizationMessage
and iam:SimulatePrincipalPolicy (each needs its own permission; when denied, the check says so
and whydenied reads that denial too). Clients get short connect/read timeouts and no retries, so
an unreachable endpoint costs one timeout per check, never a hang.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from adapters.derived import derived_facts
from adapters.registry import diagnose
from api.live.outcome import CheckResult, Outcome, agrees

_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def client_config(timeout: float) -> Config:
    """Return the botocore config every live check uses: bounded, one attempt."""
    return Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1, "mode": "standard"})


def run_aws_checks(
    facts: Mapping[str, Any],
    reason: str | None,
    *,
    profile: str | None = None,
    region: str | None = None,
    timeout: float = 5.0,
    make_client: Callable[[str], Any] | None = None,
) -> list[CheckResult]:
    """Run the checks the facts allow; `make_client(service)` is for tests (botocore Stubber)."""
    if make_client is None:
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
        except BotoCoreError as exc:  # an unknown profile, for instance
            return [CheckResult("aws credentials", "unavailable", f"No AWS session: {exc}")]
        config = client_config(timeout)
        # IAM and STS answer in any region; a profile without one should not stop the checks.
        chosen_region = session.region_name or "us-east-1"

        def make_client(service: str) -> Any:
            return session.client(service, config=config, region_name=chosen_region)

    facts = {**derived_facts(facts), **facts}  # role_arn behind a session, the role an AssumeRole targeted
    sts = make_client("sts")
    results = [_caller_identity(sts, facts)]
    if facts.get("encoded_message"):
        results.append(_decode(sts, str(facts["encoded_message"]), reason))
    if reason == "aws.authz.assume_role_denied" and facts.get("resource_role_name"):
        results.append(_trust_policy(make_client("iam"), str(facts["resource_role_name"]), facts))
        return results  # the simulator speaks for identity policies; here the trust policy decides
    source = facts.get("role_arn") or _user_arn(facts.get("principal"))
    if source and facts.get("action"):
        results.append(_simulate(make_client("iam"), str(source), facts, reason))
    if reason and reason.endswith(".scp") and facts.get("account_id"):
        results.append(_account_scps(make_client("organizations"), str(facts["account_id"]), facts))
    return results


def _user_arn(principal: Any) -> str | None:
    text = str(principal or "")
    return text if text.startswith("arn:aws") and (":user/" in text or ":role/" in text) else None


def _guarded(check: str, needs: str | None, call: Callable[[], CheckResult]) -> CheckResult:
    """Run one check; turn a denial or an outage into its outcome instead of an exception."""
    try:
        return call()
    except NoCredentialsError:
        return CheckResult(check, "unavailable", "No AWS credentials found (environment, profile or instance role).")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _DENIED_CODES:
            reading = diagnose(str(exc), provider="aws")
            return CheckResult(
                check,
                "not permitted",
                f"The check itself was denied ({code}); it needs {needs}.",
                needs=needs,
                denial_reason=reading.reason,
            )
        return CheckResult(check, "unavailable", f"The call failed: {code or type(exc).__name__}.")
    except BotoCoreError as exc:  # endpoint unreachable, timeouts, bad region ...
        return CheckResult(check, "unavailable", f"The call did not complete: {type(exc).__name__}.")


def _caller_identity(sts: Any, facts: Mapping[str, Any]) -> CheckResult:
    def call() -> CheckResult:
        identity = sts.get_caller_identity()
        arn = str(identity.get("Arn", ""))
        denied = str(facts.get("principal") or "")
        details = {"arn": arn, "account_id": identity.get("Account")}
        if not denied:
            return CheckResult("sts get-caller-identity", "verified", f"These credentials are {arn}.", details)
        if _same_principal(arn, denied, facts.get("role_arn")):
            return CheckResult(
                "sts get-caller-identity", "verified", f"These credentials are the denied principal ({arn}).", details
            )
        return CheckResult(
            "sts get-caller-identity",
            "contradicted",
            f"These credentials are {arn}, not the denied {denied}: checks below speak for this identity.",
            details,
        )

    return _guarded("sts get-caller-identity", None, call)


def _same_principal(caller: str, denied: str, role_arn: Any) -> bool:
    if caller == denied:
        return True
    # arn:aws:sts::1:assumed-role/Role/session-a vs the same role in another session, or vs the role
    role = str(role_arn or "")
    caller_role = caller.split(":assumed-role/", 1)[1].split("/", 1)[0] if ":assumed-role/" in caller else None
    return bool(role and caller_role and role.rsplit("/", 1)[-1] == caller_role)


def _decode(sts: Any, encoded: str, reason: str | None) -> CheckResult:
    def call() -> CheckResult:
        decoded = json.loads(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
        context = decoded.get("context", {})
        explicit = bool(decoded.get("explicitDeny"))
        details = {
            "allowed": bool(decoded.get("allowed")),
            "explicit_deny": explicit,
            "matched_statements": decoded.get("matchedStatements", {}).get("items", []),
            "principal": context.get("principal", {}).get("arn"),
            "action": context.get("action"),
            "resource": context.get("resource"),
            "conditions": context.get("conditions", {}).get("items", []),
        }
        kind = "an explicit deny" if explicit else "no policy allowing it (implicit deny)"
        decision = "explicitDeny" if explicit else "implicitDeny"
        outcome: Outcome = "verified" if agrees(reason, decision) else "contradicted"
        return CheckResult("sts decode-authorization-message", outcome, f"AWS says: denied by {kind}.", details)

    return _guarded("sts decode-authorization-message", "sts:DecodeAuthorizationMessage", call)


def _simulate(iam: Any, source: str, facts: Mapping[str, Any], reason: str | None) -> CheckResult:
    def call() -> CheckResult:
        request: dict[str, Any] = {"PolicySourceArn": source, "ActionNames": [str(facts["action"])]}
        if str(facts.get("resource") or "").startswith("arn:"):
            request["ResourceArns"] = [str(facts["resource"])]
        result = iam.simulate_principal_policy(**request)["EvaluationResults"][0]
        decision = str(result.get("EvalDecision"))
        details = {
            "policy_source": source,
            "decision": decision,
            "matched_statements": [
                {key: statement.get(key) for key in ("SourcePolicyId", "SourcePolicyType")}
                for statement in result.get("MatchedStatements", [])
            ],
            "allowed_by_organizations": result.get("OrganizationsDecisionDetail", {}).get("AllowedByOrganizations"),
            "allowed_by_permissions_boundary": result.get("PermissionsBoundaryDecisionDetail", {}).get(
                "AllowedByPermissionsBoundary"
            ),
        }
        named = ", ".join(s["SourcePolicyId"] or "?" for s in details["matched_statements"]) or "no statement"
        summary = f"The IAM policy simulator says {decision} for {facts['action']} (matched: {named})."
        if decision == "allowed":
            summary += " The identity's policies allow it: look at layers the simulator does not see."
        outcome: Outcome = "simulated" if agrees(reason, decision) else "contradicted"
        return CheckResult("iam simulate-principal-policy", outcome, summary, details)

    return _guarded("iam simulate-principal-policy", "iam:SimulatePrincipalPolicy", call)


def _trust_policy(iam: Any, role_name: str, facts: Mapping[str, Any]) -> CheckResult:
    """Read the role's trust policy and tell whether it trusts the denied caller, and on what conditions."""

    def call() -> CheckResult:
        document = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
        if isinstance(document, str):  # the raw API URL-encodes it; boto3 usually decodes it already
            from urllib.parse import unquote

            document = json.loads(unquote(document))
        caller = str(facts.get("principal") or "")
        trusting = [s for s in _statements(document) if s.get("Effect") == "Allow" and _trusts(s, caller, facts)]
        denying = [s for s in _statements(document) if s.get("Effect") == "Deny" and _trusts(s, caller, facts)]
        details = {"role": role_name, "caller": caller or None, "trust_policy": document}
        if denying:
            summary = "The trust policy explicitly denies this caller."
            return CheckResult("iam get-role (trust policy)", "verified", summary, details)
        if not trusting:
            summary = f"The trust policy of {role_name} names no principal matching {caller or 'the caller'}."
            return CheckResult("iam get-role (trust policy)", "verified", summary, details)
        conditions = [s["Condition"] for s in trusting if s.get("Condition")]
        if conditions:
            details["conditions"] = conditions
            summary = "The trust policy trusts this caller only under conditions (check sub/aud/ExternalId)."
            return CheckResult("iam get-role (trust policy)", "verified", summary, details)
        summary = (
            "The trust policy trusts this caller without conditions: the denial comes from elsewhere "
            "(the caller's own sts:AssumeRole permission, an SCP, or a session policy)."
        )
        return CheckResult("iam get-role (trust policy)", "contradicted", summary, details)

    return _guarded("iam get-role (trust policy)", "iam:GetRole", call)


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _trusts(statement: Mapping[str, Any], caller: str, facts: Mapping[str, Any]) -> bool:
    """Tell whether the statement's Principal covers the caller (ARN, its role, its account, or *)."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    named: list[str] = []
    for value in principal.values():
        named += value if isinstance(value, list) else [value]
    account = caller.split(":")[4] if caller.count(":") >= 5 else ""
    candidates = {caller, str(facts.get("role_arn") or ""), f"arn:aws:iam::{account}:root", account, "*"} - {""}
    # Web identity: the statement names the provider; the caller is then the federated user.
    if "Federated" in principal and "sts:AssumeRoleWithWebIdentity" in str(facts.get("action") or ""):
        return True
    return any(str(name) in candidates for name in named)


def _account_scps(organizations: Any, account_id: str, facts: Mapping[str, Any]) -> CheckResult:
    """Name the SCPs attached directly to the account; say whether the message's policy is one."""
    check = "organizations list-policies-for-target"

    def call() -> CheckResult:
        pages = organizations.get_paginator("list_policies_for_target").paginate(
            TargetId=account_id, Filter="SERVICE_CONTROL_POLICY"
        )
        policies = [
            {"id": policy.get("Id"), "name": policy.get("Name"), "arn": policy.get("Arn")}
            for page in pages
            for policy in page.get("Policies", [])
        ]
        named = str(facts.get("policy_arn") or "")
        details: dict[str, Any] = {"account_id": account_id, "attached_scps": policies}
        listing = ", ".join(f"{p['name']} ({p['id']})" for p in policies) or "none"
        if not named:
            return CheckResult(check, "verified", f"SCPs attached to account {account_id}: {listing}.", details)
        match = next((p for p in policies if p["arn"] == named or (p["id"] and named.endswith("/" + p["id"]))), None)
        if match:
            summary = f"The denying SCP {match['name']} ({match['id']}) is attached to account {account_id}."
        else:
            # Not on the account itself: SCPs also apply from every OU above it and from the root.
            summary = (
                f"The denying SCP is not attached to account {account_id} directly ({listing}); "
                "look on its OUs and the root (list-parents, then list-policies-for-target on each)."
            )
        return CheckResult(check, "verified", summary, details)

    return _guarded(check, "organizations:ListPoliciesForTarget (management or delegated admin account)", call)
