"""Load the corpus: every `tests/corpus/<provider>/*.yaml` file, items in the payload-table format.

An item: id, surface (how it was pasted), service, source (URL), input (a POST /v1/diagnose body),
expect (provider, category, reason, facts; for a payload that is not an access failure, reason null
and `note` naming what it is: rate_limit, quota, not_found, tls, edge_block, ...). Labels are
written from the text and the provider's docs before the item is run, never from the output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from tests.corpus.split import split_of

CORPUS_DIR: Final = Path(__file__).parent


def load_corpus(folder: Path = CORPUS_DIR) -> list[dict[str, Any]]:
    """Return every item, each with `split` set from its source; ids unique across files."""
    items: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*/*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            item["file"] = f"{path.parent.name}/{path.name}"
            item["split"] = split_of(str(item.get("source", "")))
            items.append(item)
    return items
