"""The CLI's plain catalogue renders the same guidance as the validated one, for every known payload.

`whydenied explain` diagnoses from a plain-data snapshot (api/plain_catalog.py) without pydantic; the
service diagnoses from the validated catalogue and returns the wire model. For every payload of the
adapters' tables and every example and near miss of the content, the CLI's JSON must be the
service's, key for key and in the same order (`--json` prints it as is).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.catalog import Catalog
from api.catalog_snapshot import load_catalog_snapshot
from api.plain_catalog import PlainCatalog
from api.schemas import DiagnoseRequest
from api.services.diagnosis import diagnose_body, diagnose_request
from api.services.least_privilege import IamActionIndex, load_iam_index
from tests.adapters.harness import load_payloads

ROOT = Path(__file__).resolve().parents[2]


def _bodies() -> list[Any]:
    bodies = [
        pytest.param(item["input"], id=f"payload-{item['id']}")
        for folder in sorted((ROOT / "tests" / "adapters").iterdir())
        if folder.is_dir()
        for item in load_payloads(folder)
    ]
    from api.catalog import load_catalog

    for entry_id, compiled in sorted(load_catalog(check=False).entries.items()):
        for kind in ("examples", "not_this"):
            for index, case in enumerate(getattr(compiled.entry, kind, [])):
                bodies.append(pytest.param(case.input, id=f"{entry_id}-{kind}-{index}"))
    return bodies


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> PlainCatalog:
    """The plain catalogue as the CLI reads it: written to a snapshot, then read back from it."""
    cache = tmp_path_factory.mktemp("snapshot")
    load_catalog_snapshot(directory=cache)
    return load_catalog_snapshot(directory=cache)


@pytest.fixture(scope="module")
def iam_index() -> IamActionIndex:
    return load_iam_index()


@pytest.mark.parametrize("body", _bodies())
def test_the_plain_path_answers_as_the_service_does(
    body: dict[str, Any], catalog: Catalog, plain: PlainCatalog, iam_index: IamActionIndex
) -> None:
    request = DiagnoseRequest.model_validate(body)
    service = diagnose_request(request, catalog, iam_index).model_dump(mode="json")
    cli = diagnose_body(request, plain, iam_index)  # the plain core, from the plain snapshot
    assert json.dumps(cli, ensure_ascii=False) == json.dumps(service, ensure_ascii=False)


def test_the_plain_snapshot_holds_the_whole_catalogue(plain: PlainCatalog) -> None:
    # The comparison above means something only if the plain snapshot holds the whole catalogue.
    from api.catalog import load_catalog

    validated = load_catalog(check=False)
    assert set(plain.entries) == set(validated.entries)
    assert plain.placeholder_keys == validated.taxonomy.placeholder_keys
    assert plain.gcp_roles is not None and validated.gcp_roles is not None
    assert len(plain.gcp_roles.rows) == len(validated.gcp_roles.permissions)
