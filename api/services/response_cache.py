"""A bounded cache of diagnoses by request body: the same paste posted again is answered from memory.

A diagnosis is a pure function of the request body (the paste, status, headers and hint) and of the
loaded content, so two identical bodies get identical answers; plugins and CI jobs re-post the same
failure often. What the cache holds, and what it does not:

- the key is a SHA-256 of the query's `fields` and the raw body, never the paste itself (a paste may
  carry a secret that redaction removes from the answer, but not from the body);
- the value is the answer already sent (its JSON, and the verdict fields the history and the metrics
  read), which holds nothing the response did not: facts are redacted before anything is rendered;
- nothing per caller: the history id and live checks are added to a copy on each request, and a
  body asking for live checks is never cached;
- the content it was rendered from: when the storage swaps in a refreshed GCP role table, every entry
  is dropped (the role suggestions would be stale).

Bounded by entry count and by the bytes of the serialised answers, the least recently used entry
evicted first, so memory stays flat whatever the traffic.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from api.schemas import DiagnoseResponse

# 256 answers of ~17 KB: ~5 MiB resident when full (measured by bench/run.py server()).
MAX_ENTRIES: Final = 256
MAX_BYTES: Final = 8 * 1024 * 1024
# The answer's top-level id, null in a cached answer: the last field before `note` (the model's order).
# Inside a string its quotes would be escaped, and nothing after it holds objects, so the last match is it.
_NULL_ID: Final = b',"id":null,"note":'


def with_id(body: bytes, diagnosis_id: str) -> bytes:
    """The cached answer's JSON with this request's history id in place of null."""
    at = body.rindex(_NULL_ID)
    filled = b',"id":' + json.dumps(diagnosis_id).encode() + b',"note":'
    return body[:at] + filled + body[at + len(_NULL_ID) :]


@dataclass(frozen=True, slots=True)
class CachedDiagnosis:
    """One answer: its JSON as sent, and its verdict (what the history and the metrics read).

    Not the whole model: its guidance objects would take twice the JSON's memory again.
    """

    verdict: DiagnoseResponse  # the verdict fields only: guidance null, derived and findings empty
    body: bytes


class ResponseCache:
    """An LRU of diagnoses keyed by a hash of the request body; used from the event loop only."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, CachedDiagnosis] = OrderedDict()
        self._bytes = 0
        self._content: object = None  # the role table the entries were rendered with

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """The serialised answers' total size."""
        return self._bytes

    @staticmethod
    def key(fields: str, body: bytes) -> bytes:
        """The entry's key: a digest of what the answer depends on in the request."""
        return hashlib.sha256(fields.encode("ascii") + b"\0" + body).digest()

    def get(self, key: bytes, content: object) -> CachedDiagnosis | None:
        """The cached answer, or None; `content` is the role table in use (a new one empties the cache)."""
        if content is not self._content:
            self.clear()
            self._content = content
            return None
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: bytes, content: object, entry: CachedDiagnosis) -> None:
        """Keep an answer rendered with `content`, evicting the least recently used past the bounds."""
        if content is not self._content:
            self.clear()
            self._content = content
        if len(entry.body) > self.max_bytes or self.max_entries <= 0:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._bytes -= len(previous.body)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()
        self._bytes = 0
