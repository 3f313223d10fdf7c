"""Read browser CORS console messages (Chrome/Edge, Firefox, Safari) into facts and a variant.

The variant is MDN's name for the failed check (https://developer.mozilla.org/en-US/docs/Web/
HTTP/Guides/CORS/Errors), deduced from the wording, so the guidance can point at the one
header that is wrong. Every pattern is anchored on a literal phrase and bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from adapters.lazyre import lazy_compile

# Chrome: "Access to fetch at 'https://api.x/y' from origin 'http://localhost:3000' has been
#          blocked by CORS policy: ..."
_CHROME = lazy_compile(
    r"Access to (?:fetch|XMLHttpRequest|script|font|image|resource|[A-Za-z]{1,20}) at "
    r"'([^'\s]{1,2048})' from origin '([^'\s]{1,512})' has been blocked by CORS policy"
)
# Firefox: "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote
#           resource at https://api.x/y. (Reason: CORS header 'Access-Control-Allow-Origin'
#           missing). Status code: 200."
_FIREFOX = lazy_compile(
    r"Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote "
    r"resource at '?(\S{1,2048}?)'?\.? ?\.? \(Reason: ([^)]{1,300})\)(?:\.? ?Status code: ([0-9]{3}))?"
)
# Safari: "Origin http://localhost:3000 is not allowed by Access-Control-Allow-Origin."
#         "Fetch API cannot load https://api.x/y due to access control checks."
_SAFARI_ORIGIN = lazy_compile(
    r"Origin (\S{1,512}) is not allowed by Access-Control-Allow-Origin\.?(?: Status code: ([0-9]{3}))?"
)
_SAFARI_LOAD = lazy_compile(r"(?:Fetch API|XMLHttpRequest) cannot load (\S{1,2048}?)\.? due to access control checks")
# Chrome: "Request header field authorization is not allowed by Access-Control-Allow-Headers"
_HEADER_NOT_ALLOWED = lazy_compile(
    r"Request header field ([A-Za-z0-9_-]{1,100}) is not allowed by Access-Control-Allow-Headers"
)
# Firefox: "missing token 'authorization' in CORS header 'Access-Control-Allow-Headers'",
#          "header 'xsrf-token' is not allowed according to header 'Access-Control-Allow-Headers'"
_FIREFOX_HEADER = lazy_compile(
    r"(?:missing token|header) '([A-Za-z0-9_-]{1,100})' (?:in CORS header|is not allowed according to header)"
)
# Chrome: "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response."
_METHOD_NOT_ALLOWED = lazy_compile(r"Method ([A-Z]{3,10}) is not allowed by Access-Control-Allow-Methods")

_CORS_MARKERS: Final = (
    "blocked by CORS policy",
    "Cross-Origin Request Blocked",
    "is not allowed by Access-Control-Allow-Origin",
    "due to access control checks",
    "CORS error",
    "No 'Access-Control-Allow-Origin' header",
)

# (phrase in the message, MDN variant): most specific first, the first phrase present wins.
_VARIANTS: Final[tuple[tuple[str, str], ...]] = (
    (
        "must not be the wildcard '*' when the request's credentials mode is 'include'",
        "CORSNotSupportingCredentials",
    ),
    (
        "Credential is not supported if the CORS header 'Access-Control-Allow-Origin' is '*'",
        "CORSNotSupportingCredentials",
    ),
    (
        "which must be 'true' when the request's credentials mode is 'include'",
        "CORSMissingAllowCredentials",
    ),
    (
        "expected 'true' in CORS header 'Access-Control-Allow-Credentials'",
        "CORSMissingAllowCredentials",
    ),
    ("contains multiple values", "CORSMultipleAllowOriginNotAllowed"),
    (
        "Multiple CORS header 'Access-Control-Allow-Origin' not allowed",
        "CORSMultipleAllowOriginNotAllowed",
    ),
    ("Redirect is not allowed for a preflight request", "CORSExternalRedirectNotAllowed"),
    ("CORS request external redirect not allowed", "CORSExternalRedirectNotAllowed"),
    ("is not allowed by Access-Control-Allow-Headers", "CORSMissingAllowHeaderFromPreflight"),
    ("in CORS header 'Access-Control-Allow-Headers'", "CORSMissingAllowHeaderFromPreflight"),
    ("according to header 'Access-Control-Allow-Headers'", "CORSMissingAllowHeaderFromPreflight"),
    ("is not allowed by Access-Control-Allow-Methods", "CORSMethodNotFound"),
    ("Did not find method in CORS header 'Access-Control-Allow-Methods'", "CORSMethodNotFound"),
    ("It does not have HTTP ok status", "CORSPreflightDidNotSucceed"),
    ("CORS preflight response did not succeed", "CORSPreflightDidNotSucceed"),
    ("Preflight response is not successful", "CORSPreflightDidNotSucceed"),
    ("that is not equal to the supplied origin", "CORSAllowOriginNotMatchingOrigin"),
    (
        "CORS header 'Access-Control-Allow-Origin' does not match",
        "CORSAllowOriginNotMatchingOrigin",
    ),
    ("is not allowed by Access-Control-Allow-Origin", "CORSAllowOriginNotMatchingOrigin"),
    ("No 'Access-Control-Allow-Origin' header is present", "CORSMissingAllowOrigin"),
    ("CORS header 'Access-Control-Allow-Origin' missing", "CORSMissingAllowOrigin"),
    ("Cross origin requests are only supported for protocol schemes", "CORSRequestNotHttp"),
    ("CORS request not HTTP", "CORSRequestNotHttp"),
    ("CORS request did not succeed", "CORSDidNotSucceed"),
    ("CORS disabled", "CORSDisabled"),
)


@dataclass(frozen=True)
class CorsFailure:
    """What a CORS console message states."""

    url: str | None
    origin: str | None
    variant: str | None
    status_code: int | None
    request_header: str | None
    method: str | None
    basis: str


_QUOTES: Final = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


def read_cors(text: str) -> CorsFailure | None:
    """Return the CORS failure the text reports, or None when it reports none."""
    if not any(marker in text for marker in _CORS_MARKERS):
        return None
    text = text.translate(_QUOTES)  # Firefox quotes with ‘ ’
    url = origin = status = None
    basis = "a browser CORS message"
    if chrome := _CHROME.search(text):
        url, origin, basis = chrome.group(1), chrome.group(2), "Chrome's 'blocked by CORS policy'"
    elif firefox := _FIREFOX.search(text):
        url, status, basis = (
            firefox.group(1),
            firefox.group(3),
            "Firefox's 'Cross-Origin Request Blocked'",
        )
    elif safari := _SAFARI_ORIGIN.search(text):
        origin, status, basis = (
            safari.group(1),
            safari.group(2),
            "Safari's 'not allowed by Access-Control-Allow-Origin'",
        )
    if url is None and (load := _SAFARI_LOAD.search(text)):
        url = load.group(1)
    header = _HEADER_NOT_ALLOWED.search(text) or _FIREFOX_HEADER.search(text)
    method = _METHOD_NOT_ALLOWED.search(text)
    variant = next((name for phrase, name in _VARIANTS if phrase in text), None)
    return CorsFailure(
        url=url,
        origin=origin,
        variant=variant,
        status_code=int(status) if status else None,
        request_header=header.group(1) if header else None,
        method=method.group(1) if method else None,
        basis=basis,
    )
