"""Which sources are held out: a third of them, chosen by a hash of the source, never by case.

A source is where a paste was seen, reduced to the project or thread that published it: a GitHub
repository (`github.com/owner/repo`, all its issues together, since one project's pastes share a
wording), a Stack Overflow-style question, or otherwise a site and its first path segment. Every
paste from a held-out source is held out, so a grammar tuned on one issue of a repository cannot
score its sibling issues. Rotating `SALT` re-draws the split (do it when the held-out set has been
looked at too often); the report prints the salt with the figures.
"""

from __future__ import annotations

import hashlib
from typing import Final, Literal
from urllib.parse import urlsplit

SALT: Final = "2026-12-06"
HELD_OUT_SHARE: Final = 3  # one source in three

Split = Literal["dev", "heldout"]

# Sites whose pages are each a separate thread (question id, post path) rather than one project.
_THREAD_SITES: Final = (
    "stackoverflow.com",
    "serverfault.com",
    "superuser.com",
    "stackexchange.com",
    "discuss.",
    "forum",
)


def source_key(source: str) -> str:
    """Return the publishing project or thread of a source URL (`synthetic` stays itself)."""
    if not source.startswith(("https://", "http://")):
        return source
    parts = urlsplit(source)
    host = parts.hostname or ""
    host = host.removeprefix("www.")
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in ("github.com", "gitlab.com", "bitbucket.org"):
        return "/".join([host, *segments[:2]]).lower()
    if any(marker in host for marker in _THREAD_SITES):
        return "/".join([host, *segments[:2]]).lower()
    return "/".join([host, *segments[:1]]).lower()


def split_of(source: str) -> Split:
    """Return `heldout` for one source in three (stable for a given salt), else `dev`."""
    if source == "synthetic":
        return "dev"  # an invented text says nothing about generalisation
    digest = hashlib.sha256(f"{SALT}:{source_key(source)}".encode()).digest()
    return "heldout" if int.from_bytes(digest[:8], "big") % HELD_OUT_SHARE == 0 else "dev"
