"""The verdict card's content (api/verdict.py): a layer in words for every reason, who/what/where from
the facts, and one first step that runs as shown, for every reason entry's own real example."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from api.catalog import Catalog
from api.schemas import DiagnoseRequest
from api.services.diagnosis import diagnose_request
from api.verdict import HEADLINES, LAYERS, build, layer_for

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent.parent / "shared" / "taxonomy.yaml"  # the contract's copy, when this checkout has one beside it


def _reasons(path: Path) -> set[str]:
    return set(yaml.safe_load(path.read_text(encoding="utf-8"))["reasons"])


def test_every_reason_in_the_taxonomy_has_its_layer_in_words(catalog: Catalog) -> None:
    reasons = set(catalog.taxonomy.reasons) | _reasons(ROOT / "content" / "taxonomy.yaml")
    if SHARED.exists():
        reasons |= _reasons(SHARED)  # ids the contract adds before their entries land
    assert any(reason.startswith("azure.") for reason in reasons)
    assert any(reason.startswith("kubernetes.") for reason in reasons)
    assert sorted(reasons - set(LAYERS)) == []
    if SHARED.exists():  # then every id is known: no phrase for an id that does not exist (a typo)
        assert sorted(set(LAYERS) - reasons) == []


@pytest.mark.parametrize(
    ("reason", "resource", "layer"),
    [
        (
            "aws.authz.implicit_deny.resource_policy",
            "arn:aws:s3:::my-bucket/key.txt",
            "the bucket policy: it does not allow you",
        ),
        (
            "aws.authz.explicit_deny.resource_policy",
            "arn:aws:kms:us-east-1:123456789012:key/1",
            "an explicit Deny in the key policy",
        ),
        ("aws.authz.explicit_deny.resource_policy", "", "an explicit Deny in the resource's own policy"),
        ("aws.authz.explicit_deny.scp", "", "an SCP in your organization (an explicit Deny)"),
        # RCPs belong to the resource owner's organization, often not the caller's (a data perimeter).
        (
            "aws.authz.explicit_deny.rcp",
            "",
            "an RCP (resource control policy) of the organization that owns the resource",
        ),
        ("gcp.authz.vpc_service_controls", "", "VPC Service Controls"),
        ("kubernetes.authz.rbac_forbidden", "pods", "Kubernetes RBAC: no Role or ClusterRole binding allows it"),
        ("gcp.authz.some_future_layer", "", "Google Cloud: a layer this version does not name"),
    ],
)
def test_layer_names_the_policy_that_said_no(reason: str, resource: str, layer: str) -> None:
    assert layer_for(reason, {"resource": resource}) == layer


def test_every_reason_entry_example_gets_a_whole_card(catalog: Catalog) -> None:
    """Each entry's first real example: the headline matches the category, the layer is named, and
    the card offers a first step; a command it shows needs no value the paste left out."""
    missing: list[str] = []
    for entry in catalog.reason_entries():
        response = diagnose_request(DiagnoseRequest.model_validate(entry.examples[0].input), catalog).model_dump(
            mode="json"
        )
        verdict = build(response)
        assert verdict.headline == HEADLINES[response["category"]][0], entry.id
        assert verdict.layer == layer_for(entry.id, response["facts"]), entry.id
        if verdict.first_step is None:
            missing.append(entry.id)
            continue
        steps = [*response["guidance"].get("fix", []), *response["guidance"].get("diagnosis", [])]
        chosen = [step for step in steps if " ".join(step["text"].split()) == verdict.first_step.text]
        assert chosen and not chosen[0].get("variables"), entry.id
    assert missing == []


def test_who_what_where_come_from_the_facts() -> None:
    response = {
        "provider": "gcp",
        "category": "authorization",
        "reason": "gcp.authz.iam_permission_denied",
        "facts": {"principal": "user:a@example.com", "permission": "storage.objects.get", "resource": "b" * 400},
        "guidance": {"fix": [{"text": "Grant it.", "command": "gcloud x", "variables": [{"name": "ROLE"}]}]},
    }
    verdict = build(response)
    assert verdict.provider == "Google Cloud"
    assert verdict.rows[:2] == [("Who", "user:a@example.com"), ("Denied", "storage.objects.get")]
    assert verdict.rows[2][0] == "On" and len(verdict.rows[2][1]) == 300  # cut on the card; whole in the facts
    assert verdict.first_step is not None and verdict.first_step.command is None  # it would stop for ROLE


def test_not_an_access_failure_says_so() -> None:
    facts = {"code": "ThrottlingException", "operation": "DescribeInstances"}
    verdict = build({"provider": "aws", "category": "other", "reason": None, "facts": facts})
    assert verdict.headline == "NOT AN ACCESS PROBLEM"
    assert verdict.layer is None and verdict.first_step is None and verdict.rows == []


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("If the clock is off, resynchronise it.", "Get a fresh credential."),
        ("Do not add Allows in the account.", "Get a fresh credential."),
    ],
)
def test_a_step_for_some_cases_or_a_caution_is_not_the_first_thing(first: str, expected: str) -> None:
    guidance = {"fix": [{"text": first, "command": "timedatectl status"}, {"text": expected}]}
    verdict = build({"provider": "http", "category": "authentication", "reason": "http.authn.invalid_credentials",
                     "facts": {}, "guidance": guidance})  # fmt: skip
    assert verdict.first_step is not None and verdict.first_step.text == expected
