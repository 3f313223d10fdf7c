"""Lazily compiled, prefiltered patterns answer exactly as `re` does (adapters/lazyre.py).

Every adapter pattern is checked against `re.compile` of the same source on the real payloads of
the suite (normalised text and flat text) and on hostile inputs: same match spans and groups, same
substitutions. A prefilter that skipped a text the regex would match would change a diagnosis.
"""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest

import adapters.registry  # noqa: F401 - loads every adapter module, so all their patterns exist
from adapters.lazyre import LazyPattern, lazy_compile, required_literals
from adapters.normalize import normalize
from tests.adapters.harness import load_payloads
from tests.adapters.test_adversarial import ADVERSARIAL

ROOT = Path(__file__).parent


def _patterns() -> list[LazyPattern]:
    found = {id(obj): obj for obj in gc.get_objects() if isinstance(obj, LazyPattern)}
    return sorted(found.values(), key=lambda p: (p.pattern, p.flags))


def _texts() -> list[str]:
    texts: list[str] = []
    for folder in sorted(path for path in ROOT.iterdir() if path.is_dir() and path.name != "__pycache__"):
        for item in load_payloads(folder):
            body = item["input"]
            payload = normalize(body["error"], status_code=body.get("status_code"), headers=body.get("headers"))
            texts += [payload.text, payload.flat]
    texts += [text[:4096] for text in ADVERSARIAL.values()]
    # Case folds outside ASCII: IGNORECASE matches "ſ" (long s) for "s" and "K" (Kelvin) for "k".
    texts += ["AccesS DENIED ſtatus Kms Forbidden", "ſignature does not match", "TOKEN HAS EXPIRED AND REFRESH FAILED"]
    return texts


TEXTS = _texts()


def _spans(matches: list[re.Match[str] | None]) -> list[object]:
    return [(m.span(), m.groups()) if m is not None else None for m in matches]


@pytest.mark.parametrize("pattern", _patterns(), ids=lambda p: p.pattern[:60])
def test_every_adapter_pattern_answers_as_re_does(pattern: LazyPattern) -> None:
    reference = re.compile(pattern.pattern, pattern.flags)
    fresh = lazy_compile(pattern.pattern, pattern.flags)
    # The prefilter never skips a text with a match: search, match and fullmatch share one gate (short
    # and long texts, one literal or several, caseless or not), finditer and the rest another.
    assert _spans([fresh.search(text) for text in TEXTS]) == _spans([reference.search(text) for text in TEXTS])
    for text in TEXTS:
        for start in (0, text.find(":") + 1):  # at the start, and from a position inside the text
            assert _spans([fresh.match(text, start)]) == _spans([reference.match(text, start)])
            assert _spans([fresh.fullmatch(text, start)]) == _spans([reference.fullmatch(text, start)])
    assert [[m.span() for m in fresh.finditer(t)] for t in TEXTS] == [
        [m.span() for m in reference.finditer(t)] for t in TEXTS
    ]


def test_required_literals_are_what_every_match_contains() -> None:
    assert required_literals(r"\bcode E([45][0-9]{2})\b") == ("code E",)
    assert required_literals(r"Token has expired|aws sso login", re.IGNORECASE) == (
        "token has expired",
        "aws sso login",
    )
    # A group every match passes through; an optional one gives nothing.
    assert required_literals(r"\b(401|403)\)? ?(?:Forbidden|Proxy Auth)") == ("Forbidden", "Proxy Auth")
    assert required_literals(r"a(?:bcdef|ghijk)?") == ()
    # A branch with no literal of its own makes the whole alternation unfilterable.
    assert required_literals(r"Forbidden|\d{3}") == ()
    # A scoped (?i:...) is not read as case-sensitive text.
    assert required_literals(r"x(?i:forbidden)") == ()


def test_caseless_prefilter_leaves_non_ascii_text_to_the_regex() -> None:
    # "ſ" lower-cases to itself, yet IGNORECASE matches it for "s": the regex must decide.
    pattern = lazy_compile(r"status code", re.IGNORECASE)
    assert pattern.search("ſtatus code: 403") is not None
    assert pattern.search("STATUS CODE: 403") is not None
    assert pattern.search("no such words here") is None
    assert pattern.sub("-", "a Status Code b") == "a - b"
    assert pattern.sub("-", "nothing") == "nothing"
    assert pattern.split("x status code y") == ["x ", " y"]


def test_a_lazy_pattern_compiles_on_first_use_only() -> None:
    pattern = lazy_compile(r"AccessDenied(?:Exception)?")
    assert "search" not in vars(pattern)  # nothing compiled yet
    assert pattern.search("An error occurred (AccessDeniedException)") is not None
    assert "search" in vars(pattern)  # later calls go straight to the compiled method


def test_the_compiled_table_rebuilds_every_pattern_as_re_compile_does() -> None:
    # The CLI's snapshot keeps this table; a pattern rebuilt from it must be re.compile's own
    # (Pattern equality compares the pattern, the flags and the compiled code).
    from adapters.lazyre import _from_form, compiled_table

    _magic, table = compiled_table()
    assert {(p.pattern, p.flags) for p in _patterns()} <= set(table)
    for (pattern, flags), form in table.items():
        assert _from_form(pattern, form) == re.compile(pattern, flags), pattern
        assert form[5] == required_literals(pattern, flags), pattern


def test_a_pattern_in_the_installed_table_is_not_compiled_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import _sre  # type: ignore[import-not-found]

    import adapters.lazyre as lazyre

    monkeypatch.setattr(lazyre, "_compiled_table", {})
    source, flags = r"\bnot authorized to perform: (?P<action>[\w-]+:\w+)", int(re.IGNORECASE)
    magic, table = _sre.MAGIC, {(source, flags): lazyre.compiled_form(source, flags)}
    lazyre.use_compiled_table(magic + 1, table)  # another regex engine's table: ignored
    assert lazyre._compiled_table == {}
    lazyre.use_compiled_table(magic, table)

    def no_compiling(*_args: object) -> re.Pattern[str]:
        raise AssertionError("compiled although the table holds it")

    monkeypatch.setattr(re, "compile", no_compiling)  # the `re` module adapters/lazyre.py calls
    pattern = lazy_compile(source, flags)
    found = pattern.search("User: x is Not Authorized to perform: s3:GetObject on resource")
    monkeypatch.undo()
    assert found is not None and found.group("action") == "s3:GetObject"
    assert pattern.compiled() == re.compile(source, flags)
