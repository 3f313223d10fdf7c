"""A diagnosis answer as JSON bytes: orjson where it can, pydantic-core's serialiser where it cannot.

The full answer is ~17 KB of nested dicts and lists; pydantic-core's `to_json` took ~24 µs of a
~310 µs uncached diagnosis, orjson ~7 µs for the same bytes (bench/RESULTS.md). Both write compact
JSON, keys in insertion order, non-ASCII as UTF-8, control characters escaped the same way, floats
in their shortest form; tests/api/test_json_bytes.py holds them to the same bytes. (They differ on
NaN and infinity, null against NaN: an answer's one float is its rounded confidence, never either.)
What orjson refuses and pydantic-core writes (an integer past 64 bits, a set, a key that is not a
string) goes through `to_json`, so the output never depends on which one wrote it; a lone surrogate
is refused by both, as before.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic_core import to_json


def json_bytes(data: Any) -> bytes:
    """Return the data as compact JSON, as pydantic-core's `to_json` writes it."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError is a TypeError: what it cannot write, to_json can
        return to_json(data)
