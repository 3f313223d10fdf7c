"""A static copy of the guidance for a docs site: one page per entry, guide and playbook, plus an index.

Markdown or HTML (fragments wrapped in a minimal page). Commands keep their <fact> placeholders.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path
from typing import Literal

from api.catalog import Catalog
from api.formats import to_html, to_markdown

Format = Literal["markdown", "html"]


def export(catalog: Catalog, directory: Path, fmt: Format) -> list[Path]:
    """Write every entry and an index into the directory; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".md" if fmt == "markdown" else ".html"
    written: list[Path] = []
    groups: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for entry_id, compiled in sorted(catalog.entries.items()):
        document = compiled.render({}, for_case=False)
        page = directory / f"{entry_id}{suffix}"
        if fmt == "markdown":
            page.write_text(to_markdown(document), encoding="utf-8")
        else:
            page.write_text(_html_page(document["title"], to_html(document)), encoding="utf-8")
        written.append(page)
        entry = compiled.entry
        category = getattr(entry, "category", None) or f"{entry.kind}s"
        groups[entry_id.split(".", 1)[0]][category].append((entry_id, entry.title))
    index = directory / f"index{suffix}"
    index.write_text(_index(groups, suffix, fmt), encoding="utf-8")
    written.append(index)
    return written


def _index(groups: dict[str, dict[str, list[tuple[str, str]]]], suffix: str, fmt: Format) -> str:
    if fmt == "markdown":
        lines = ["# Access failures: guidance", ""]
        for provider, categories in sorted(groups.items()):
            lines += [f"## {provider}", ""]
            for category, items in sorted(categories.items()):
                lines += [f"### {category}", ""] + [f"- [{title}]({eid}{suffix})" for eid, title in items] + [""]
        return "\n".join(lines)
    parts = ["<h1>Access failures: guidance</h1>"]
    for provider, categories in sorted(groups.items()):
        parts.append(f'<h2 id="{html.escape(provider)}">{html.escape(provider)}</h2>')
        for category, items in sorted(categories.items()):
            links = "".join(
                f'<li><a href="{html.escape(eid)}{suffix}">{html.escape(title)}</a></li>' for eid, title in items
            )
            parts.append(f"<h3>{html.escape(category)}</h3><ul>{links}</ul>")
    return _html_page("Access failures: guidance", "\n".join(parts))


def _html_page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body>\n{body}</body></html>\n"
    )
