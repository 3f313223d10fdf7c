"""Markdown output read by a real CommonMark parser: every command stays whole in its code block,
and nothing from a fact becomes a live element (a script, an image, a link) when a docs site or a
ticket tracker renders the page with raw HTML enabled."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from api.catalog import Catalog
from api.export import export
from api.formats import to_markdown
from api.terminal import render_markdown

ROOT: Final = Path(__file__).resolve().parents[2]
# CommonMark with raw HTML on (as many docs sites render it) and GFM tables (as ticket trackers do)
PARSER: Final = MarkdownIt("commonmark", {"html": True}).enable("table")
# What a hostile fact must never become in the rendered page: an element, or a link to its site
LIVE: Final = re.compile(r"<(?:script|img|iframe)\b|<a [^>]{0,200}evil\.example")
HOSTILE: Final = [
    pytest.param("x\n<script>alert(1)</script>", id="newline-script"),
    pytest.param("x\n\n<img src=x onerror=alert(1)>\n", id="blank-line-img"),
    pytest.param("x\n```\n<script>alert(1)</script>\n```", id="fence-close"),
    pytest.param("x````y\n~~~\n<script>alert(1)</script>", id="backtick-run"),
    pytest.param("*[URGENT: log in again](https://evil.example/login)*", id="link"),
    pytest.param("x\r\n    <iframe src=https://evil.example>", id="crlf-indented"),
    pytest.param("</code></pre><script>alert(1)</script>", id="close-tags"),
]


def _commands(document: dict[str, Any]) -> list[str]:
    steps = [step for key in ("diagnosis", "fix", "verify") for step in document.get(key) or []]
    steps += document.get("sections") or []
    return [step["command"] for step in steps if step.get("command")]


def _code_blocks(markdown: str) -> list[str]:
    return [token.content for token in PARSER.parse(markdown) if token.type in ("fence", "code_block")]


def _broken(markdown: str, commands: list[str]) -> list[str]:
    """Return the commands that are not, whole and alone, the content of one code block."""
    blocks = _code_blocks(markdown)
    return [command for command in commands if command + "\n" not in blocks]


def test_exported_markdown_keeps_every_command_whole_in_a_code_block(catalog: Catalog, tmp_path: Path) -> None:
    export(catalog, tmp_path, "markdown")
    broken: dict[str, list[str]] = {}
    for entry_id, compiled in catalog.entries.items():
        markdown = (tmp_path / f"{entry_id}.md").read_text(encoding="utf-8")
        if failures := _broken(markdown, _commands(compiled.render({}))):
            broken[entry_id] = failures
    assert broken == {}


def test_markdown_indents_commands_under_step_ten_and_after() -> None:
    steps = [{"text": f"Step {n}.", "command": f"echo {n}\necho again {n}"} for n in range(1, 12)]
    markdown = to_markdown({"title": "T", "summary": "S", "diagnosis": steps})
    tokens = PARSER.parse(markdown)
    assert _broken(markdown, [step["command"] for step in steps]) == []
    assert [t.type for t in tokens].count("ordered_list_open") == 1  # one list: no step left it


@pytest.mark.parametrize("value", HOSTILE)
def test_entry_markdown_with_hostile_facts_stays_inert(shared_client: TestClient, catalog: Catalog, value: str) -> None:
    facts = dict.fromkeys(catalog.taxonomy.facts, value)
    for entry_id in catalog.entries:
        markdown = shared_client.get(f"/v1/entries/{entry_id}", params={"format": "md", **facts}).text
        document = shared_client.get(f"/v1/entries/{entry_id}", params=facts).json()
        page = PARSER.render(markdown)
        assert LIVE.findall(page) == [], entry_id
        assert _broken(markdown, _commands(document)) == [], entry_id


def test_ticket_markdown_escapes_a_note_from_the_paste() -> None:
    note = "Ab*[URGENT](https://evil.example/login)* <img src=x onerror=alert(1)> `x` <script>alert(1)</script>"
    response: dict[str, Any] = {
        "provider": "aws",
        "category": "other",
        "reason": None,
        "confidence": 0.5,
        "facts": {},
        "note": note,
    }
    page = PARSER.render(render_markdown(response))
    assert LIVE.findall(page) == []
    assert f"<p>{html.escape(note, quote=False)}</p>" in page  # shown as written, as text


@pytest.mark.parametrize(
    "value",
    ["a|b`c`` *[x](https://evil.example)* <script>alert(1)</script>", "`starts", "ends`", "a\\|b", "x\\"],
)
def test_ticket_facts_table_shows_each_value_whole_in_its_code_span(value: str) -> None:
    response = {"provider": "aws", "category": "other", "reason": None, "confidence": 0.5, "facts": {"resource": value}}
    page = PARSER.render(render_markdown(response))
    assert LIVE.findall(page) == []
    assert f"<td><code>{html.escape(value, quote=False)}</code></td>" in page  # backticks and pipes kept as pasted


LAMBDA_PASTE: Final = (
    "An error occurred (AccessDeniedException) when calling the Invoke operation: User: "
    "arn:aws:iam::123456789012:user/x is not authorized to perform: lambda:InvokeFunction on resource: "
    "arn:aws:lambda:us-east-1:123456789012:function:f*[URGENT](https://evil.example/login)* "
    "because no resource-based policy allows the lambda:InvokeFunction action\n"
)
NOTE_PASTE: Final = (  # the code (and so the note) is the paste's text; a colon would end it
    '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException*[x](//evil.example/)*<img src=x onerror=1>",'
    '"message":"Requested resource not found"}'
)


@pytest.mark.parametrize("paste", [LAMBDA_PASTE, NOTE_PASTE], ids=["resource-in-commands", "code-in-note"])
def test_explain_markdown_ticket_has_no_live_link_from_the_paste(paste: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "explain", "--markdown"],
        input=paste,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=60,
        check=False,
    )
    assert result.stdout, result.stderr
    page = PARSER.render(result.stdout)
    assert LIVE.findall(page) == []
    assert "evil.example" in result.stdout  # shown, as text or code, not dropped


@pytest.mark.parametrize("value", HOSTILE)
def test_verdict_card_markdown_with_hostile_facts_stays_inert(catalog: Catalog, value: str) -> None:
    """The card quotes who, what and where from the paste, and repeats the first step's command."""
    from api.verdict import build

    facts = {"principal": value, "action": value, "resource": value, "policy_arn": value}
    for entry_id in ("aws.authz.explicit_deny.scp", "aws.authz.implicit_deny.identity_policy"):
        guidance = catalog.entries[entry_id].render(facts)
        response = {"provider": "aws", "category": "authorization", "reason": entry_id, "confidence": 0.9}
        markdown = render_markdown({**response, "facts": facts, "guidance": guidance})
        card = markdown.split("\n---\n", 1)[0]
        page = PARSER.render(card)
        assert LIVE.findall(PARSER.render(markdown)) == [], entry_id
        assert _broken(markdown, _commands(guidance)) == [], entry_id
        first = build({**response, "facts": facts, "guidance": guidance}).first_step
        assert first is not None
        if first.command:
            assert _broken(card, [first.command]) == [], entry_id
        shown = " ".join(_LINE_ENDING.split(value))  # a code span shows line breaks as spaces
        assert f"<strong>Who:</strong> <code>{html.escape(shown, quote=False)}</code>" in page, entry_id


_LINE_ENDING: Final = re.compile(r"\r\n?|\n")


def test_ticket_markdown_keeps_every_command_whole_for_every_reason(catalog: Catalog) -> None:
    """`explain --markdown` / `diagnose --markdown` for each reason entry's first real example: the
    card's first command and every playbook command is one code block, and the page has one card."""
    from api.schemas import DiagnoseRequest
    from api.services.diagnosis import diagnose_request

    broken: dict[str, list[str]] = {}
    for entry in catalog.reason_entries():
        response = diagnose_request(DiagnoseRequest.model_validate(entry.examples[0].input), catalog)
        markdown = render_markdown(response.model_dump(mode="json"))
        assert response.guidance is not None
        if failures := _broken(markdown, _commands(response.guidance)):
            broken[entry.id] = failures
        headings = [t for t in PARSER.parse(markdown) if t.type == "heading_open" and t.tag == "h1"]
        assert len(headings) == 2, entry.id  # the card's verdict, then the playbook's title
    assert broken == {}
