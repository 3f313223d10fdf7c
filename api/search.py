"""Full-text search over entries, guides and playbooks: SQLite FTS5 or PostgreSQL text search.

One interface, two engines, chosen by the database dialect. The index is derived data: rebuilt
from the catalogue at start-up (a few dozen rows), so it can never drift from the content.
Indexed per entry, by weight: the title; codes and ids (taxonomy example wordings, error codes);
the summary; the body (meaning, causes, example texts).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, text

from api.catalog import Catalog
from api.entries import GuideEntry, PlaybookEntry, ReasonEntry

MAX_TERMS: Final = 12
# Words that carry nothing in a query people type ("why am I getting access denied on my bucket")
_STOPWORDS: Final = frozenset(
    {
        "a",
        "am",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "get",
        "getting",
        "got",
        "how",
        "i",
        "i'm",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "so",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "why",
        "with",
        "you",
        "your",
        "error",
    }
)
_WORD = re.compile(r"[A-Za-z0-9]{2,40}")


@dataclass(frozen=True)
class SearchHit:
    """One ranked result."""

    id: str
    kind: str
    title: str
    summary: str
    score: float


def terms(query: str) -> list[str]:
    """Return the query's search terms: words of 2+ letters, lower-cased, stopwords dropped."""
    words = [w.lower() for w in _WORD.findall(query[:500])]
    return [w for w in dict.fromkeys(words) if w not in _STOPWORDS][:MAX_TERMS]


def documents(catalog: Catalog) -> list[dict[str, str]]:
    """Return the text to index for every entry."""
    rows = []
    for entry_id, compiled in catalog.entries.items():
        entry = compiled.entry
        body: list[str] = []
        codes: list[str] = [entry_id.replace(".", " ").replace("_", " ")]
        if isinstance(entry, ReasonEntry | PlaybookEntry):
            body += [entry.meaning, *entry.causes]
            body += [_example_text(example.input) for example in entry.examples]
        if isinstance(entry, GuideEntry):
            body += [f"{section.heading} {section.body}" for section in entry.sections]
        info = catalog.taxonomy.reasons.get(entry_id)
        if info is not None:
            codes += list(info.examples)
        rows.append(
            {
                "id": entry_id,
                "kind": entry.kind,
                "provider": entry_id.split(".", 1)[0],
                "title": entry.title,
                "summary": entry.summary,
                "codes": " | ".join(codes),  # the bar keeps each listed code whole for the re-rank
                "body": " ".join(body)[:20000],
            }
        )
    return rows


def _example_text(value: Any) -> str:
    error = value.get("error") if isinstance(value, dict) else None
    return error if isinstance(error, str) else str(error)[:2000]


class SearchIndex:
    """Builds and queries the index on the app's engine."""

    def __init__(self, engine: Engine, before_query: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._before_query = before_query  # e.g. the storage's "sync once the database is back"

    def rebuild(self, catalog: Catalog) -> None:
        """Replace the index with the catalogue's current content."""
        rows = documents(catalog)
        with self.engine.begin() as conn:
            if self.dialect == "sqlite":
                conn.execute(text("DROP TABLE IF EXISTS entry_fts"))
                conn.execute(
                    text(
                        "CREATE VIRTUAL TABLE entry_fts USING fts5("
                        "id UNINDEXED, kind UNINDEXED, provider UNINDEXED, title, summary, codes, body, "
                        "tokenize = 'unicode61')"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO entry_fts (id, kind, provider, title, summary, codes, body) "
                        "VALUES (:id, :kind, :provider, :title, :summary, :codes, :body)"
                    ),
                    rows,
                )
            else:
                # Workers starting together must not rebuild at once: serialise on a lock.
                conn.execute(text("SELECT pg_advisory_xact_lock(7716001)"))
                conn.execute(text("DROP TABLE IF EXISTS entry_search"))
                conn.execute(
                    text(
                        "CREATE TABLE entry_search (id text PRIMARY KEY, kind text, provider text, title text, "
                        "summary text, codes text, document tsvector)"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO entry_search (id, kind, provider, title, summary, codes, document) VALUES "
                        "(:id, :kind, :provider, :title, :summary, :codes, "
                        "setweight(to_tsvector('simple', :title), 'A')"
                        " || setweight(to_tsvector('simple', :codes), 'A')"
                        " || setweight(to_tsvector('simple', :summary), 'B')"
                        " || setweight(to_tsvector('simple', :body), 'C'))"
                    ),
                    rows,
                )
                conn.execute(text("CREATE INDEX entry_search_document ON entry_search USING gin (document)"))

    def search(self, query: str, provider: str | None = None, limit: int = 10) -> list[SearchHit]:
        """Return the best matches for the query, best first.

        The engine retrieves and scores candidates (any term may match); a small re-rank on the
        fields then puts first the entries whose title holds the words or whose codes hold the
        exact code typed, so both engines agree on what comes first.
        """
        words = terms(query)
        if not words:
            return []
        if self._before_query is not None:
            self._before_query()
        candidates = self._candidates(words, provider)
        if not candidates:
            return []
        top = max(rank for *_, rank in candidates) or 1.0
        scored = [
            SearchHit(c_id, kind, title, summary, round(rank / top + _bonus(words, query, kind, title, codes), 4))
            for c_id, kind, title, summary, codes, rank in candidates
        ]
        scored.sort(key=lambda hit: (-hit.score, hit.id))
        return scored[:limit]

    def _candidates(self, words: list[str], provider: str | None) -> list[tuple[str, str, str, str, str, float]]:
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                # Each term as a prefix ("deni*" finds denied/denies); bm25 weights per column:
                # id, kind, provider (unindexed), title, summary, codes, body. Lower bm25 is better.
                match = " OR ".join(f'"{word}"*' for word in words)
                sql = (
                    "SELECT id, kind, title, summary, codes, -bm25(entry_fts, 0, 0, 0, 10.0, 4.0, 6.0, 1.0) AS rank "
                    "FROM entry_fts WHERE entry_fts MATCH :match"
                    + (" AND provider = :provider" if provider else "")
                    + " ORDER BY rank DESC LIMIT :limit"
                )
                params: dict[str, Any] = {"match": match, "provider": provider, "limit": _CANDIDATES}
            else:
                sql = (
                    "SELECT id, kind, title, summary, codes, ts_rank(document, to_tsquery('simple', :q), 1) AS rank "
                    "FROM entry_search WHERE document @@ to_tsquery('simple', :q)"
                    + (" AND provider = :provider" if provider else "")
                    + " ORDER BY rank DESC, id LIMIT :limit"
                )
                params = {"q": " | ".join(f"{word}:*" for word in words), "provider": provider, "limit": _CANDIDATES}
            rows = conn.execute(text(sql), params)
            return [(r.id, r.kind, r.title, r.summary, r.codes, max(float(r.rank), 0.0)) for r in rows]


_CANDIDATES: Final = 50


# An error code as typed: AccessDenied, PERMISSION_DENIED, InvalidClientTokenId
# ... and the OAuth / Slack style: invalid_token, insufficient_scope
_CODE = re.compile(r"\b(?:[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+|[A-Z]{2,}(?:_[A-Z]{2,})+|[a-z]{2,}(?:_[a-z]{2,})+)\b")


def _bonus(words: list[str], query: str, kind: str, title: str, codes: str) -> float:
    """Score what a reader would call an obvious match: the words in the title, the exact code.

    A query that is an error code wants the reason entry that lists the code, before a guide
    that merely mentions it.
    """
    title_words = {w.lower() for w in _WORD.findall(title)}
    in_title = sum(1 for word in words if any(t.startswith(word) for t in title_words))
    bonus = 1.5 * in_title / len(words) + (1.0 if in_title == len(words) else 0.0)
    if len(words) > 1 and " ".join(words) in " ".join(_WORD.findall(f"{title} {codes}")).lower():
        bonus += 2.0  # the words in this order: a wording the entry lists ("insufficient authentication scopes")
    typed_codes = _CODE.findall(query)
    if typed_codes and kind == "reason":
        haystack = f"{title} {codes}".lower()
        bonus += 3.5 * sum(1 for code in typed_codes if code.lower() in haystack) / len(typed_codes)
        # a code listed as itself (SignatureDoesNotMatch) beats one quoted inside a longer wording
        listed = {item.strip().lower() for item in codes.split(" | ")}
        bonus += 0.5 * sum(1 for code in typed_codes if code.lower() in listed) / len(typed_codes)
        # the code in the title itself: "IAM permission denied (PERMISSION_DENIED / ...)"
        bonus += 1.0 * sum(1 for code in typed_codes if code.lower() in title.lower()) / len(typed_codes)
    return bonus
