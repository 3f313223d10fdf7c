"""Entries for docs sites: Markdown and HTML fragments, facts filled by query, ETag and 304."""

from __future__ import annotations

import shlex

from fastapi.testclient import TestClient

from api.render import shell_quote

ENTRY = "/v1/entries/aws.authz.explicit_deny.scp"


def test_entry_html_fragment_has_stable_anchors_and_escapes_facts(client: TestClient) -> None:
    response = client.get(ENTRY, params={"format": "html", "principal": "<script>alert(1)</script>"})
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith('<article class="whydenied-entry" id="aws.authz.explicit_deny.scp">')
    for anchor in ('id="diagnosis"', 'id="fix"', 'id="verify"', 'id="references"'):
        assert anchor in response.text
    assert "<script>" not in response.text


def test_entry_markdown_by_short_format_name(client: TestClient) -> None:
    response = client.get(ENTRY, params={"format": "md"})
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text.startswith("# Explicit Deny in a service control policy (SCP)")


def test_entry_facts_in_the_query_fill_the_commands_quoted(client: TestClient) -> None:
    arn = "arn:aws:organizations::987654321098:policy/o-abc/service_control_policy/p-x'; rm -rf ~"
    document = client.get(ENTRY, params={"policy_arn": arn, "account_id": "123456789012"}).json()
    commands = [step["command"] for step in document["diagnosis"] if step.get("command")]
    with_arn = next(command for command in commands if "POLICY_ARN=" in command)
    assert f"POLICY_ARN={shell_quote(arn)}" in with_arn
    assert shlex.split(with_arn.split("\n", 1)[0]) == [f"POLICY_ARN={arn}"]  # a POSIX shell reads it back
    assert "policy_arn" not in document["missing_facts"]
    unknown = client.get(ENTRY, params={"not_a_fact": "x"}).json()
    assert "{policy_arn}" in str(unknown)  # unknown parameters are ignored: templates stay unfilled


def test_entry_etag_gives_304_and_changes_with_facts(client: TestClient) -> None:
    first = client.get(ENTRY, params={"format": "html"})
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = client.get(ENTRY, params={"format": "html"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get(ENTRY, params={"format": "html", "account_id": "123456789012"})
    assert other.headers["etag"] != etag
    assert client.get(ENTRY, params={"format": "markdown"}).headers["etag"] != etag


def test_entry_fact_with_a_control_character_is_not_placed_and_says_so(client: TestClient) -> None:
    # a line break would end a heredoc or the pasted command; a tab completes; ESC drives the terminal
    for value in ("p-x\necho>PWN", "p-x\tq", "p-x\x1b]52;c;eA==\x07", "p-x\x9b1A"):
        document = client.get(ENTRY, params={"policy_arn": value, "account_id": "123456789012"}).json()
        commands = [step["command"] for step in document["diagnosis"] if step.get("command")]
        assert any('POLICY_ARN="${POLICY_ARN:?set POLICY_ARN to the policy ARN}"' in command for command in commands)
        assert not any("p-x" in command for command in commands)
        assert document["refused_facts"] == ["policy_arn"]
        assert "policy_arn" in document["missing_facts"]
    assert "refused_facts" not in client.get(ENTRY, params={"policy_arn": "p-x"}).json()


def test_entry_fact_with_a_backslash_is_quoted_for_fish_too(client: TestClient) -> None:
    # the review's shareable link: pasted into fish, 'x\' left the quote open and `echo>PWN` ran
    entry = "/v1/entries/aws.authz.explicit_deny.identity_policy"
    params = {"action": "s3:GetObject\\", "resource": ";echo>PWN;#", "principal": "arn:aws:iam::1:role/R"}
    commands = [step["command"] for step in client.get(entry, params=params).json()["diagnosis"] if step["command"]]
    simulate = next(command for command in commands if "simulate-principal-policy" in command)
    assert "'s3:GetObject'\\\\" in simulate and "';echo>PWN;#'" in simulate


def test_entry_html_has_the_pages_csp_and_every_format_nosniff(client: TestClient) -> None:
    from api.routes.web import SECURITY_HEADERS

    html_page = client.get(ENTRY, params={"format": "html"})
    assert html_page.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self'" in html_page.headers["content-security-policy"]
    for fmt in ("html", "md", "json"):
        assert client.get(ENTRY, params={"format": fmt}).headers["x-content-type-options"] == "nosniff"
    by_accept = client.get(ENTRY, headers={"Accept": "text/html"}, params={"principal": "arn:aws:iam::1:user/x"})
    assert "content-security-policy" in by_accept.headers
