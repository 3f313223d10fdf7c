"""POST /v1/scan: a log uploaded, its denials grouped; size-limited; problem+json on bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import ClientFactory

FIXTURES = Path(__file__).parent / "fixtures"
PROBLEM = "application/problem+json"


def test_scan_endpoint_groups_an_uploaded_gzip_cloudtrail_file(client: TestClient) -> None:
    answer = client.post(
        "/v1/scan?top=5", content=(FIXTURES / "cloudtrail_traildiscover.json.gz").read_bytes(),
        headers={"Content-Type": "application/gzip"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["records"], report["denials"]) == (563, 413)
    assert len(report["groups"]) == 5 and report["groups_total"] > 5
    top = report["groups"][0]
    assert (top["count"], top["action"]) == (4, "ec2:GetLaunchTemplateData")
    assert top["fix"]["command"].startswith("jq -n")


def test_scan_endpoint_reads_gcp_json_and_a_time_window(client: TestClient) -> None:
    body = (FIXTURES / "gcp_audit_panther.json").read_bytes()
    everything = client.post("/v1/scan", content=body, headers={"Content-Type": "application/json"}).json()
    assert everything["denials"] == 3
    windowed = client.post(
        "/v1/scan?since=2023-03-09T00:00:00Z&until=2023-03-10T00:00:00Z",
        content=body, headers={"Content-Type": "application/json"},
    ).json()  # fmt: skip
    assert windowed["denials"] + windowed["outside_window"] == 3 and windowed["outside_window"] >= 1


def test_scan_endpoint_refuses_a_body_over_the_limit(make_client: ClientFactory) -> None:
    client = make_client(scan_max_bytes=4096)
    answer = client.post(
        "/v1/scan", content=(FIXTURES / "gcp_audit_panther.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 413 and answer.headers["content-type"] == PROBLEM
    assert "4096" in answer.json()["detail"]


def test_scan_endpoint_refuses_a_gzip_that_expands_too_far(make_client: ClientFactory) -> None:
    client = make_client(scan_max_bytes=4096)
    bomb = gzip.compress(b"x" * (4096 * 8 + 100 * 1024))
    assert len(bomb) < 4096
    answer = client.post("/v1/scan", content=bomb, headers={"Content-Type": "application/gzip"})
    assert answer.status_code == 400 and answer.headers["content-type"] == PROBLEM
    assert "larger than allowed once decompressed" in answer.json()["detail"]


def test_scan_endpoint_says_why_a_body_is_not_a_log(client: TestClient) -> None:
    binary = client.post(
        "/v1/scan", content=b"\x00\x01PK\x03\x04", headers={"Content-Type": "application/octet-stream"}
    )
    assert binary.status_code == 400 and binary.headers["content-type"] == PROBLEM
    assert "binary" in binary.json()["detail"]
    cut = client.post("/v1/scan", content=b'{"Records": [{"eventName": ', headers={"Content-Type": "application/json"})
    assert cut.status_code == 400 and "cut short" in cut.json()["detail"]
    empty = client.post("/v1/scan", content=b"  \n", headers={"Content-Type": "text/plain"})
    assert empty.status_code == 400
    form = client.post("/v1/scan", content=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415 and form.headers["content-type"] == PROBLEM


def test_scan_endpoint_redacts_secrets_from_a_text_log(client: TestClient) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzY2FuLWFwaSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1oZXJl"
    log = (
        "2026-12-01T08:00:00Z ERROR An error occurred (AccessDenied) when calling the GetObject operation: "
        f"Access Denied (request with Authorization: Bearer {token})\n"
    )
    answer = client.post("/v1/scan", content=log.encode(), headers={"Content-Type": "text/plain"})
    assert answer.status_code == 200 and answer.json()["denials"] == 1
    assert token not in answer.text and "eyJzdWIi" not in answer.text
