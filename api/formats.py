"""Render a guidance document as Markdown or HTML, for docs sites that embed an entry.

Input is a rendered entry (JSON document). HTML escapes every value; Markdown puts commands in
fences longer than any backtick run inside them, so no value can break out of its block.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any, Final

_SECTIONS: Final = (
    ("meaning", "What it means"),
    ("causes", "Likely causes"),
    ("diagnosis", "Diagnose"),
    ("fix", "Fix"),
    ("verify", "Verify"),
    ("prevent", "Prevent"),
    ("pitfalls", "Pitfalls"),
    ("sections", None),
    ("references", "References"),
)
_BACKTICKS = re.compile(r"`+")


def to_markdown(document: dict[str, Any]) -> str:
    """Return the entry as Markdown."""
    out = [f"# {document['title']}", "", str(document["summary"]).strip(), ""]
    for key, heading in _SECTIONS:
        value = document.get(key)
        if not value:
            continue
        if key == "sections":
            for section in value:
                out += [f"## {section['heading']}", "", str(section["body"]).strip(), ""]
                out += _md_command(section.get("command"))
            continue
        out += [f"## {heading}", ""]
        if isinstance(value, str):
            out += [value.strip(), ""]
        elif key in ("diagnosis", "fix", "verify"):
            for number, step in enumerate(value, 1):
                out.append(f"{number}. {step['text'].strip()}")
                out += ["   " + line if line else line for line in _md_command(step.get("command"))]
                if step.get("expect"):
                    out.append(f"   Expect: {step['expect'].strip()}")
            out.append("")
        else:
            out += [f"- {item}" for item in _texts(value)] + [""]
    return "\n".join(out).rstrip() + "\n"


def _md_command(command: str | None) -> list[str]:
    if not command:
        return []
    longest = max((len(run) for run in _BACKTICKS.findall(command)), default=0)
    fence = "`" * max(3, longest + 1)
    return ["", f"{fence}sh", command, fence, ""]


def to_html(document: dict[str, Any]) -> str:
    """Return the entry as a self-contained HTML fragment (an <article>), every value escaped."""

    def e(text: str, quote: bool = False) -> str:  # text nodes need &<> escaped; attributes quotes too
        return html.escape(text, quote=quote)

    entry_id = e(str(document["id"]), quote=True)
    out = [f'<article class="whydenied-entry" id="{entry_id}">', f"<h1>{e(document['title'])}</h1>"]
    out.append(f'<p class="summary">{e(str(document["summary"]).strip())}</p>')
    for key, heading in _SECTIONS:
        value = document.get(key)
        if not value:
            continue
        if key == "sections":
            for section in value:
                out.append(f"<h2>{e(section['heading'])}</h2>")
                out += [f"<p>{e(paragraph.strip())}</p>" for paragraph in str(section["body"]).split("\n\n")]
                if section.get("command"):
                    out.append(f"<pre><code>{e(section['command'])}</code></pre>")
            continue
        out.append(f'<h2 id="{key}">{e(heading or key)}</h2>')  # stable anchors for docs sites
        if isinstance(value, str):
            out.append(f"<p>{e(value.strip())}</p>")
        elif key in ("diagnosis", "fix", "verify"):
            out.append("<ol>")
            for step in value:
                item = f"<li><p>{e(step['text'].strip())}</p>"
                if step.get("command"):
                    item += f"<pre><code>{e(step['command'])}</code></pre>"
                if step.get("expect"):
                    item += f'<p class="expect">Expect: {e(step["expect"].strip())}</p>'
                out.append(item + "</li>")
            out.append("</ol>")
        elif key == "references":
            links = (f'<li><a href="{e(url, quote=True)}" rel="noopener">{e(url)}</a></li>' for url in value)
            out += ["<ul>", *links, "</ul>"]
        else:
            out += ["<ul>", *(f"<li>{e(item)}</li>" for item in _texts(value)), "</ul>"]
    out.append("</article>")
    return "\n".join(out) + "\n"


def _texts(value: Iterable[Any]) -> list[str]:
    return [str(item).strip() for item in value]
