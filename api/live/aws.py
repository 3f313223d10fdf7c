"""AWS live checks with boto3: who am I, decode the encoded message, simulate the denied call.

Read-only calls only: sts:GetCallerIdentity (needs no permission), sts:DecodeAuthorizationMessage
and iam:SimulatePrincipalPolicy (each needs its own permission; when denied, the check says so
and whydenied reads that denial too). Clients get short connect/read timeouts and no retries, so
an unreachable endpoint costs one timeout per check, never a hang.

Every check that names an account (the role an AssumeRole targeted, the principal simulated, the
resource, the account whose SCPs are listed) runs only in the credentials' own account, as
GetCallerIdentity reports it; any other is `refused` without a call. The answer would be about
the wrong account (iam:GetRole finds a same-named role of *this* account), and on a server the
paste would steer the server's credentials (a confused deputy). Results carry verdicts, ids and
condition key names, never a policy document or a condition's value (an ExternalId is a secret).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

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


TRUST_CHECK: Final = "iam get-role (trust policy)"
SIMULATE_CHECK: Final = "iam simulate-principal-policy"
SCP_CHECK: Final = "organizations list-policies-for-target"


def run_aws_checks(
    facts: Mapping[str, Any],
    reason: str | None,
    *,
    profile: str | None = None,
    region: str | None = None,
    timeout: float = 5.0,
    make_client: Callable[[str], Any] | None = None,
    on_server: bool = True,
) -> list[CheckResult]:
    """Run the checks the facts allow; `make_client(service)` is for tests (botocore Stubber).

    `on_server` (the safe default) means the credentials are the server's, not the user's: then
    SCPs are listed for the server's own account only. With the user's own credentials (the CLI)
    a management account may list them for a member account, and the summary says whose they are.
    """
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
    identity = _caller_identity(sts, facts)
    results = [identity]
    own = str(identity.details["account_id"]) if identity.details.get("account_id") else None
    if facts.get("encoded_message"):  # AWS decodes a message only for the account it was made in
        results.append(_decode(sts, str(facts["encoded_message"]), reason))
    if reason == "aws.authz.assume_role_denied" and facts.get("resource_role_name"):
        role = str(facts.get("resource") or "")
        refusal = _refusal(TRUST_CHECK, own, [("role", _arn_account(role))], on_server)
        results.append(refusal or _trust_policy(make_client("iam"), str(facts["resource_role_name"]), facts))
        return results  # the simulator speaks for identity policies; here the trust policy decides
    source = facts.get("role_arn") or _user_arn(facts.get("principal"))
    if source and facts.get("action"):
        targets = [("principal", _arn_account(str(source)))]
        resource_account = _arn_account(str(facts.get("resource") or ""))
        if resource_account:  # S3 and a few others carry no account in their ARNs
            targets.append(("resource", resource_account))
        refusal = _refusal(SIMULATE_CHECK, own, targets, on_server)
        results.append(refusal or _simulate(make_client("iam"), str(source), facts, reason))
    if reason and reason.endswith(".scp") and facts.get("account_id"):
        account = str(facts["account_id"])
        # A management account may list a member's SCPs; only the user may point their own credentials there.
        refusal = _refusal(SCP_CHECK, own, [("account", account)] if on_server else [], on_server)
        results.append(refusal or _account_scps(make_client("organizations"), account, facts, str(own)))
    return results


def _arn_account(arn: str) -> str:
    """Return the account field of an ARN (arn:partition:service:region:account:resource), or ''."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" else ""


def _refusal(check: str, own: str | None, targets: list[tuple[str, str]], on_server: bool) -> CheckResult | None:
    """Return why the check must not run (unknown own account, a target elsewhere), or None to run it."""
    if own is None:
        return CheckResult(
            check, "unavailable", "Not checked: the credentials' own account is unknown (GetCallerIdentity failed)."
        )
    for noun, account in targets:
        if account == own:
            continue
        how = "a server checks only its own account" if on_server else "use that account's credentials: --profile"
        if noun == "account":
            said = f"Account {account} is not these credentials' account {own}"
        elif account:
            said = f"The {noun} is in account {account}, not in these credentials' account {own}"
        else:
            said = f"The {noun} names no account, so it may not be in these credentials' account {own}"
        return CheckResult(
            check,
            "refused",
            f"{said}: not checked ({how}).",
            {"target_account": account or None, "credentials_account": own},
        )
    return None


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
        # Statement ids and condition key names: the statements' text and the request's values stay out.
        details = {
            "allowed": bool(decoded.get("allowed")),
            "explicit_deny": explicit,
            "matched_statements": [
                {"statement_id": item.get("statementId"), "effect": item.get("effect")}
                for item in _items(decoded.get("matchedStatements"))
            ],
            "principal": context.get("principal", {}).get("arn"),
            "action": context.get("action"),
            "resource": context.get("resource"),
            "condition_keys": sorted({str(item["key"]) for item in _items(context.get("conditions")) if "key" in item}),
        }
        kind = "an explicit deny" if explicit else "no policy allowing it (implicit deny)"
        decision = "explicitDeny" if explicit else "implicitDeny"
        outcome: Outcome = "verified" if agrees(reason, decision) else "contradicted"
        return CheckResult("sts decode-authorization-message", outcome, f"AWS says: denied by {kind}.", details)

    return _guarded("sts decode-authorization-message", "sts:DecodeAuthorizationMessage", call)


def _items(listing: Any) -> list[dict[str, Any]]:
    """Return the dicts of a decoded message's `{"items": [...]}` list."""
    items = listing.get("items", []) if isinstance(listing, dict) else []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


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
        return CheckResult(SIMULATE_CHECK, outcome, summary, details)

    return _guarded(SIMULATE_CHECK, "iam:SimulatePrincipalPolicy", call)


def _trust_policy(iam: Any, role_name: str, facts: Mapping[str, Any]) -> CheckResult:
    """Read the role's trust policy and tell whether it trusts the denied caller, and on which condition keys."""

    def call() -> CheckResult:
        document = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
        if isinstance(document, str):  # the raw API URL-encodes it; boto3 usually decodes it already
            from urllib.parse import unquote

            document = json.loads(unquote(document))
        caller = str(facts.get("principal") or "")
        trusting = [s for s in _statements(document) if s.get("Effect") == "Allow" and _trusts(s, caller, facts)]
        denying = [s for s in _statements(document) if s.get("Effect") == "Deny" and _trusts(s, caller, facts)]
        unconditional = [s for s in trusting if not s.get("Condition")]
        # The verdict and the condition keys, never the document: its values (an ExternalId) are secrets.
        keys = sorted({str(key) for s in trusting for key in _condition_keys(s)})
        trusts: bool | str = False if denying or not trusting else (True if unconditional else "conditional")
        details = {
            "role": role_name,
            "caller": caller or None,
            "trusts_caller": trusts,
            "denies_caller": bool(denying),
            "condition_keys": keys if trusts == "conditional" else [],
        }
        if denying:
            summary = "The trust policy explicitly denies this caller."
            return CheckResult(TRUST_CHECK, "verified", summary, details)
        if not trusting:
            summary = f"The trust policy of {role_name} names no principal matching {caller or 'the caller'}."
            return CheckResult(TRUST_CHECK, "verified", summary, details)
        if not unconditional:
            summary = (
                f"The trust policy trusts this caller only under conditions on {', '.join(keys) or 'the request'}: "
                "check that the call supplies them (an ExternalId, a web identity's sub and aud)."
            )
            return CheckResult(TRUST_CHECK, "verified", summary, details)
        summary = (
            "The trust policy trusts this caller without conditions: the denial comes from elsewhere "
            "(the caller's own sts:AssumeRole permission, an SCP, or a session policy)."
        )
        return CheckResult(TRUST_CHECK, "contradicted", summary, details)

    return _guarded(TRUST_CHECK, "iam:GetRole", call)


def _condition_keys(statement: Mapping[str, Any]) -> list[str]:
    """Return the keys a statement's Condition tests ({"StringEquals": {"sts:ExternalId": ...}})."""
    condition = statement.get("Condition")
    blocks = condition.values() if isinstance(condition, dict) else []
    return [key for block in blocks if isinstance(block, dict) for key in block]


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


def _account_scps(organizations: Any, account_id: str, facts: Mapping[str, Any], own: str) -> CheckResult:
    """Name the SCPs attached directly to the account; say whether the message's policy is one."""

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
        details: dict[str, Any] = {"account_id": account_id, "attached_scps": policies, "credentials_account": own}
        listing = ", ".join(f"{p['name']} ({p['id']})" for p in policies) or "none"
        # Only the CLI lists another account's SCPs (from the management account): say whose credentials did.
        whose = "" if account_id == own else f" (listed with the credentials of account {own})"
        if not named:
            return CheckResult(
                SCP_CHECK, "verified", f"SCPs attached to account {account_id}{whose}: {listing}.", details
            )
        match = next((p for p in policies if p["arn"] == named or (p["id"] and named.endswith("/" + p["id"]))), None)
        if match:
            summary = f"The denying SCP {match['name']} ({match['id']}) is attached to account {account_id}{whose}."
        else:
            # Not on the account itself: SCPs also apply from every OU above it and from the root.
            summary = (
                f"The denying SCP is not attached to account {account_id} directly{whose} ({listing}); "
                "look on its OUs and the root (list-parents, then list-policies-for-target on each)."
            )
        return CheckResult(SCP_CHECK, "verified", summary, details)

    return _guarded(SCP_CHECK, "organizations:ListPoliciesForTarget (management or delegated admin account)", call)
