"""Every diagnose answer is the same whichever way the server computes it, byte for byte.

The server takes shortcuts for speed: a plain request skips FastAPI's resolver
(api/routes/fast_diagnose.py), and the guidance and the trace are rendered from plans made once per
case, only the values filled per diagnosis (api/render.py, api/services/trace.py). Here the plain
ways are the references: the route itself, the wire model's own serialisation, and the step walk and
the trace as they were computed before the plans (kept below). Each real payload of the adapters'
tables is compared, twice and in two orders, so plans made for one paste serve others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from adapters.derived import derived_facts
from adapters.registry import diagnose as classify
from api.catalog import Catalog
from api.grants import aws_resource_policy, gcp_binding
from api.main import create_app
from api.render import (
    _CONTROL,
    _LOWER_CASE_KEYS,
    _STAND_IN,
    WHO_AM_I,
    CommandTemplate,
    CompiledEntry,
    applies,
    fact_label,
    placeable,
    variable_name,
)
from api.routes.fast_diagnose import FastDiagnose
from api.schemas import DiagnoseRequest
from api.services.diagnosis import VERDICT_FIELDS, diagnose_request, diagnose_verdict
from api.services.least_privilege import load_iam_index
from api.services.trace import AWS_LAYERS, GCP_LAYERS, aws_statuses, gcp_statuses, trace
from api.settings import Settings
from tests.adapters.harness import load_payloads
from tests.conftest import app_database_url

ADAPTER_TABLES = Path(__file__).resolve().parents[1] / "adapters"
CORPUS: list[dict[str, Any]] = [
    item["input"] for folder in sorted(ADAPTER_TABLES.iterdir()) if folder.is_dir() for item in load_payloads(folder)
]


@pytest.fixture
def route_only(catalog: Catalog, tmp_path: Path) -> Iterator[TestClient]:
    """An app without the fast path: every request through FastAPI's route, as before it existed."""
    app = create_app(Settings(database_url=app_database_url(tmp_path), data_dir=tmp_path / "data"), catalog=catalog)
    fast_path: object = FastDiagnose
    app.user_middleware = [middleware for middleware in app.user_middleware if middleware.cls is not fast_path]
    with TestClient(app) as client:
        yield client


def corpus(catalog: Catalog) -> list[dict[str, Any]]:
    """The adapters' real payloads, then every entry's own examples (each entry reached at least once)."""
    examples = [
        example.input for compiled in catalog.entries.values() for example in getattr(compiled.entry, "examples", [])
    ]
    return [*CORPUS, *examples]


def test_the_corpus_is_large_enough_to_mean_something(catalog: Catalog) -> None:
    assert len(CORPUS) > 500
    assert len(corpus(catalog)) > len(CORPUS) + 100


def test_every_answer_equals_the_routes_and_the_models(
    shared_client: TestClient, route_only: TestClient, catalog: Catalog
) -> None:
    iam_index = load_iam_index()
    bodies = corpus(catalog)
    for round_ in range(2):  # the second time, answered from each app's response cache
        for body in bodies if round_ == 0 else reversed(bodies):
            raw = json.dumps(body)
            request = DiagnoseRequest.model_validate(body)
            model = {
                "all": diagnose_request(request, catalog, iam_index).model_dump_json(),
                "verdict": diagnose_verdict(request).model_dump_json(include=set(VERDICT_FIELDS)),
            }
            for fields, expected in model.items():
                headers = {"Content-Type": "application/json"}
                fast = shared_client.post(f"/v1/diagnose?fields={fields}", content=raw, headers=headers)
                routed = route_only.post(f"/v1/diagnose?fields={fields}", content=raw, headers=headers)
                assert fast.status_code == routed.status_code == 200
                assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
                assert fast.text == routed.text == expected, (fields, body)


def test_an_invalid_request_gets_the_routes_own_problem(shared_client: TestClient, route_only: TestClient) -> None:
    bodies = ['{"error": ""}', '{"error": "x", "status_code": 99}', '{"error": "x", "extra": 1}', "[1]", "{", '""']
    for raw in bodies:
        for query in ("", "?fields=verdict", "?fields=everything"):
            fast = shared_client.post(f"/v1/diagnose{query}", content=raw, headers={"Content-Type": "application/json"})
            routed = route_only.post(f"/v1/diagnose{query}", content=raw, headers={"Content-Type": "application/json"})
            assert fast.status_code == routed.status_code >= 400, raw
            assert fast.json() == routed.json(), raw


def test_planned_guidance_and_trace_equal_the_step_walk(catalog: Catalog) -> None:
    cases = [*_cases(catalog), *reversed(list(_cases(catalog)))]
    for facts, extra, derived, compiled, reason in cases:
        assert compiled.render(facts, extra, derived=derived) == reference_render(compiled, facts, extra, derived)
        known = {**derived, **facts}
        assert trace(reason, known, catalog) == reference_trace(reason, known, catalog), reason
    for compiled in catalog.entries.values():  # a page of its own: every step, nothing filled
        assert compiled.render({}, for_case=False) == reference_render(compiled, {}, None, None, for_case=False)
        assert compiled.render({}) == reference_render(compiled, {}, None, None)


@given(st.text(max_size=30), st.sampled_from([None, "project", "role_name", "account_id"]))
def test_placeable_agrees_with_the_stand_in_pattern(value: str, key: str | None) -> None:
    assert placeable(value, key) == reference_placeable(value, key)


STAND_INS = (
    "<account-id>",
    "<<role name>>",
    "???",
    "xxx",
    "XXXX",
    "****",
    "REDACTED",
    "...",
    "MY_PROJECT",
    "ROLE_NAME",
)


@given(st.sampled_from(STAND_INS), st.text(max_size=4), st.text(max_size=4))
def test_placeable_agrees_around_stand_ins(stand_in: str, before: str, after: str) -> None:
    assert not placeable(stand_in, "role_name")
    value = before + stand_in + after
    assert placeable(value, "role_name") == reference_placeable(value, "role_name")


def _cases(catalog: Catalog) -> Iterator[tuple[dict[str, Any], dict[str, str] | None, dict[str, str], Any, str]]:
    """Each corpus payload's facts, as the service renders them; then varied in what decides a plan.

    The variants: one value a stand-in (refused), one fact fewer, and each value a step's `when`
    compares (principal kind, resource type, platform, denied service) set in turn: a plan made for
    one must never serve another.
    """
    compared = _compared_values(catalog)
    for body in corpus(catalog):
        diagnosis = classify(body["error"], body.get("status_code"), body.get("headers"), body.get("provider"))
        compiled = catalog.get(diagnosis.reason) if diagnosis.reason else None
        if compiled is None or diagnosis.reason is None:
            continue
        facts = diagnosis.facts
        permission = facts.get("permission")
        roles = catalog.gcp_roles.suggest(permission) if catalog.gcp_roles and isinstance(permission, str) else None
        extra = {"role": roles["roles"][0], "grant_on": roles["grant_on"]} if roles else None
        derived = derived_facts(facts)
        yield facts, extra, derived, compiled, diagnosis.reason
        variants: list[tuple[dict[str, Any], dict[str, str]]] = []
        if facts:
            first, *_ = facts
            variants.append(({**facts, first: "<hidden>"}, derived))
            variants.append(({key: value for key, value in facts.items() if key != first}, derived))
        for field in ("principal_kind", "resource_type", "platform"):
            variants += [(facts, {**derived, field: value}) for value in compared[field]]
        unnamed = {key: value for key, value in facts.items() if key not in ("action", "permission")}
        variants += [({**unnamed, "service": value}, derived) for value in compared["service"]]
        for varied, varied_derived in variants:
            yield varied, extra, varied_derived, compiled, diagnosis.reason


def _compared_values(catalog: Catalog) -> dict[str, set[str]]:
    """Every value a step's `when` compares, by field, across the catalogue."""
    values: dict[str, set[str]] = {"principal_kind": set(), "resource_type": set(), "platform": set(), "service": set()}
    for compiled in catalog.entries.values():
        for section in ("diagnosis", "fix", "verify"):
            for step in getattr(compiled.entry, section, None) or []:
                for field, found in values.items():
                    found.update(getattr(step.when, field, None) or [])
    return values


# The references: how guidance and the trace were computed before the plans (commit 3d09148).


def reference_placeable(value: str | int, key: str | None = None) -> bool:
    text = str(value)
    if key in _LOWER_CASE_KEYS and any(char.isupper() for char in text):
        return False
    return _CONTROL.search(text) is None and _STAND_IN.search(text) is None


def reference_render(
    compiled: CompiledEntry,
    facts: Mapping[str, str | int],
    extra: Mapping[str, str] | None,
    derived: Mapping[str, str] | None,
    *,
    for_case: bool = True,
) -> dict[str, Any]:
    keys = compiled.fact_keys
    known = {**(derived_facts(facts) if derived is None else derived), **(extra or {}), **facts}
    refused = {key for key, value in known.items() if not reference_placeable(value, key)}
    known = {key: value for key, value in known.items() if key not in refused}
    document = dict(compiled.document)
    missing: set[str] = set()
    for section in ("diagnosis", "fix", "verify"):
        if section not in document:
            continue
        rendered = []
        for raw, model in zip(document[section], getattr(compiled.entry, section), strict=True):
            step = dict(raw)
            step.pop("when", None)
            if model.when is not None and for_case and not applies(model.when, known):
                continue
            if step.get("changes"):
                step["changes_state"] = True
            grant = step.pop("grant", None)
            if grant is not None:
                resource_type = str(known["resource_type"]) if "resource_type" in known else None
                grant_on = str(known["grant_on"]) if "grant_on" in known else None
                step["command"] = (
                    gcp_binding(grant_on, resource_type) if grant == "gcp_role" else aws_resource_policy(resource_type)
                )
            command = step.get("command")
            if command is not None:
                template = CommandTemplate.compile(command, keys)
                absent = sorted({key for key in template.fact_keys if key not in known})
                missing.update(absent)
                step["command"] = template.render(known)
                step["missing"] = absent
                step["variables"] = [
                    {"name": variable_name(key), "fact": key, "label": fact_label(key)} for key in absent
                ]
            rendered.append(step)
        document[section] = rendered
    document["missing_facts"] = sorted(missing)
    if refused & missing:
        document["refused_facts"] = sorted(refused & missing)
    return document


def reference_inspection(compiled: CompiledEntry, usable: Mapping[str, str | int]) -> tuple[str, list[str]] | None:
    best: tuple[str, list[str]] | None = None
    for step in getattr(compiled.entry, "diagnosis", None) or []:
        if step.command is None or step.changes or step.command.lstrip().startswith(WHO_AM_I):
            continue
        if step.when is not None and not applies(step.when, usable):
            continue
        template = CommandTemplate.compile(step.command, compiled.fact_keys)
        absent = sorted(key for key in template.fact_keys if key not in usable)
        if not absent:
            return template.render(usable), []
        if best is None:
            best = (template.render(usable), absent)
    return best


def reference_trace(reason: str, known: Mapping[str, str | int], catalog: Catalog) -> list[dict[str, object]] | None:
    provider = reason.split(".", 1)[0]
    statuses = aws_statuses(reason) if provider == "aws" else gcp_statuses(reason) if provider == "gcp" else None
    if statuses is None:
        return None
    usable = {key: value for key, value in known.items() if reference_placeable(value, key)}
    named = reason.split(".")[3] if reason.startswith("aws.authz.explicit_deny.") else None
    rows: list[dict[str, object]] = []
    for layer in AWS_LAYERS if provider == "aws" else GCP_LAYERS:
        verdict, proves = statuses[layer.id]
        entry = layer.entry
        if named is not None and named != "unknown_policy":
            entry = reason if layer.id == named else None if layer.id == "explicit_deny" else layer.entry
        compiled = catalog.get(entry) if entry else None
        inspection = reference_inspection(compiled, usable) if compiled is not None else None
        rows.append(
            {
                "layer": layer.id,
                "name": layer.name,
                "verdict": verdict,
                "proves": proves,
                "inspect": inspection[0] if inspection else None,
                "missing": inspection[1] if inspection else [],
                "entry": layer.entry,
            }
        )
    return rows
