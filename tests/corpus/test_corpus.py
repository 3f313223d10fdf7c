"""The corpus of pastes from new sources: well-formed, dev items as labelled, held-out figures on target.

Dev sources are the ones a grammar may be tuned on, so each dev item must diagnose as labelled
(known misses are strict xfails). Held-out sources are only scored: the targets of issue 14 apply
to them as a whole, and their misses are never listed (see tests/corpus/report.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.adapters.harness import check, diagnose, params
from tests.corpus.load import load_corpus
from tests.corpus.split import source_key, split_of

CORPUS = load_corpus()
DEV = [item for item in CORPUS if item["split"] == "dev"]
HELD_OUT = [item for item in CORPUS if item["split"] == "heldout"]
KNOWN_DEV_MISSES: dict[str, str] = {
    # AWS SSO-OIDC has an InvalidGrantException too; the aws grammar claims the Spring OAuth log line.
    "http-spring-oauth-invalid-grant-exception": "aws adapter claims InvalidGrantException (SSO-OIDC name clash)",
}
REQUIRED_KEYS = {"id", "source", "input", "expect"}


def test_every_item_is_well_formed() -> None:
    ids = Counter(item["id"] for item in CORPUS)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"
    for item in CORPUS:
        assert set(item) >= REQUIRED_KEYS, item.get("id")
        assert item["source"].startswith("https://") or item["source"] == "synthetic", item["id"]
        assert {"provider", "category", "reason"} <= set(item["expect"]), item["id"]
        assert isinstance(item["input"].get("error"), str) and item["input"]["error"].strip(), item["id"]


def test_the_split_is_by_source_not_by_case() -> None:
    by_key: dict[str, set[str]] = {}
    for item in CORPUS:
        by_key.setdefault(source_key(item["source"]), set()).add(item["split"])
    assert all(len(splits) == 1 for splits in by_key.values())
    assert source_key("https://github.com/Owner/Repo/issues/1") == source_key("https://github.com/owner/repo/pull/2#x")
    assert split_of("synthetic") == "dev"


@pytest.mark.parametrize("item", params(DEV, KNOWN_DEV_MISSES))
def test_dev_item_diagnoses_as_labelled(shared_client: TestClient, item: dict[str, Any]) -> None:
    check(diagnose(shared_client, item), item["expect"])


def test_no_paste_in_the_corpus_gets_a_server_error(shared_client: TestClient) -> None:
    for item in CORPUS:
        assert shared_client.post("/v1/diagnose", json=item["input"]).status_code == 200, item["id"]
