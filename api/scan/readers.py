"""Read a log as a stream of items in bounded memory: JSON records (dicts) or text candidates (str).

The format is told from the first bytes (after gunzip, told by its magic number):
  {"Records": [...]}  a CloudTrail file (also "records": Azure's export; "entries", "value"): the
                      array is streamed element by element, whatever other keys surround it
  [{...}, {...}]      a JSON array (`gcloud logging read --format=json`, the console's download)
  {...}\\n{...}\\n      JSON lines (exported sinks, `jq -c`); a line with nothing that could make it a
                      denial is counted and skipped without being parsed
  {\\n  "eventVersion"  pretty-printed JSON values, one after another
  a CSV header        CloudTrail Lake / Athena query results (api/scan/records.py maps the columns)
  anything else       text: each failure found in it becomes one candidate (a line and its
                      indented continuation, a stack trace's `at ...` lines)

Never more than one chunk plus one record is held: a record larger than MAX_RECORD_CHARS is an
error, not a reason to read the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.scanner import make_scanner
from typing import IO, Any, Final

CHUNK_BYTES: Final = 1 << 20
SNIFF_BYTES: Final = 64 * 1024
MAX_RECORD_CHARS: Final = 16 * 1024 * 1024  # one CloudTrail record is at most a few hundred KB
MAX_TEXT_CANDIDATE_LINES: Final = 40
MAX_TEXT_CANDIDATE_CHARS: Final = 16 * 1024
STREAM_KEYS: Final = ("Records", "records", "entries", "value")  # arrays of records inside one object

# A line of a text log worth diagnosing. Literal alternatives only (linear time), bytes for speed:
# "AccessDenied", "Access Denied", "PERMISSION_DENIED", "is not authorized to perform", "403 Forbidden",
# "401 Unauthorized", "UNAUTHENTICATED", "does not have storage.objects.get access", "AuthorizationFailed"
TEXT_TRIGGER: Final = re.compile(
    rb"AccessDenied|[Aa]ccess [Dd]enied|PERMISSION_DENIED|UNAUTHENTICATED|[Nn]ot authorized|[Uu]nauthorized"
    rb"|Forbidden|FORBIDDEN|[Pp]ermission denied|does not have [^\n]{0,80}(?:permission|access)"
    rb"|AuthorizationFailed|AuthenticationFailed|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken"
    rb"|InvalidAccessKeyId|UnauthorizedOperation|\b40[13]\b|\"errorCode\""
)
# Literals one of which every TEXT_TRIGGER match contains: `in` tests (memchr-fast) before the regex.
_TRIGGER_WORDS: Final = (
    b"ccess", b"DENIED", b"UNAUTHENTICATED", b"uthori", b"orbidden", b"FORBIDDEN", b"ermission", b"does not have",
    b"Failed", b"InvalidClientTokenId", b"SignatureDoesNotMatch", b"ExpiredToken", b"InvalidAccessKeyId", b"401",
    b"403", b"errorCode",
)  # fmt: skip


def may_be_failure(line: bytes) -> bool:
    """Tell whether a line (or record) holds anything a failure would: words first, the regex only then."""
    return any(word in line for word in _TRIGGER_WORDS) and TEXT_TRIGGER.search(line) is not None


# Lines that continue the failure above them: indented, a stack frame, a Terraform gutter
_CONTINUATION: Final = re.compile(rb"^(?:[ \t]|at |Caused by|\xe2\x94\x82|\})")
# JSON-lines fast path: a CloudTrail line without "errorCode", or an audit entry without a status
# code, succeeded; anything else is tested against the text trigger before it is parsed.
_CLOUDTRAIL_LINE: Final = b'"eventSource"'
_AUDIT_LINE: Final = b'"protoPayload"'
_GZIP_MAGIC: Final = b"\x1f\x8b"
_CSV_HEADER: Final = re.compile(r"^\ufeff?[\"']?[A-Za-z_][\w.]*[\"']?(?:,[\"']?[A-Za-z_][\w. ]*[\"']?){2,}\s*$")
_CSV_NEEDED: Final = ("eventname", "eventsource", "errorcode")


class ScanError(ValueError):
    """The input cannot be read as a log: it says where and why, for the user."""


@dataclass
class ReadStats:
    """What a reader saw: records (or lines) read, those skipped unparsed, those that did not parse."""

    format: str = "unknown"
    records: int = 0
    unreadable: int = 0


Item = dict[str, Any] | str  # a JSON record, or a text candidate


class _Chain(io.RawIOBase):
    """The bytes already sniffed, then the rest of the stream (so the sniff consumes nothing)."""

    def __init__(self, head: bytes, rest: IO[bytes], name: str, max_bytes: int | None) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self._name = name
        self._left = None if max_bytes is None else max_bytes - len(head)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        if self._left is not None:
            self._left -= len(data)
            if self._left < 0:
                raise ScanError(f"{self._name}: the log is larger than allowed once decompressed")
        buffer[: len(data)] = data
        return len(data)


class _Gunzip(io.RawIOBase):
    """gzip decompression as a stream, that says so when the data stops before the gzip trailer."""

    def __init__(self, source: IO[bytes], name: str) -> None:
        self._source = source
        self._name = name
        self._inflate = zlib.decompressobj(wbits=31)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._pending:
                data = self._inflate.decompress(self._pending, len(buffer))
                self._pending = self._inflate.unconsumed_tail
            else:
                compressed = self._source.read(CHUNK_BYTES)
                if not compressed:
                    if not self._inflate.eof:
                        raise ScanError(f"{self._name}: the gzip data is damaged or cut short (no gzip trailer)")
                    return 0
                data = self._inflate.decompress(compressed, len(buffer))
                self._pending = self._inflate.unconsumed_tail
            if self._inflate.eof and self._inflate.unused_data:  # another gzip member follows
                self._pending = self._inflate.unused_data
                self._inflate = zlib.decompressobj(wbits=31)
            if data:
                buffer[: len(data)] = data
                return len(data)


def open_log(raw: IO[bytes], name: str, stats: ReadStats, max_bytes: int | None = None) -> Iterator[Item]:
    """Yield the items of one log, whatever its format; raise ScanError on input that is not a log.

    `max_bytes` bounds what is read after decompression (an upload: a small gzip may expand a thousandfold).
    """
    buffered: Any = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, CHUNK_BYTES)
    stream: Any = buffered
    gzipped = buffered.peek(2)[:2] == _GZIP_MAGIC
    if gzipped:
        stream = io.BufferedReader(_Gunzip(buffered, name), CHUNK_BYTES)
    try:
        head = stream.read(SNIFF_BYTES)
        body = io.BufferedReader(_Chain(head, stream, name, max_bytes), CHUNK_BYTES)
        if b"\x00" in head:
            raise ScanError(f"{name}: a binary file, not a log (gzip, JSON, CSV or text)")
        yield from _by_format(head, body, name, stats)
    except zlib.error as exc:
        raise ScanError(f"{name}: the gzip data is damaged ({exc})") from exc


def _by_format(head: bytes, body: io.BufferedReader[Any], name: str, stats: ReadStats) -> Iterator[Item]:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        first_line = text.split("\n", 1)[0].strip()
        if "\n" in text and _is_json_object(first_line) and not _streams_first(text):
            stats.format = "json-lines"
            yield from _json_lines(body, name, stats)
        else:
            stats.format = "json"
            yield from _json_values(body, name, stats)
    elif text.startswith("["):
        stats.format = "json"
        yield from _json_values(body, name, stats)
    elif _is_csv_header(text.split("\n", 1)[0]):
        stats.format = "csv"
        yield from _csv_rows(body, stats)
    else:
        stats.format = "text"
        yield from _text_candidates(body, stats)


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _streams_first(text: str) -> bool:
    """Tell whether the object opens with an array of records (`{"Records": [`) to stream."""
    return re.match(r'\{\s*"(?:' + "|".join(STREAM_KEYS) + r')"\s*:\s*\[', text) is not None


def _is_csv_header(line: str) -> bool:
    if not _CSV_HEADER.match(line):
        return False
    columns = {_column_key(c) for c in line.split(",")}
    return any(any(needed in column for column in columns) for needed in _CSV_NEEDED)


def _column_key(name: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", name.lower())


# --- JSON lines -------------------------------------------------------------------------------


def _json_lines(body: io.BufferedReader[Any], name: str, stats: ReadStats) -> Iterator[Item]:
    readline = body.readline
    records = blank = 0
    try:
        while line := readline(MAX_RECORD_CHARS):
            records += 1
            if len(line) >= MAX_RECORD_CHARS and not line.endswith(b"\n"):
                _skip_to_newline(body)  # one absurd line: counted, never held whole
                stats.unreadable += 1
                continue
            if _CLOUDTRAIL_LINE in line:
                if b'"errorCode"' not in line:
                    continue  # the common case, kept to a few cheap tests
            elif _AUDIT_LINE in line:
                if b'"code"' not in line:
                    continue
            elif not line.strip():
                blank += 1
                continue
            elif not may_be_failure(line):
                continue
            stats.records += records - blank
            records = blank = 0
            yield from _json_line(line, stats)
    finally:
        stats.records += records - blank


def _json_line(line: bytes, stats: ReadStats) -> Iterator[Item]:
    try:
        value = json.loads(line)
    except ValueError:
        stats.unreadable += 1
        return
    if isinstance(value, dict):
        yield value
    else:
        stats.unreadable += 1


def _skip_to_newline(body: io.BufferedReader[Any]) -> None:
    while chunk := body.readline(CHUNK_BYTES):
        if chunk.endswith(b"\n"):
            return


# --- JSON documents: arrays, {"Records": [...]}, pretty-printed values -------------------------


class _JsonBuffer:
    """A window on the decoded stream; JSON values are decoded from it by the json module's C scanner."""

    def __init__(self, body: io.BufferedReader[Any], name: str) -> None:
        self._body = body
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # The decoder's C scanner itself, not `raw_decode` (a Python frame around it per record): it
        # raises StopIteration where no value starts, JSONDecodeError inside a broken one.
        self.scan: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # typeshed: a context is a decoder
        self.name = name
        self.text = ""
        self.pos = 0
        self.eof = False
        self.consumed = 0  # characters dropped from the front, for error positions

    def fill(self) -> bool:
        """Read the next chunk onto the end of the window; False at the end of the stream."""
        if self.eof:
            return False
        data = self._body.read(CHUNK_BYTES)
        if self.pos > 0:
            self.consumed += self.pos
            self.text = self.text[self.pos :]
            self.pos = 0
        self.text += self._decoder.decode(data, final=not data)
        self.eof = not data
        return True

    def peek(self) -> str | None:
        """Return the next character that is not whitespace (not consumed), None at the end."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            self.pos = pos
            if pos < len(text):
                return text[pos]
            if not self.fill():
                return None

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {what}")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next JSON value, reading more of the stream until it is whole."""
        while True:
            self.peek()
            try:
                value, end = self.scan(self.text, self.pos)
            except (StopIteration, json.JSONDecodeError):
                value, end = None, -1
            # A number or literal that ends where the buffer ends may continue in the next chunk.
            if end != -1 and (end < len(self.text) or self.eof or isinstance(value, dict | list | str)):
                self.pos = end
                return value
            if len(self.text) - self.pos > MAX_RECORD_CHARS:
                raise self.error(f"a record longer than {MAX_RECORD_CHARS // (1024 * 1024)} MB")
            if not self.fill():
                raise self.error("not valid JSON (or cut short)")

    def closes(self, close: str, where: str) -> bool:
        """Read the separator after a value: True for `close`, False for a comma, else raise."""
        char = self.peek()
        if char == close or char == ",":
            self.pos += 1
            return char == close
        raise self.error(f"expected , or {close} {where}")

    def error(self, what: str) -> ScanError:
        return ScanError(f"{self.name}: {what} at character {self.consumed + self.pos}")


def _json_values(body: io.BufferedReader[Any], name: str, stats: ReadStats) -> Iterator[Item]:
    buffer = _JsonBuffer(body, name)
    while (char := buffer.peek()) is not None:
        if char == "[":
            yield from _array(buffer, stats)
        elif char == "{":
            yield from _object(buffer, stats)
        else:
            raise buffer.error("expected a JSON object or array")


# Values whose end the decoder cannot mistake at a buffer's edge (a number or literal might go on).
_WHOLE_WHEN_DECODED: Final = (dict, list, str)
_READ_AHEAD_CHARS: Final = 256 * 1024  # a CloudTrail record is rarely over a few KB


def _array(buffer: _JsonBuffer, stats: ReadStats) -> Iterator[Item]:
    buffer.expect("[", "[")
    if buffer.peek() == "]":
        buffer.pos += 1
        return
    scan = buffer.scan
    whole = _WHOLE_WHEN_DECODED
    counted = 0  # records since the last one handed on: added to the stats in one step
    try:
        while True:
            text, pos = buffer.text, buffer.pos
            if len(text) - pos < _READ_AHEAD_CHARS and not buffer.eof:
                # Refill before a record is cut at the buffer's end: a cut one costs a failed decode,
                # and JSONDecodeError counts the lines of the whole buffer to say where it failed.
                buffer.fill()
                text, pos = buffer.text, buffer.pos
            try:  # decode in place; only a value cut by the end of the buffer goes the slow way
                value, end = scan(text, pos)
            except (StopIteration, json.JSONDecodeError):
                end = -1
            if end != -1 and type(value) in whole:  # these cannot end early
                pos = buffer.pos = end
            else:
                value = buffer.value()
                text, pos = buffer.text, buffer.pos
            counted += 1
            if type(value) is dict:
                # A CloudTrail success is counted and dropped here: 97% of a typical trail never
                # reaches the classifier (records.denial_in would skip it too, a little later).
                if "errorCode" in value or "eventSource" not in value:
                    stats.records += counted
                    counted = 0
                    yield value
                    text, pos = buffer.text, buffer.pos
            else:
                stats.unreadable += 1
            if text[pos : pos + 2] == ",{":
                buffer.pos = pos + 1  # compact ({...},{...}): the common case
                continue
            if buffer.closes("]", "between records"):
                return
            buffer.peek()  # to the next value, past any whitespace
    finally:
        stats.records += counted


def _object(buffer: _JsonBuffer, stats: ReadStats) -> Iterator[Item]:
    """Read one top-level object key by key: stream its record arrays, else it is a record itself."""
    buffer.expect("{", "{")
    rest: dict[str, Any] = {}
    streamed = False
    if buffer.peek() == "}":
        buffer.pos += 1
    else:
        while True:
            key = buffer.value()
            if not isinstance(key, str):
                raise buffer.error("expected a key")
            buffer.expect(":", ":")
            if key in STREAM_KEYS and buffer.peek() == "[":
                streamed = True
                yield from _array(buffer, stats)
            else:
                rest[key] = buffer.value()
            if buffer.closes("}", "in an object"):
                break
    if not streamed:
        stats.records += 1
        yield rest


# --- CSV: CloudTrail Lake / Athena exports -----------------------------------------------------


def _csv_rows(body: io.BufferedReader[Any], stats: ReadStats) -> Iterator[Item]:
    text = io.TextIOWrapper(body, encoding="utf-8-sig", errors="replace", newline="")
    csv.field_size_limit(MAX_TEXT_CANDIDATE_CHARS * 64)
    reader = csv.reader(text)
    header = [_column_key(column) for column in next(reader, [])]
    try:
        for row in reader:
            if not row:
                continue
            stats.records += 1
            if len(row) != len(header):
                stats.unreadable += 1
                continue
            yield {"__csv__": dict(zip(header, row, strict=True))}
    except csv.Error as exc:
        raise ScanError(f"CSV: {exc} (line {reader.line_num})") from exc


# --- text ----------------------------------------------------------------------------------------


def _text_candidates(body: io.BufferedReader[Any], stats: ReadStats) -> Iterator[Item]:
    """Yield each failure in a text log: a triggering line and its continuation lines."""
    lines: list[bytes] = []
    size = 0
    while True:
        line = body.readline(MAX_TEXT_CANDIDATE_CHARS)
        if lines and line and _CONTINUATION.match(line) and len(lines) < MAX_TEXT_CANDIDATE_LINES:
            if size < MAX_TEXT_CANDIDATE_CHARS:
                lines.append(line)
                size += len(line)
            stats.records += 1
            continue
        if lines:
            yield b"".join(lines).decode("utf-8", errors="replace")
            lines, size = [], 0
        if not line:
            return
        stats.records += 1
        if may_be_failure(line):
            lines, size = [line], len(line)
