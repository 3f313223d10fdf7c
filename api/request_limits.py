"""The bounds of a diagnose request, shared by the wire model (api/schemas.py) and the CLI's explain.

`whydenied explain` checks its input against the same bounds as POST /v1/diagnose without building
the pydantic model (importing pydantic was most of the command's start-up): `request_problems`
returns what the model would refuse, one message a field. tests/test_cli.py holds the two together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

MAX_JSON_DEPTH: Final = 32
MAX_HEADERS: Final = 100
MIN_STATUS: Final = 100
MAX_STATUS: Final = 599
MAX_HEADER_NAME: Final = 256
MAX_HEADER_VALUE: Final = 8192
MAX_PROVIDER: Final = 32
PROVIDER_PATTERN: Final = r"^[A-Za-z0-9_-]+$"  # "$" as pydantic reads it: the very end, no newline before it


def request_problems(
    error: str, status_code: int | None, headers: Mapping[str, str] | None, provider: str | None
) -> list[str]:
    """Return why a text request is out of bounds ("field: reason"), or nothing when DiagnoseRequest accepts it."""
    problems: list[str] = []
    if not error.strip():
        problems.append("error: must not be empty")
    if status_code is not None and not MIN_STATUS <= status_code <= MAX_STATUS:
        problems.append(f"status_code: must be between {MIN_STATUS} and {MAX_STATUS}")
    if headers is not None:
        if len(headers) > MAX_HEADERS:
            problems.append(f"headers: more than {MAX_HEADERS} headers")
        if any(len(name) > MAX_HEADER_NAME for name in headers):
            problems.append(f"headers: a header name is longer than {MAX_HEADER_NAME} characters")
        if any(len(value) > MAX_HEADER_VALUE for value in headers.values()):
            problems.append(f"headers: a header value is longer than {MAX_HEADER_VALUE} characters")
    if provider is not None and (len(provider) > MAX_PROVIDER or not re.fullmatch(PROVIDER_PATTERN[1:-1], provider)):
        problems.append(f"provider: at most {MAX_PROVIDER} letters, digits, '_' or '-'")
    return problems
