"""Regexes compiled on first use, so a process pays only for the patterns its pastes reach.

The adapters hold ~500 patterns. Compiling them all at import (Python's regex compiler is pure
Python) was the largest part of `whydenied explain`'s start-up, and an AWS paste never reaches the
Azure, Kubernetes or GCP patterns behind those adapters' gates. `lazy_compile` takes what
`re.compile` takes and returns a `LazyPattern` with the same matching methods: the first call
compiles and rebinds the compiled pattern's own methods on the instance, so every later call goes
straight to them. Same patterns, same answers; only the moment of compiling moves.

A literal prefilter keeps a miss cheap on long texts: Python's regex engine tries a pattern at every
position unless it starts with a literal, and an alternation of phrases or a leading `\b` defeats
that, so one such pattern cost ~1 ms per 64 KiB pasted. When every match must contain a literal
(each branch of a top-level alternation its own), `str.__contains__` (C, memchr speed) is asked first
and a text without any of them is answered "no match" without running the regex. A caseless
pattern's literals are looked for in the lower-cased text, and only when the text is ASCII
(IGNORECASE's Unicode folds, such as ſ for s, are not `str.lower`'s): otherwise the regex runs.

A process that starts often (`whydenied explain`) can also skip the compiling: `compiled_table()`
returns what the regex compiler made of every pattern (its code, groups and literals), which the
CLI keeps in its catalogue snapshot, and `use_compiled_table()` hands it back to a later process.
Python's compiler is pure Python; `_sre.compile` (C) turns the stored code into a pattern equal to
`re.compile`'s (the same pattern, flags and code: tests/adapters/test_lazyre.py compares them all).
A table from another regex engine version (`_sre.MAGIC`) is ignored; a pattern it lacks compiles as
before.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import re
import re._compiler as sre_compile  # type: ignore[import-not-found]  # no stubs: re.compile's own steps
import re._constants as sre  # type: ignore[import-not-found]  # no stubs: the parser behind re.compile
import re._parser as sre_parse  # type: ignore[import-not-found]
import sys
from array import array
from collections.abc import Callable, Iterator
from typing import Any, Final

_METHODS: Final = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")
_MIN_LITERAL: Final = 3  # shorter literals occur almost everywhere: checking them first saves nothing


# What the compiler made of a pattern: flags, code (uint32 bytes), groups, group index, index group, literals.
CompiledForm = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...], tuple[str, ...]]
_CREATED: list[LazyPattern] = []  # every pattern made, for compiled_table()
_compiled_table: dict[tuple[str, int], CompiledForm] = {}


class LazyPattern:
    """A `re.Pattern[str]` stand-in that compiles itself the first time it is used."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        _CREATED.append(self)

    def compiled(self) -> re.Pattern[str]:
        """Return the compiled pattern, compiling it (once) now."""
        form = _compiled_table.get((self.pattern, self.flags))
        if form is not None:
            compiled = _from_form(self.pattern, form)
            literals = form[5]
        else:
            compiled = re.compile(self.pattern, self.flags)
            literals = required_literals(self.pattern, self.flags)
        # Instance attributes shadow the class's methods: later calls reach `re`'s C methods directly
        # (or the prefiltered ones). Two threads racing here both bind equivalent methods: harmless.
        methods = _prefiltered(compiled, literals) if literals else {name: getattr(compiled, name) for name in _METHODS}
        for name, method in methods.items():
            setattr(self, name, method)
        self.compiled = lambda: compiled  # type: ignore[method-assign]
        return compiled

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """As `re.Pattern.search`."""
        return self.compiled().search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """As `re.Pattern.match`."""
        return self.compiled().match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """As `re.Pattern.fullmatch`."""
        return self.compiled().fullmatch(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        """As `re.Pattern.finditer`."""
        return self.compiled().finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        """As `re.Pattern.findall`."""
        return self.compiled().findall(string, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        """As `re.Pattern.sub`."""
        return self.compiled().sub(repl, string, count)

    def subn(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> tuple[str, int]:
        """As `re.Pattern.subn`."""
        return self.compiled().subn(repl, string, count)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        """As `re.Pattern.split`."""
        return self.compiled().split(string, maxsplit)

    def __reduce__(self) -> tuple[type[LazyPattern], tuple[str, int]]:
        return LazyPattern, (self.pattern, self.flags)

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r}, {self.flags!r})"


def compiled_form(pattern: str, flags: int = 0) -> CompiledForm:
    """Compile as `re.compile` does (re/_compiler.py `compile`), keeping the parts `_sre.compile` takes."""
    parsed = sre_parse.parse(pattern, flags)
    code = sre_compile._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    literals = _required(list(parsed), bool(parsed.state.flags & re.IGNORECASE))
    packed = array("I", code).tobytes()
    return flags | parsed.state.flags, packed, parsed.state.groups - 1, groupindex, tuple(indexgroup), literals


def _from_form(pattern: str, form: CompiledForm) -> re.Pattern[str]:
    flags, packed, groups, groupindex, indexgroup, _literals = form
    compiled: re.Pattern[str] = _sre.compile(
        pattern, flags, array("I", packed).tolist(), groups, groupindex, indexgroup
    )
    return compiled


def compiled_table() -> tuple[int, dict[tuple[str, int], CompiledForm]]:
    """Return the regex engine's version and every pattern made so far, compiled (for `use_compiled_table`)."""
    table: dict[tuple[str, int], CompiledForm] = {}
    for lazy in _CREATED:
        key = (lazy.pattern, lazy.flags)
        if key not in table:
            try:
                table[key] = compiled_form(*key)
            except re.error:
                continue  # it raises when used, as re.compile would
    return _sre.MAGIC, table


def use_compiled_table(magic: int, table: dict[tuple[str, int], CompiledForm]) -> None:
    """Compile the patterns this table holds from it, from now on (a table from another engine is ignored)."""
    global _compiled_table
    if magic == _sre.MAGIC and array("I").itemsize == 4 and _sre.CODESIZE == 4:  # SRE_CODE is 32 bits
        _compiled_table = table


def lazy_compile(pattern: str, flags: int | re.RegexFlag = 0) -> LazyPattern:
    """Return `re.compile(pattern, flags)`, compiled when first used rather than now."""
    return LazyPattern(pattern, int(flags))


def required_literals(pattern: str, flags: int = 0) -> tuple[str, ...]:
    """Return literals one of which every match contains, or () when the pattern has none to offer.

    A sequence gives its longest run of literal characters (zero-width `\\b`, `^` and lookarounds do
    not break a run: they consume nothing), else what one of its groups requires; an alternation
    gives what each branch requires, or nothing if any branch requires nothing.
    """
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error:
        return ()
    return _required(list(parsed), bool(parsed.state.flags & re.IGNORECASE))


def _required(items: list[tuple[Any, Any]], caseless: bool) -> tuple[str, ...]:
    if len(items) == 1 and items[0][0] is sre.BRANCH:
        each = [_required(list(branch), caseless) for branch in items[0][1][1]]
        return tuple(dict.fromkeys(lit for lits in each for lit in lits)) if all(each) else ()
    run = _longest_run(items, caseless)
    if len(run) >= _MIN_LITERAL:
        return (run,)
    for op, value in items:  # else a group every match passes through, e.g. (?:Forbidden|Proxy Auth)
        if op is sre.BRANCH:
            inner = [(op, value)]
        elif op is sre.SUBPATTERN and not value[1] and not value[2]:  # no (?i:...) of its own
            inner = list(value[3])
        else:
            continue
        if found := _required(inner, caseless):
            return found
    return ()


def _longest_run(items: list[tuple[Any, Any]], caseless: bool) -> str:
    """The longest run of literal characters (lower-cased ASCII ones only, for a caseless pattern)."""
    best, current = "", ""
    for op, value in items:
        if op is sre.LITERAL and (not caseless or value < 128):
            current += chr(value).lower() if caseless else chr(value)
            best = max(best, current, key=len)
        elif op not in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            current = ""
    return best


LONG_TEXT: Final = 4096  # from here on, a text's character set is worth computing (see characters())
# The character sets of the last few long texts, keyed by the text itself: one classification asks
# about the paste, its lower-cased form, its window and slices of it in turn, often as new string
# objects with the same content; hashing and comparing a text (C, memcmp speed) costs far less than
# building its set again. Cleared when full: bounded, and a race between threads at worst recomputes.
_CHARACTER_SETS: dict[str, frozenset[str]] = {}
_CHARACTER_SETS_KEPT: Final = 8


def characters(string: str) -> frozenset[str]:
    """Return the set of characters in the text (kept for the last few texts: many patterns ask).

    A literal with a character the text lacks cannot occur in it. `str.__contains__` is fast on
    varied text but walks a long run of one character (64 KiB of "a") nearly byte by byte for each
    literal; this set answers for all of them at once.
    """
    found = _CHARACTER_SETS.get(string)
    if found is None:
        found = frozenset(string)
        if len(_CHARACTER_SETS) >= _CHARACTER_SETS_KEPT:
            _CHARACTER_SETS.clear()
        _CHARACTER_SETS[string] = found
    return found


_last_lowered: tuple[str, str] = ("", "")  # (text, text.lower()): caseless patterns in a row share one


def _lowered(string: str) -> str:
    global _last_lowered
    last = _last_lowered  # one read: another thread may replace the pair, never half of it
    if last[0] is string:
        return last[1]
    lowered = string.lower()
    _last_lowered = (string, lowered)
    return lowered


def _prefiltered(compiled: re.Pattern[str], literals: tuple[str, ...]) -> dict[str, Callable[..., Any]]:
    """The matching methods, each answering "no match" at once for a text without any literal."""
    caseless = bool(compiled.flags & re.IGNORECASE)
    needs = tuple(frozenset(literal) for literal in literals)

    def present(string: str) -> bool:
        if caseless:
            if not string.isascii():
                return True  # let the regex decide (see the module docstring)
            string = _lowered(string)
        if len(string) >= LONG_TEXT:
            chars = characters(string)
            return any(need <= chars and literal in string for need, literal in zip(needs, literals, strict=True))
        for literal in literals:  # noqa: SIM110 - a loop, not any(<generator>): this runs on every call
            if literal in string:
                return True
        return False

    def gated(method: Callable[[str, int, int], re.Match[str] | None]) -> Callable[..., re.Match[str] | None]:
        # `present` inlined for a short text, the usual call: a classification makes ~70 searches and
        # matches, most answered "no match" at the literals, where a second Python call was half the cost.
        if not caseless and len(literals) == 1:  # most patterns: one literal, case-sensitive
            (literal,) = literals

            def call_one(string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
                if len(string) < LONG_TEXT:
                    return method(string, pos, endpos) if literal in string else None
                return method(string, pos, endpos) if present(string) else None

            return call_one

        def call(string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
            text = string
            if caseless:
                if not string.isascii():
                    return method(string, pos, endpos)  # let the regex decide (see the module docstring)
                text = _lowered(string)
            if len(text) >= LONG_TEXT:
                return method(string, pos, endpos) if present(string) else None
            for literal in literals:
                if literal in text:
                    return method(string, pos, endpos)
            return None

        return call

    search, match, fullmatch = gated(compiled.search), gated(compiled.match), gated(compiled.fullmatch)

    def finditer(string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return compiled.finditer(string, pos, endpos) if present(string) else iter(())

    def findall(string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return compiled.findall(string, pos, endpos) if present(string) else []

    def sub(repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return compiled.sub(repl, string, count) if present(string) else string

    def subn(repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> tuple[str, int]:
        return compiled.subn(repl, string, count) if present(string) else (string, 0)

    def split(string: str, maxsplit: int = 0) -> list[str | Any]:
        return compiled.split(string, maxsplit) if present(string) else [string]

    return {"search": search, "match": match, "fullmatch": fullmatch, "finditer": finditer,
            "findall": findall, "sub": sub, "subn": subn, "split": split}  # fmt: skip
