"""The answer's JSON is the same bytes whichever serialiser wrote it (api/json_bytes.py).

Clients hash and diff answers, and the response cache stores them: orjson's bytes must be pydantic-
core's, for any text a paste can put in a fact (control characters, line separators, emoji, quotes),
and what orjson refuses must still be written, by the other.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import to_json

from api.json_bytes import json_bytes

# What an answer holds: strings (any valid Unicode: no lone surrogates, as UTF-8 cannot hold them),
# 64-bit integers, finite floats, booleans, null, and lists and string-keyed dicts of those.
_TEXT = st.text(st.characters(exclude_categories=["Cs"]))
_LEAF = st.one_of(
    _TEXT,
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
_ANSWERS = st.recursive(_LEAF, lambda inner: st.lists(inner) | st.dictionaries(_TEXT, inner), max_leaves=40)


@given(_ANSWERS)
def test_the_same_bytes_as_pydantic_core(data: Any) -> None:
    assert json_bytes(data) == to_json(data)


def test_control_characters_and_separators_escape_alike() -> None:
    text = 'line\nbreak\ttab\x00nul\x1bESC\x7fDEL\u2028LS\u2029PS "quoted" back\\slash é 😀 </script>'
    assert json_bytes({"fact": text}) == to_json({"fact": text})


def test_what_orjson_refuses_is_still_written() -> None:
    # An integer past 64 bits (a number in a pasted JSON body), a tuple and a set: orjson raises on the
    # first and last; the answer is written all the same, as pydantic-core writes it.
    data = {"big": 2**70, "pair": (1, 2), "kinds": {"a"}}
    assert json_bytes(data) == to_json(data) == b'{"big":1180591620717411303424,"pair":[1,2],"kinds":["a"]}'
