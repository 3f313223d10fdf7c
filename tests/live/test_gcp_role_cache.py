"""`whydenied data refresh-gcp-roles`: Google's role list into the database, then into the answers.

The role list comes from the local gRPC stand-in (tests/live/fake_google.py); the command runs as
a user runs it, in a subprocess, against the suite's database (SQLite file, or PostgreSQL in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.live.gcp_clients import EMULATOR_ENV
from tests.conftest import ClientFactory, database_url, reset_database
from tests.live.fake_google import FakeGoogle, role
from tests.live.test_gcp_checks import BIGQUERY_DENIAL

ROOT = Path(__file__).resolve().parents[2]
# source: https://github.com/r-dbi/bigrquery/issues/237 (the same denial, for a permission the reviewed table lacks)
LIST_ALL_DENIAL = BIGQUERY_DENIAL.replace("bigquery.jobs.create", "bigquery.jobs.listAll")


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A database both the command (another process) and the app can open."""
    chosen = database_url()
    if chosen == "sqlite://":
        chosen = f"sqlite:///{tmp_path / 'whydenied.db'}"
    reset_database(chosen)
    return chosen


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    fake = FakeGoogle(
        roles=[
            role("roles/bigquery.user", ["bigquery.jobs.create", "bigquery.jobs.list", "bigquery.datasets.create"]),
            role("roles/bigquery.jobUser", ["bigquery.jobs.create", "resourcemanager.projects.get"]),
            role("roles/bigquery.resourceViewer", ["bigquery.jobs.listAll", "bigquery.jobs.get"]),
            role("roles/bigquery.oldRole", ["bigquery.jobs.create"], stage="DEPRECATED"),
            role("roles/viewer", ["bigquery.jobs.listAll"]),
        ],
        page_cap=2,
    )
    fake.start()
    yield fake
    fake.stop()


def _refresh(url: str, emulator: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WHYDENIED_DATABASE_URL": url, EMULATOR_ENV: emulator}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "data", "refresh-gcp-roles", "--timeout", "3"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip


def _suggestion(make_client: ClientFactory, url: str, error: str) -> dict[str, object] | None:
    body = make_client(database_url=url, reset_database=False).post("/v1/diagnose", json={"error": error}).json()
    return body["guidance"].get("role_suggestion")  # type: ignore[no-any-return]


def test_refreshed_roles_answer_with_their_date(make_client: ClientFactory, url: str, google: FakeGoogle) -> None:
    done = _refresh(url, google.start())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("stored 5 predefined roles (6 permissions)")
    assert len(google.called("ListRoles")) == 3  # five roles, two a page

    suggestion = _suggestion(make_client, url, BIGQUERY_DENIAL)
    assert suggestion is not None and suggestion["source"] == "Google's role list"
    # Smallest first; deprecated and basic roles never suggested.
    assert suggestion["roles"] == ["roles/bigquery.jobUser", "roles/bigquery.user"]
    # A permission the reviewed table does not hold now has an answer, granted at its inferred level.
    wider = _suggestion(make_client, url, LIST_ALL_DENIAL)
    assert wider is not None and wider["roles"] == ["roles/bigquery.resourceViewer"]
    assert "--role=roles/bigquery.resourceViewer" in str(wider["command"])


def test_without_a_refresh_the_reviewed_table_answers(make_client: ClientFactory, url: str) -> None:
    suggestion = _suggestion(make_client, url, BIGQUERY_DENIAL)
    assert suggestion is not None and suggestion["source"] == "whydenied's reviewed table"
    assert suggestion["roles"][0] == "roles/bigquery.jobUser"  # type: ignore[index]


def test_a_failed_refresh_leaves_the_cache_as_it_was(make_client: ClientFactory, url: str, google: FakeGoogle) -> None:
    assert _refresh(url, google.start()).returncode == 0
    google.denied["ListRoles"] = "iam.roles.list"
    failed = _refresh(url, google.start())
    assert failed.returncode == 2 and "could not be read" in failed.stderr
    dead = _refresh(url, "127.0.0.1:9")
    assert dead.returncode == 2
    suggestion = _suggestion(make_client, url, BIGQUERY_DENIAL)
    assert suggestion is not None and suggestion["source"] == "Google's role list"
