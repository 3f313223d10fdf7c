"""Turn what a user pasted into a Payload every adapter can read the same way.

Undoes what terminals, loggers and chat windows do to an error: CRLF line ends, ANSI colour
codes, Terraform's box gutters (`│ Error: ...`) and their hard wraps, literal `\\n`/`\\t`
escapes from a log line, JSON quoted inside a JSON string. Finds the JSON or XML body inside
a transcript (parsed safely: no DTDs, no entity expansion), the HTTP status line and the
response headers of a `curl -v` dump, and redacts secrets before anything else sees the text and
again after each step that decodes it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any, Final
from xml.etree.ElementTree import Element  # type only; parsing goes through defusedxml

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_xml_fromstring

from adapters.base import Payload
from adapters.lazyre import lazy_compile
from adapters.redact import is_secret_name, redact, redact_header, redact_json

MAX_TEXT_CHARS: Final = 256 * 1024  # the API caps bodies lower; this bounds direct callers
_MAX_JSON_CANDIDATES: Final = 8  # `{` positions tried when looking for an embedded body
_MAX_XML_ELEMENTS: Final = 500
_MIN_WRAP_WIDTH: Final = 60
WINDOW_HEAD: Final = 6 * 1024
WINDOW_TAIL: Final = 18 * 1024
_MIN_WRAPPED_LINES: Final = 2  # with the same-prefix rule below, two cut lines are enough

# "\x1b[31mError\x1b[0m" (colour), "\x1b]8;;url\x1b\\" (hyperlink): CSI and OSC sequences
_ANSI = lazy_compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,2048}(?:\x07|\x1b\\)")
# "│ Error: creating IAM Role" and "╷" / "╵" (Terraform's diagnostic box)
_GUTTER_LINE = lazy_compile(r"^[ \t]*│ ?(.*)$")
_BOX_EDGE = lazy_compile(r"^[ \t]*[╷╵][ \t]*$")
# "HTTP/1.1 401 Unauthorized", "< HTTP/2 403 ", "HTTP/1.1 403 Forbidden"
_STATUS_LINE = lazy_compile(r"^[< \t]*HTTP/[0-9.]{1,3} ([1-5][0-9]{2})\b", re.MULTILINE)
# "< WWW-Authenticate: Bearer realm=...", "x-amz-request-id: 4442587FB7D0A2F9" (curl -v / -i)
_HEADER_LINE = lazy_compile(r"^[<\s]{0,3}([A-Za-z][A-Za-z0-9-]{1,63}):[ \t]?(.{0,4096})$")
# The XML documents providers return: S3 <Error>, EC2 <Response>, Query <ErrorResponse>
_XML_START = lazy_compile(r"<\?xml[^>]{0,200}\?>|<(Error|ErrorResponse|Response)(?:\s[^<>]{0,300})?>")
_MAX_XML_CANDIDATES: Final = 4
_DECODER: Final = json.JSONDecoder()  # holds no state between calls: one for every paste


def normalize(
    error: str | Mapping[str, Any] | list[Any],
    status_code: int | None = None,
    headers: Mapping[str, str] | None = None,
    provider_hint: str | None = None,
) -> Payload:
    """Build the Payload for a diagnose request."""
    if isinstance(error, str):
        text = _clean_text(error[:MAX_TEXT_CHARS])
    else:
        text = json.dumps(error, ensure_ascii=False, indent=1)[:MAX_TEXT_CHARS]
    # Redact the text as pasted, then again after every decoding step below (a JSON string's
    # \uXXXX, a log line's escapes), and walk whatever JSON is decoded: no fact is read from text
    # that was not redacted.
    text = redact(text)
    data = redact_json(_find_json(text))
    if isinstance(data, str):  # a JSON string holding the real text: "\"{\\\"message\\\": ...}\""
        text = redact(_clean_text(data))
        data = redact_json(_find_json(text))
    if data is None and ("\\n" in text or "\\t" in text or '\\"' in text):
        text = redact(_unescape(text))
        data = redact_json(_find_json(text))

    found_headers = _headers_in_text(text)
    for name, value in (headers or {}).items():
        found_headers[name.lower()] = redact_header(name, value[:4096])
    status = status_code if status_code is not None else _status_in_text(text)
    hint = provider_hint.strip().lower() if provider_hint else None
    xml = _redact_xml(_find_xml(text))  # the XML parser decodes character references
    text = _window(text)
    return Payload(
        text=text,
        flat=" ".join(text.split()),  # every whitespace run one space (str.split's is re's \s), ends stripped
        data=data,
        xml=xml,
        status_code=status,
        headers=found_headers,
        provider_hint=hint or None,
    )


def _window(text: str) -> str:
    """Keep the head and the tail of a long paste for the adapters' text patterns.

    A long log holds its error at the end (Terraform, CI output) or at the start (a Java stack
    trace); the middle is progress noise. The JSON, XML, headers and status were read from the
    whole text already; bounding what the patterns scan keeps a 64 KiB paste cheap.
    """
    if len(text) <= WINDOW_HEAD + WINDOW_TAIL:
        return text
    return f"{text[:WINDOW_HEAD]}\n[...]\n{text[-WINDOW_TAIL:]}"


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ANSI.sub("", text)
    if "│" in text or "╷" in text:
        text = _join_gutters(text)
    return _unwrap_fixed_width(text).strip()


def _unwrap_fixed_width(text: str) -> str:
    """Join lines a terminal or log viewer cut at a fixed width ("...; Erro" + "r Code: ...").

    When two or more lines share one length of 60+ characters, a line of exactly that length
    that ends inside a word is a cut, and the next line continues that word with no separator.
    """
    if "\n" not in text:
        return text  # one line: nothing was cut (and the usual one-line paste skips the count below)
    lines = text.split("\n")
    lengths = Counter(len(line) for line in lines if len(line) >= _MIN_WRAP_WIDTH)
    if not lengths:
        return text
    width, count = lengths.most_common(1)[0]
    if count < _MIN_WRAPPED_LINES:
        return text
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        cut = len(previous) >= width and len(previous) % width == 0 and previous[-1:].isalnum()
        # Two log lines of one template ("ERROR: HTTPError 403: ...") are not one cut line.
        cut = cut and line[:6] != previous[:6]
        if cut and line[:1].strip() and line[:1] not in "│╵╷":
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def _join_gutters(text: str) -> str:
    """Drop Terraform's box and join the hard-wrapped lines of each paragraph inside it."""
    out: list[str] = []
    paragraph: list[str] = []
    for line in text.split("\n"):
        if _BOX_EDGE.match(line):
            continue
        gutter = _GUTTER_LINE.match(line)
        if gutter is None:
            if paragraph:
                out.append(" ".join(paragraph))
                paragraph = []
            out.append(line)
            continue
        content = gutter.group(1).strip()
        if content:
            paragraph.append(content)
        elif paragraph:
            out.append(" ".join(paragraph))
            out.append("")
            paragraph = []
    if paragraph:
        out.append(" ".join(paragraph))
    return "\n".join(out)


def _unescape(text: str) -> str:
    """Undo the escapes a log line adds: literal backslash-n, backslash-t and backslash-quote."""
    return text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"')


def _find_json(text: str) -> Any:
    """Return the JSON document the text is, or the first JSON object/array embedded in it."""
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"'):
        try:
            return json.loads(stripped)
        except (ValueError, RecursionError):
            pass
    decoder = _DECODER
    start = 0
    for _ in range(_MAX_JSON_CANDIDATES):
        start = text.find("{", start)
        if start < 0:
            return None
        try:
            value, _end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            start += 1
            continue
        if isinstance(value, dict) and value:
            return value
        start += 1
    return None


def _find_xml(text: str) -> dict[str, str]:
    """Return {tag: first text} of the first provider XML document in the text that parses safely."""
    for count, match in enumerate(_XML_START.finditer(text)):
        if count >= _MAX_XML_CANDIDATES:
            break
        parsed = _parse_xml_at(text, match)
        if parsed:
            return parsed
    return {}


def _parse_xml_at(text: str, match: re.Match[str]) -> dict[str, str]:
    start = match.start()
    root_tag = match.group(1)
    if root_tag is None:  # an <?xml ...?> declaration: the root is the next element
        after = re.match(r"\s*<([A-Za-z][A-Za-z0-9]{0,63})", text[match.end() : match.end() + 200])
        if after is None:
            return {}
        root_tag = after.group(1)
    end = text.find(f"</{root_tag}>", start)
    if end < 0:
        return {}
    document = text[start : end + len(root_tag) + 3]
    try:
        root = safe_xml_fromstring(document, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        return {}
    return _flatten_xml(root)


def _redact_xml(flat: dict[str, str]) -> dict[str, str]:
    return {tag: "[REDACTED]" if is_secret_name(tag) else redact(value) for tag, value in flat.items()}


def _flatten_xml(root: Element) -> dict[str, str]:
    flat: dict[str, str] = {}
    for count, element in enumerate(root.iter()):
        if count >= _MAX_XML_ELEMENTS:
            break
        tag = element.tag.rsplit("}", 1)[-1]  # drop a namespace: {http://...}Code -> Code
        value = (element.text or "").strip()
        if value and tag not in flat:
            flat[tag] = value
    return flat


def _headers_in_text(text: str) -> dict[str, str]:
    """Return the response headers written in a transcript (curl -v/-i), names lower-cased.

    A header is a `< name: value` line (curl -v), or a `name: value` line in the block right
    after an HTTP status line (curl -i, a pasted raw response), up to the blank line.
    """
    headers: dict[str, str] = {}
    if "HTTP/" not in text and "<" not in text:
        return headers  # no status line and no `<` line: nothing below could be read (a 64 KiB log: many lines)
    in_block = False
    last: str | None = None
    for line in text.split("\n"):
        if _STATUS_LINE.match(line):
            in_block = True
            continue
        if not line.strip():
            in_block = False
            continue
        if not (line.startswith("<") or in_block):
            continue
        if in_block and line[:1] in (" ", "\t") and last is not None:
            headers[last] = f"{headers[last]} {line.strip()}"  # a folded continuation line
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            continue
        name, value = match.group(1).lower(), match.group(2).strip()
        if name in headers and name == "www-authenticate":
            headers[name] = f"{headers[name]}, {value}"  # several challenges, one per line
        else:
            headers.setdefault(name, value)
        last = name
    return headers


def _status_in_text(text: str) -> int | None:
    match = _STATUS_LINE.search(text)
    return int(match.group(1)) if match else None
