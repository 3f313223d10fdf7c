"""Find the HTTP status and the request URL in pasted text, in the wordings clients print.

Each pattern is anchored on a literal phrase, with bounded repetition only.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from adapters.lazyre import LazyPattern, lazy_compile

# (pattern, what printed it). The first that matches wins; group 1 is the status.
_STATUS_PATTERNS: Final[tuple[tuple[LazyPattern, str], ...]] = (
    # requests: "401 Client Error: Unauthorized for url: https://api.github.com/user"
    (lazy_compile(r"\b([45][0-9]{2}) (?:Client|Server) Error: "), "the requests HTTPError"),
    # axios: "Request failed with status code 403"; a script: "Status code : 401"
    (lazy_compile(r"[Ss]tatus[ _-]?[Cc]ode ?:? ?([1-5][0-9]{2})\b"), "the 'status code' in the text"),
    # Chrome console: "the server responded with a status of 401 (Unauthorized)"
    (lazy_compile(r"responded with a status of ([1-5][0-9]{2})\b"), "the browser console"),
    # PowerShell: "Response status code does not indicate success: 401 (Unauthorized)."
    (lazy_compile(r"does not indicate success: ([45][0-9]{2})\b"), "the PowerShell error"),
    # .NET: "(403) Forbidden."; IIS: "403 - Forbidden"; "401 UNAUTHORIZED"; "407 Proxy Auth..."
    (
        lazy_compile(
            r"\b(401|403|407|429)\)? ?-? ?\(?(?:Unauthori[sz]ed|Forbidden|Proxy Auth|Too Many)",
            re.IGNORECASE,
        ),
        "the status phrase in the text",
    ),
    # urllib: "HTTP Error 403: Forbidden"; gh: "HTTP 401: ..."; "HTTP status 403"; Chrome: "HTTP ERROR 407"
    (
        lazy_compile(r"\bHTTP(?: [Ee]rror| ERROR| [Ss]tatus| response)?:? ([1-5][0-9]{2})\b"),
        "the 'HTTP nnn' in the text",
    ),
    # JSON / Python dict / Spring: "status": 403, 'statusCode': 401, status=403, status: '403'
    (
        lazy_compile(
            r"\b(?:status|statusCode|status_code|status-code|httpStatus|code)[\"']? ?[:=] ?[\"']?"
            r"([1-5][0-9]{2})\b"
        ),
        "the status in the error body",
    ),
    # go-github: "GET https://api.github.com/user: 401 Bad credentials []"
    (
        lazy_compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD) https?://[^\s]{1,2048}: ([45][0-9]{2})\b"),
        "the Go client error",
    ),
    # npm: "npm ERR! code E401"
    (lazy_compile(r"\bcode E([45][0-9]{2})\b"), "npm's error code"),
)
# Worded after the status's number, with a space before it (" 403"). Each is tried at every position
# of the text (it starts with no literal), ~10 µs a call on a short paste: asked only of a text with
# a space and a 4xx or 5xx word in it (_SPACED_STATUS, which starts with its literal: fast).
_SPACED_STATUS_PATTERNS: Final[tuple[tuple[LazyPattern, str], ...]] = (
    # "Received a 403 error", "Unexpected HTTP response 401", "returned 403", "got 401"
    (
        lazy_compile(r"(?:[Rr]eceived|[Rr]esponse|[Rr]eturned|[Gg]ot)(?: an?)? (?:HTTP )?([45][0-9]{2})\b"),
        "the status in the text",
    ),
    # GitlabHttpError: 403: ..., RateLimitExceededException: 403 {...}, "Error code: 429", "Error 403"
    (lazy_compile(r"(?:[Ee]rror|[Ee]xception|[Cc]ode):? ([45][0-9]{2})\b"), "the status in the text"),
)
_SPACED_STATUS = lazy_compile(r" [45][0-9]{2}\b")

# requests: "for url: https://x"; Chrome console: "GET https://x 401"; axios: "url: 'https://x'"
_URL_PATTERNS: Final = (
    lazy_compile(r"for url: (https?://[^\s'\"<>]{1,2048})"),
    lazy_compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (https?://[^\s'\"<>]{1,2048})"),
    lazy_compile(r"\burl: ?['\"](https?://[^\s'\"<>]{1,2048})['\"]"),
    lazy_compile(r"\b(?:curl|http|wget)(?: -[A-Za-z]{1,8})* ['\"]?(https?://[^\s'\"<>]{1,2048})"),
    # gh: "HTTP 401: This endpoint requires you to be authenticated. (https://api.github.com/graphql)"
    lazy_compile(r"\((https?://[^\s()'\"<>]{1,2048})\)"),
)


@lru_cache(maxsize=2)
def status_in_text(text: str) -> tuple[int, str] | None:
    """Return the HTTP status the text states and what printed it, or None.

    Kept for the last two texts: the edge-block check asks of the paste's text and the AWS adapter
    of its folded form, the same string for a one-line paste (~10 pattern searches each time).
    """
    for pattern, basis in _STATUS_PATTERNS:
        match = pattern.search(text)
        if match is not None:
            value = next(group for group in match.groups() if group)
            return int(value), basis
    if _SPACED_STATUS.search(text) is None:
        return None
    for pattern, basis in _SPACED_STATUS_PATTERNS:
        match = pattern.search(text)
        if match is not None:
            return int(match.group(1)), basis
    return None


def url_in_text(text: str) -> str | None:
    """Return the request URL the text states, or None."""
    for pattern in _URL_PATTERNS:
        match = pattern.search(text)
        if match is not None:
            return match.group(1).rstrip(".,;:)")
    return None
