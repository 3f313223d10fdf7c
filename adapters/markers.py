"""Fast marker tests: a big alternation split into plain substrings and a small leftover regex.

Python's regex engine tries every branch of an alternation at every position; most provider
markers are plain words, which `str.__contains__` finds in C at memchr speed. The leftover
branches (those with real regex syntax) stay one compiled pattern. Same answers, a fraction of
the cost; split once at import (the leftover regex compiles on first use, adapters/lazyre.py).
"""

from __future__ import annotations

from typing import Final

from adapters.lazyre import LONG_TEXT, LazyPattern, characters, lazy_compile

_META: Final = frozenset(".^$*+?{}[]|()")


class MarkerSet:
    """Answers `search(text) is not None` for an alternation of markers, faster."""

    def __init__(self, pattern: LazyPattern) -> None:
        self.pattern = pattern
        literals: list[str] = []
        rest: list[str] = []
        for branch in _top_level_branches(pattern.pattern):
            literal = _as_literal(branch)
            (literals.append(literal) if literal is not None else rest.append(branch))
        self.literals: tuple[str, ...] = tuple(literals)
        self.needs = tuple(frozenset(literal) for literal in literals)
        self.rest = lazy_compile("|".join(rest), pattern.flags) if rest else None

    def found(self, text: str) -> bool:
        """Tell whether any marker occurs in the text."""
        if len(text) >= LONG_TEXT:  # only the literals whose characters all occur in the text are looked for
            chars = characters(text)
            if any(need <= chars and lit in text for need, lit in zip(self.needs, self.literals, strict=True)):
                return True
        else:
            for literal in self.literals:  # a loop, not any(<generator>): ~30 literals a paste
                if literal in text:
                    return True
        return self.rest is not None and self.rest.search(text) is not None


def _top_level_branches(source: str) -> list[str]:
    branches: list[str] = []
    depth = 0
    start = 0
    escaped = False
    in_class = False
    for index, char in enumerate(source):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(source[start:index])
            start = index + 1
    branches.append(source[start:])
    return branches


def _as_literal(branch: str) -> str | None:
    """Return the branch as a plain string if it has no regex syntax beyond escaped characters."""
    out: list[str] = []
    escaped = False
    for char in branch:
        if escaped:
            if char.isalnum():  # \b, \d, \s ... are syntax, not characters
                return None
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _META:
            return None
        else:
            out.append(char)
    return "".join(out) if out and not escaped else None
