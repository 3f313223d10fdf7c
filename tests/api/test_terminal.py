"""The terminal renderer's own guard: whatever a response holds, no control character reaches the terminal."""

from __future__ import annotations

import re
from typing import Any, Final

import pytest

from api.terminal import Style, render_markdown, render_text

# OSC 52 (clipboard write), CSI erase, BEL, CR (rewrites the line), backspace, C1 CSI, DEL.
HOSTILE: Final = "x\x1b]52;c;Y3VybCBldmlsfHNoCg==\x07\x1b[2J\r\b\x9b1A\x7f\x00y"
_OUR_COLOURS: Final = re.compile(r"\x1b\[[0-9;]{1,8}m")


def _response(value: str) -> dict[str, Any]:
    """A response with the value in every place the renderers print, as a future adapter might leave it."""
    step = {"text": value, "command": f"echo {value}\nls", "missing": [], "expect": value}
    return {
        "provider": value,
        "category": "authorization",
        "reason": "aws.authz.explicit_deny.scp",
        "confidence": 0.9,
        "facts": {"resource": value, value: "key"},
        "note": value,
        "guidance": {
            "id": "aws.authz.explicit_deny.scp",
            "title": value,
            "summary": value,
            "causes": [value],
            "diagnosis": [step],
            "fix": [step],
            "verify": [step],
            "pitfalls": [value],
            "references": [value],
            "least_privilege": {"command": value, "policy": {"Resource": value}},
        },
    }


def _controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0]


@pytest.mark.parametrize("colour", [False, True], ids=["plain", "colour"])
def test_text_prints_no_control_character_from_any_value(colour: bool) -> None:
    out = render_text(_response(HOSTILE), Style(colour))
    assert _controls(_OUR_COLOURS.sub("", out)) == []
    assert "echo x]52;c;Y3VybCBldmlsfHNoCg==[2J1Ay\n" in out  # the command keeps its lines, minus the controls
    assert ("\x1b[1;31m" in out) is colour  # its own colours are kept


def test_text_prints_no_control_character_from_a_note() -> None:
    response = {**_response(HOSTILE), "reason": None, "guidance": None, "category": "other"}
    out = render_text(response, Style(False))
    assert "x]52;c;" in out and _controls(out) == []


def test_markdown_prints_no_control_character_from_any_value() -> None:
    assert _controls(render_markdown(_response(HOSTILE))) == []
    assert _controls(render_markdown({**_response(HOSTILE), "guidance": None})) == []
