"""Parse WWW-Authenticate / Proxy-Authenticate values into challenges (RFC 9110 §11.6.1).

    challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    auth-param  = token BWS "=" BWS ( token / quoted-string )

One header value may hold several challenges (`Negotiate, NTLM`; `Basic realm="a", Bearer
realm="b"`), so the value is split on commas outside quoted strings, and each piece either
starts a new challenge (`scheme ...`) or adds a parameter to the current one (`name=value`).
A single left-to-right scan: linear in the header's length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

MAX_HEADER_CHARS: Final = 4096
_TOKEN_CHARS: Final = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Challenge:
    """One authentication challenge: its scheme and its parameters (names lower-cased)."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    def param(self, name: str) -> str | None:
        """Return a parameter by case-insensitive name."""
        return self.params.get(name.lower())


def parse_challenges(value: str) -> tuple[Challenge, ...]:
    """Return the challenges in a WWW-Authenticate value, in order."""
    challenges: list[Challenge] = []
    for piece in _split_outside_quotes(value[:MAX_HEADER_CHARS]):
        piece = piece.strip()
        if not piece:
            continue
        name, sep, rest = _split_param(piece)
        if sep and challenges:  # `realm="x"`: a parameter of the current challenge
            challenges[-1].params.setdefault(name.lower(), rest)
            continue
        scheme, _, after = piece.partition(" ")
        if not scheme or not all(ch in _TOKEN_CHARS for ch in scheme):
            continue
        challenge = Challenge(scheme=scheme)
        after = after.strip()
        if after:
            name, sep, rest = _split_param(after)
            if sep:
                challenge.params[name.lower()] = rest
            else:
                challenge = Challenge(scheme=scheme, token68=after)
        challenges.append(challenge)
    return tuple(challenges)


def _split_outside_quotes(value: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == "," and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    return pieces


def _split_param(piece: str) -> tuple[str, bool, str]:
    """Split `name = "value"` into (name, True, value); (piece, False, "") when not a param."""
    name, sep, rest = piece.partition("=")
    name = name.strip()
    if not sep or not name or not all(ch in _TOKEN_CHARS for ch in name):
        return piece, False, ""
    rest = rest.strip()
    if not rest or rest.startswith("="):  # `abc==` is a token68 with padding, not a param
        return piece, False, ""
    if rest.startswith('"') and rest.endswith('"') and len(rest) >= 2:
        rest = rest[1:-1]
    return name, True, rest
