"""Every rendered command, for every fixture payload, held to the real CLIs, shellcheck and the
semantic checks (issue 13's "Done when").

The corpus is every item of tests/adapters/*/payloads*.yaml and every content entry's examples, diagnosed
as the API does. The threshold tests hold every entry, present and future, to the issue's limits. The
checker's own tests below them show each check catches what it is for (and lets the right command through).

The CLI checks need awscli (a dev dependency, in .venv) and gcloud (Debian's google-cloud-cli), the
lint needs shellcheck (Debian); .ci/run installs the Debian ones. Where one is missing locally, the
tests that need it skip and say so; CI has them all. They run once per CI run, in the SQLite pass.
`python -m tests.commands.report` prints the numbers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from api.catalog import Catalog
from tests.commands import checks, clis, semantic, shell, shellcheck
from tests.commands.corpus import Rendered, cases, corpus

# Rendering touches no database: CI's second pass (the suite on PostgreSQL) would repeat the same minute.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("WHYDENIED_DATABASE_URL")), reason="no database involved: checked in the SQLite pass"
)


@pytest.fixture(scope="module")
def outcome() -> checks.Outcome:
    """Every check over the whole corpus, once for this module (about a minute with the CLIs)."""
    return checks.run()


def _hold(outcome: checks.Outcome, name: str) -> None:
    needs = checks.BY_NAME[name].needs
    if needs and needs in outcome.skipped:
        pytest.skip(outcome.skipped[needs])
    count = checks.measure(outcome, name)
    shown = "\n".join(f"  {item.where} [{item.source}]: {reason}" for item, reason in checks.examples(outcome, name))
    limit = f"{count.measure.limit:.0%}" if count.measure.fraction else str(int(count.measure.limit))
    message = (
        f"{count.measure.label}: {count.failing} of {count.total} rendered commands ({count.share:.1%}; "
        f"limit {limit}), {count.distinct} distinct; most from {dict(count.entries.most_common(5))}\n{shown}"
    )
    assert count.passes, message


# --- the "Done when" ----------------------------------------------------------------------


def test_the_corpus_is_every_fixture_payload(catalog: Catalog, outcome: checks.Outcome) -> None:
    found = cases(catalog)
    assert sum(1 for case in found if case.source.startswith("tests/adapters/")) >= 680
    assert sum(1 for case in found if case.source.startswith("content:")) >= 100
    assert len(outcome.rendered) >= 2000  # a guard: a rendering change that drops the commands shows here


def test_no_command_is_refused_by_the_aws_cli(outcome: checks.Outcome) -> None:
    _hold(outcome, "refused_aws")


def test_no_command_is_refused_by_gcloud(outcome: checks.Outcome) -> None:
    _hold(outcome, "refused_gcloud")


def test_no_command_is_refused_by_az(outcome: checks.Outcome) -> None:
    _hold(outcome, "refused_az")


def test_no_shellcheck_error_or_warning(outcome: checks.Outcome) -> None:
    _hold(outcome, "shellcheck")


def test_grants_and_resource_policies_act_on_the_service_that_denied(outcome: checks.Outcome) -> None:
    _hold(outcome, "service")


def test_no_credential_in_argv_or_to_a_host_the_paste_did_not_name(outcome: checks.Outcome) -> None:
    _hold(outcome, "credential")


def test_no_value_to_fill_in_for_a_stated_or_derivable_fact(outcome: checks.Outcome) -> None:
    _hold(outcome, "known_placeholder")


def test_at_most_15_percent_of_commands_have_a_value_to_fill_in(outcome: checks.Outcome) -> None:
    _hold(outcome, "unfilled")


def test_no_angle_bracket_placeholder_in_a_command(outcome: checks.Outcome) -> None:
    _hold(outcome, "placeholder")


def test_whole_policy_writes_read_and_merge_first_and_inline_names_differ(outcome: checks.Outcome) -> None:
    _hold(outcome, "unsafe")


def test_commands_fit_the_kind_of_principal(outcome: checks.Outcome) -> None:
    _hold(outcome, "principal")


def test_every_state_change_is_marked(outcome: checks.Outcome) -> None:
    _hold(outcome, "unmarked_change")


def test_granted_gcp_roles_hold_the_permission_and_are_not_iam_admin(outcome: checks.Outcome) -> None:
    # today: bigquery.tables.create's first role, roles/bigquery.dataOwner, can set IAM policy
    _hold(outcome, "gcp_role")


# --- the checker's own tests: each check catches its case and passes the right command --------------


def test_a_corpus_of_right_commands_meets_every_measure(catalog: Catalog) -> None:
    # what the thresholds above will see once the content is converted: each can pass
    session = {"principal": "arn:aws:sts::123456789012:assumed-role/Deploy/s1", "action": "s3:GetObject",
               "resource": "arn:aws:s3:::example-bucket/k"}  # fmt: skip
    secret = {"principal": "user:a@example.com", "permission": "secretmanager.versions.access",
              "resource": "projects/p/secrets/db-pass/versions/latest"}  # fmt: skip
    merge = (
        "aws s3api get-bucket-policy --bucket example-bucket --query Policy --output text > current.json &&\n"
        'jq --arg p arn:aws:iam::123456789012:role/Deploy \'.Statement += [{Sid: "AllowGetObject", Effect: "Allow", '
        'Principal: {AWS: $p}, Action: "s3:GetObject", Resource: "arn:aws:s3:::example-bucket/k"}]\' current.json > new.json &&\n'
        "aws s3api put-bucket-policy --bucket example-bucket --policy file://new.json"
    )
    items = (
        _item("aws iam list-role-policies --role-name Deploy", facts=session, section="diagnosis"),
        _item(merge, "aws.authz.implicit_deny.resource_policy", facts=session, changes=True),
        _item("gcloud secrets add-iam-policy-binding db-pass --project=p --member=user:a@example.com "
              "--role=roles/secretmanager.secretAccessor", "gcp.authz.iam_permission_denied", facts=secret, changes=True),
    )  # fmt: skip
    distinct = {item.command: [item] for item in items}
    problems = [semantic.check(item, catalog.taxonomy.placeholder_keys, frozenset()) for item in items]
    lint = shellcheck.check(distinct) if shellcheck.available() else None
    runnable = all(clis.missing_reason(tool) is None for tool in ("aws", "gcloud"))
    ran = clis.check_blocks([(i.command, i.entry, ()) for i in items]) if runnable else None
    assert ran is None or all(result.calls and not result.unreached for result in ran.values())
    outcome = checks.Outcome(items, catalog.taxonomy.placeholder_keys, problems, lint, ran)
    failing = {
        m.name: checks.examples(outcome, m.name) for m in checks.MEASURES if not checks.measure(outcome, m.name).passes
    }
    assert failing == {}


def _item(command: str, entry: str = "aws.authz.implicit_deny.identity_policy", **extra: Any) -> Rendered:
    facts = extra.pop("facts", {})
    return Rendered(
        source="self-test",
        entry=entry,
        section=extra.pop("section", "fix"),
        index=0,
        command=command,
        changes=extra.pop("changes", None),
        missing=(),
        facts=facts,
        derived={},
    )


def _problems(item: Rendered, catalog: Catalog) -> set[str]:
    return {p.check for p in semantic.check(item, catalog.taxonomy.placeholder_keys, frozenset())}


def _need(tool: str) -> None:
    if reason := clis.missing_reason(tool):
        pytest.skip(reason)


def _verdicts(command: str, context: str = "aws", literal: bool = False) -> list[tuple[str, str]]:
    return [(call.tool, call.verdict) for call in clis.check_one(command, context, literal).calls]


def test_the_aws_cli_refuses_a_misspelt_option_and_parses_a_right_one() -> None:
    _need("aws")
    assert _verdicts("aws iam get-role --rolename example-role") == [("aws", "refused")]
    assert _verdicts("aws iam get-role --role-name example-role") == [("aws", "parsed")]
    assert _verdicts("aws iam get-rol --role-name example-role") == [("aws", "refused")]
    # botocore validates before any request: a value of the wrong type is refused offline
    assert _verdicts("aws iam list-roles --max-items ten") == [("aws", "refused")]


def test_aws_commands_v1_lacks_are_checked_against_v2_and_botocore() -> None:
    _need("aws")
    assert _verdicts("aws configure export-credentials --format env-no-export") == [("aws", "parsed")]
    assert _verdicts("aws configure export-credentials --formt env") == [("aws", "refused")]
    assert _verdicts("aws s3api list-buckets --no-cli-pager") == [("aws", "parsed")]


def test_a_value_still_to_fill_in_runs_with_a_dummy_of_its_shape() -> None:
    _need("aws")
    result = clis.check_one('aws iam get-role --role-name "${ROLE_NAME:?set ROLE_NAME to the role name}"')
    assert [(c.argv[-1], c.verdict) for c in result.calls] == [("example-role", "parsed")]
    assert shell.dummy("ROLE_ARN").startswith("arn:aws:iam::123456789012:role/")
    assert shell.dummy("ACCOUNT_ID") == "123456789012"
    assert "@" in shell.dummy("OWNER_EMAIL")
    assert shell.dummy("LOG_BUCKET") == "example-log-bucket"


def test_a_block_looping_on_empty_answers_is_stopped() -> None:
    _need("aws")
    result = clis.check_one('while :; do aws organizations list-parents --child-id "$ID" --output text; done')
    assert not result.timed_out
    assert result.calls[-1].verdict == "loop"


def test_gcloud_refuses_bad_arguments_and_parses_good_ones() -> None:
    _need("gcloud")
    base = "gcloud secrets add-iam-policy-binding db-pass --project=example-project"
    good = f"{base} --member=user:someone@example.com --role=roles/secretmanager.secretAccessor"
    assert _verdicts(good, "gcp") == [("gcloud", "parsed")]
    assert _verdicts(f"{good} --bogus", "gcp") == [("gcloud", "refused")]
    assert _verdicts("gcloud iam service-accounts describe not-an-account@@", "gcp") == [("gcloud", "refused")]
    assert _verdicts("gcloud compute instances list --zone us-central1-a", "gcp") == [("gcloud", "refused")]


def test_az_refuses_bad_arguments_and_parses_good_ones_offline() -> None:
    _need("az")
    scope = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg"
    good = (
        f"az role assignment list --assignee 0b1f6471-1bf0-4dda-aec3-111122223333 --scope {scope} --include-inherited"
    )
    assert _verdicts(good, "azure") == [("az", "parsed")]
    assert _verdicts(good.replace("--assignee", "--asignee"), "azure") == [("az", "refused")]
    assert _verdicts("az role assignment create --assignee x --role Reader", "azure") == [
        ("az", "refused")
    ]  # no --scope
    assert _verdicts("az roles assignment list", "azure") == [("az", "refused")]
    # az login meets the dead proxy, never a network
    assert _verdicts("az login --tenant 0b1f6471-1bf0-4dda-aec3-111122223333", "azure") == [("az", "parsed")]


def test_the_resident_clis_classify_as_the_binaries_do() -> None:
    _need("aws")
    _need("gcloud")
    commands = [
        ("aws iam get-role --rolename example-role", "aws"),
        ("aws s3api get-bucket-policy --bucket example-bucket --query Policy --output text", "aws"),
        ("aws configure export-credentials --format process", "aws"),
        ("gcloud projects get-iam-policy example-project --format=json", "gcp"),
        ("gcloud storage buckets add-iam-policy-binding gs://example-bucket --bogus", "gcp"),
    ]
    for command, context in commands:
        resident = [(c.argv, c.code, c.verdict) for c in clis.check_one(command, context).calls]
        binary = [(c.argv, c.code, c.verdict) for c in clis.check_one(command, context, literal=True).calls]
        if command.startswith("aws configure export-credentials"):
            # v1 has no such command: the binary refuses it, the resident checks it against v2's options
            assert (resident[0][2], binary[0][2]) == ("parsed", "refused")
            continue
        assert resident == binary, command


def test_shellcheck_catches_a_placeholder_redirect_and_passes_a_clean_block() -> None:
    if not shellcheck.available():
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    bad = "aws iam get-role --role-name <role_name>"
    good = 'aws iam get-role --role-name "${ROLE_NAME:?set ROLE_NAME}" --query Role.Arn --output text'
    found = shellcheck.check([bad, good])
    assert any(f.gated for f in found[bad])
    assert found[good] == []


def test_an_angle_bracket_placeholder_is_caught_but_not_pasted_or_program_text(catalog: Catalog) -> None:
    assert "placeholder" in _problems(_item("aws iam get-role --role-name <role_name>"), catalog)
    assert "placeholder" in _problems(
        _item("aws kms create-grant --operations <the KMS operation, e.g. Decrypt>"), catalog
    )
    assert "placeholder" not in _problems(_item("""python3 -c 'print(d.get("email", "<no email claim>"))'"""), catalog)
    pasted = _item("aws s3api get-bucket-policy --bucket 'my<bucket>'", facts={"resource": "my<bucket>"})
    assert "placeholder" not in _problems(pasted, catalog)


def test_a_value_to_fill_in_for_a_fact_the_paste_gave_is_caught(catalog: Catalog) -> None:
    user = {"principal": "arn:aws:iam::123456789012:user/Matt", "action": "s3:GetObject"}
    assert "known_placeholder" in _problems(
        _item('aws iam list-user-policies --user-name "${USER_NAME:?}"', facts=user), catalog
    )
    assert "known_placeholder" not in _problems(
        _item("aws iam list-user-policies --user-name Matt", facts=user), catalog
    )
    secret = {"permission": "secretmanager.versions.access", "resource": "projects/p/secrets/db-pass/versions/latest"}
    grant = "gcloud secrets add-iam-policy-binding <secret> --project=p --member=user:a@example.com --role=roles/secretmanager.secretAccessor"
    assert "known_placeholder" in _problems(_item(grant, "gcp.authz.iam_permission_denied", facts=secret), catalog)


def test_a_bearer_token_in_argv_or_to_another_host_is_caught(catalog: Catalog) -> None:
    facts = {"url": "https://billing.acme.io/v1/items"}
    argv = _item(
        'curl -sS -H "Authorization: Bearer $TOKEN" https://billing.acme.io/v1/items',
        "http.authz.forbidden",
        facts=facts,
    )
    assert "credential_argv" in _problems(argv, catalog)
    stdin = (
        """printf 'header = "Authorization: Bearer %s"\\n' "$TOKEN" | curl -sS -K - https://billing.acme.io/v1/items"""
    )
    assert _problems(_item(stdin, "http.authz.forbidden", facts=facts), catalog) == set()
    github = stdin.replace("https://billing.acme.io/v1/items", "https://api.github.com/user")
    assert "credential_host" in _problems(_item(github, "http.authz.forbidden", facts=facts), catalog)
    query = _item(
        'curl -sS "https://oauth2.googleapis.com/tokeninfo?access_token=$TOKEN"', "gcp.authn.invalid_credentials"
    )
    assert "credential_argv" in _problems(query, catalog)


def test_a_grant_or_policy_edit_on_another_service_is_caught(catalog: Catalog) -> None:
    secret = {"permission": "secretmanager.versions.access"}
    member = "--member=user:a@example.com --role=roles/secretmanager.secretAccessor"
    wrong = _item(
        f"gcloud storage buckets add-iam-policy-binding gs://b {member}",
        "gcp.authz.iam_permission_denied",
        facts=secret,
    )
    right = _item(
        f"gcloud secrets add-iam-policy-binding db-pass --project=p {member}",
        "gcp.authz.iam_permission_denied",
        facts=secret,
    )
    project = _item(
        f"gcloud projects add-iam-policy-binding p {member}", "gcp.authz.iam_permission_denied", facts=secret
    )
    assert "service" in _problems(wrong, catalog)
    assert "service" not in _problems(right, catalog) | _problems(project, catalog)
    kms = {"action": "kms:Decrypt"}
    assert "service" in _problems(_item("aws s3api get-bucket-policy --bucket b", facts=kms), catalog)
    assert "service" not in _problems(
        _item("aws kms get-key-policy --key-id k --policy-name default", facts=kms), catalog
    )


def test_no_command_is_refused_by_kubectl(outcome: checks.Outcome) -> None:
    _hold(outcome, "refused_kubectl")


def test_kubernetes_rules_and_checks_name_the_denied_verb_and_resource(outcome: checks.Outcome) -> None:
    _hold(outcome, "kubernetes_rule")


def test_kubectl_refuses_an_unknown_command_or_flag_and_parses_a_right_one() -> None:
    _need("kubectl")
    can_i = "kubectl auth can-i create pods --subresource=exec -n prod --as system:serviceaccount:ci:deployer"
    assert _verdicts(can_i, "kubernetes") == [("kubectl", "parsed")]
    assert _verdicts(f"{can_i} --bogus", "kubernetes") == [("kubectl", "refused")]
    assert _verdicts("kubectl auth whoamii", "kubernetes") == [("kubectl", "refused")]
    role = "kubectl create role create-pods-exec --verb=create --resource=pods/exec -n prod"
    assert _verdicts(role, "kubernetes") == [("kubectl", "parsed")]
    assert _verdicts(role.replace("--verb", "--verbs"), "kubernetes") == [("kubectl", "refused")]
    # fully offline: the check's own kubeconfig, whose token kubectl prints redacted
    assert _verdicts("kubectl config view --minify", "kubernetes") == [("kubectl", "parsed")]


def test_a_kubernetes_rule_for_another_verb_or_resource_is_caught(catalog: Catalog) -> None:
    facts = {"action": "create", "resource": "pods/exec", "namespace": "prod"}
    entry = "kubernetes.authz.rbac_forbidden"
    for command, expected in (
        ("kubectl create role r --verb=create --resource=pods/exec -n prod", False),
        ("kubectl create role r --verb=get --resource=pods/exec -n prod", True),
        ("kubectl create role r --verb=create --resource=pods -n prod", True),
        ("kubectl create role r --verb=creat --resource=pods/exec -n prod", True),
        ("kubectl auth can-i create pods --subresource=exec -n prod --as jane", False),
        ("kubectl auth can-i create pods -n prod --as jane", True),
        ("kubectl auth can-i get pods --subresource=exec -n prod --as jane", True),
    ):
        item = _item(command, entry, facts=facts, changes=True)
        assert ("kubernetes_rule" in _problems(item, catalog)) is expected, command


def test_a_kubectl_write_must_be_marked_and_a_dry_run_need_not(catalog: Catalog) -> None:
    entry = "kubernetes.authz.rbac_forbidden"
    assert "unmarked_change" in _problems(
        _item("kubectl create rolebinding b --role=r --user=jane -n x", entry), catalog
    )
    dry = "kubectl label --dry-run=server --overwrite namespace x pod-security.kubernetes.io/enforce=restricted"
    assert "unmarked_change" not in _problems(_item(dry, entry), catalog)


def test_a_gcp_role_without_the_permission_or_an_admin_one_is_caught(catalog: Catalog) -> None:
    facts = {"permission": "secretmanager.versions.access"}
    grant = "gcloud secrets add-iam-policy-binding db-pass --project=p --member=user:a@example.com --role={}"
    for role, expected in (
        ("roles/secretmanager.secretAccessor", False),
        ("roles/storage.objectViewer", True),
        ("roles/owner", True),
        ("roles/secretmanager.admin", True),  # holds it, but can set IAM policy; the accessor role suffices
    ):
        item = _item(grant.format(role), "gcp.authz.iam_permission_denied", facts=facts)
        assert ("gcp_role" in _problems(item, catalog)) is expected, role


def test_a_command_for_the_wrong_kind_of_principal_is_caught(catalog: Catalog) -> None:
    user = {"principal": "arn:aws:iam::123456789012:user/Matt", "action": "s3:GetObject"}
    session = {"principal": "arn:aws:sts::123456789012:assumed-role/Deploy/s1", "action": "s3:GetObject"}
    role_fix = 'aws iam put-role-policy --role-name "${ROLE_NAME:?}" --policy-name s3-GetObject --policy-document file://p.json'
    user_fix = "aws iam put-user-policy --user-name Matt --policy-name s3-GetObject --policy-document file://p.json"
    assert "principal" in _problems(_item(role_fix, facts=user), catalog)
    assert "principal" in _problems(_item(user_fix, facts=session), catalog)
    assert "principal" not in _problems(_item(user_fix, facts=user), catalog)
    assume = {"principal": "arn:aws:iam::123456789012:user/Matt", "resource": "arn:aws:iam::123456789012:role/Target"}
    target = _item("aws iam get-role --role-name Target --query Role.AssumeRolePolicyDocument", facts=assume)
    assert "principal" not in _problems(target, catalog)


def test_a_whole_policy_write_without_read_and_merge_is_caught(catalog: Catalog) -> None:
    blind = "aws s3api put-bucket-policy --bucket b --policy file://policy.json"
    merged = (
        "aws s3api get-bucket-policy --bucket b --query Policy --output text > current.json && "
        "jq '.Statement += [$s]' --argjson s \"$STATEMENT\" current.json > new.json && "
        "aws s3api put-bucket-policy --bucket b --policy file://new.json"
    )
    assert "unsafe" in _problems(_item(blind, changes=True), catalog)
    assert "unsafe" in _problems(_item(merged, changes=None), catalog)  # a change, not marked as one
    assert "unsafe" not in _problems(_item(merged, changes=True), catalog)
    assert "unsafe" in _problems(
        _item("aws ec2 modify-vpc-endpoint --vpc-endpoint-id v --reset-policy", changes=True), catalog
    )


def test_an_inline_policy_name_shared_by_entries_is_caught() -> None:
    shared = [
        _item(
            "aws iam put-user-policy --user-name u --policy-name allow-denied-action --policy-document file://p.json",
            entry,
        )
        for entry in ("aws.authz.implicit_deny.identity_policy", "aws.authz.unspecified")
    ]
    assert semantic.shared_policy_names(shared) == frozenset({"allow-denied-action"})
    problems = semantic.check(shared[0], frozenset(), frozenset({"allow-denied-action"}))
    assert any(p.check == "unsafe" and "shared" in p.detail for p in problems)


def test_a_fixed_inline_policy_name_for_a_varying_statement_is_caught(catalog: Catalog) -> None:
    facts = {
        "principal": "arn:aws:iam::123456789012:user/Matt",
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::b/k",
    }
    write = (
        'jq -n --arg a s3:GetObject --arg r arn:aws:s3:::b/k \'{{Version: "2012-10-17", Statement: [{{Effect: "Allow", '
        "Action: $a, Resource: $r}}]}}' > allow.json && aws iam put-user-policy --user-name Matt --policy-name {} "
        "--policy-document file://allow.json"
    )
    fixed = semantic.check(
        _item(write.format("allow-denied-action"), facts=facts, changes=True), frozenset(), frozenset()
    )
    derived = semantic.check(
        _item(write.format("allow-s3-GetObject"), facts=facts, changes=True), frozenset(), frozenset()
    )
    assert any("is fixed" in p.detail for p in fixed)
    assert not any("inline policy name" in p.detail for p in derived)
    constant = (
        "aws iam put-user-policy --user-name Matt --policy-name allow-decode --policy-document '{\"Statement\": []}'"
    )
    assert not any("inline" in p.detail for p in semantic.check(_item(constant, facts=facts), frozenset(), frozenset()))


def test_the_scanner_reads_words_heredocs_and_substitutions_as_bash_does() -> None:
    block = shell.parse(
        "R=<role_name>\n"
        "cat > p.json <<'EOF'\n"
        '{"Principal": "<role_arn>"}\n'
        "EOF\n"
        'V=$(aws iam get-policy --policy-arn "$A" --query Policy.DefaultVersionId --output text) && '
        'aws iam get-policy-version --policy-arn "$A" --version-id "$V" --query \'x[?a==`b`]\' 2>&1 | jq .'
    )
    argvs = [c.argv for c in block.commands if c.argv]
    assert argvs[0] == ["cat"]
    assert argvs[1][:3] == ["aws", "iam", "get-policy"]  # the substitution runs first
    assert argvs[2][-2:] == ["--query", "x[?a==`b`]"]
    assert argvs[3] == ["jq", "."]
    assert block.commands[1].heredocs == ['{"Principal": "<role_arn>"}']
    placeholders = {(p.name, p.unquoted) for p in shell.angle_placeholders(block)}
    assert placeholders == {("role_name", True), ("role_arn", False)}


def _unfilled_share(items: Iterator[Rendered], catalog: Catalog) -> float:
    rows = list(items)
    return sum(semantic.unfilled(item, catalog.taxonomy.placeholder_keys) for item in rows) / max(len(rows), 1)


def test_the_unfilled_measure_counts_both_conventions(catalog: Catalog) -> None:
    rows = [
        _item('aws iam get-role --role-name "${ROLE_NAME:?set ROLE_NAME}"'),
        _item("aws iam get-role --role-name <role_name>"),
        _item("aws iam get-role --role-name Deploy"),
        _item("aws sts get-caller-identity"),
    ]
    assert _unfilled_share(iter(rows), catalog) == 0.5
    assert 0 < _unfilled_share(iter(corpus()), catalog) <= 1
