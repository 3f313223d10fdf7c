"""Render a guidance document as Markdown or HTML, for docs sites that embed an entry.

Input is a rendered entry (JSON document). HTML escapes every value; Markdown puts commands in
fences longer than any backtick run inside them, every line of a list item's fence indented to the
item, so no value can break out of its block. `md_text` and `md_code` are for values shown outside
fences (the terminal's ticket view): escaped prose, or a code span that no backtick can close.
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
_LINE_ENDING = re.compile(r"\r\n?|\n")
_MD_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # every ASCII punctuation character; each may be escaped


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
                out += md_fenced(section.get("command"))
            continue
        out += [f"## {heading}", ""]
        if isinstance(value, str):
            out += [value.strip(), ""]
        elif key in ("diagnosis", "fix", "verify"):
            for number, step in enumerate(value, 1):
                marker = f"{number}. "
                # Every line of the item is indented to its text (4 columns from step 10): a line that
                # is not leaves the list item and so the fence, and shows as Markdown (or raw HTML).
                indent = " " * len(marker)
                text = step["text"].strip()
                if step.get("changes"):
                    text = f"**Changes state.** {text}"
                lines = [*_lines(text), *md_fenced(step.get("command"))]
                if step.get("variables"):
                    names = ", ".join(
                        f"{md_code(var['name'])} (the {md_text(var['label'])})" for var in step["variables"]
                    )
                    lines += [f"Set first: {names}.", ""]
                if step.get("expect"):
                    lines += _lines(f"Expect: {step['expect'].strip()}")
                out.append(marker + lines[0])
                out += [indent + line if line else line for line in lines[1:]]
            out.append("")
        else:
            out += [f"- {item}" for item in _texts(value)] + [""]
    suggestion = document.get("role_suggestion")
    if suggestion and suggestion.get("command"):
        roles = ", ".join(md_code(str(role)) for role in suggestion.get("roles") or [])
        out += ["## Suggested grant", "", f"Smallest predefined roles holding "
                f"{md_code(str(suggestion.get('permission', '')))}: {roles}."]  # fmt: skip
        shown = {step.get("command") for key in ("diagnosis", "fix", "verify") for step in _steps(document.get(key))}
        if suggestion["command"] not in shown:  # else the fix step above shows it, marked as a change
            out += ["", "**Changes state.**", *md_fenced(suggestion["command"])]
        if suggestion.get("as_of"):
            out += ["", f"Roles from {md_text(str(suggestion.get('source', 'the role table')))}, as of "
                    f"{md_text(str(suggestion['as_of']))}."]  # fmt: skip
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _steps(value: Any) -> list[dict[str, Any]]:
    return [step for step in value or [] if isinstance(step, dict)]


def md_fenced(command: str | None) -> list[str]:
    """Return a command as fenced lines, one list element per line, so a caller can indent each."""
    if not command:
        return []
    longest = max((len(run) for run in _BACKTICKS.findall(command)), default=0)
    fence = "`" * max(3, longest + 1)
    return ["", f"{fence}sh", *_lines(command), fence, ""]


def _lines(text: str) -> list[str]:
    """Split on CommonMark's line endings (CR alone is one too), not on str.splitlines()'s wider set."""
    return _LINE_ENDING.split(text)


def md_code(value: str) -> str:
    """Return the value as an inline code span that no backtick inside it can close (CommonMark 6.1)."""
    value = " ".join(_lines(value))
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    ticks = "`" * (longest + 1)
    # a space on each side when the value starts or ends with a backtick (or a space, which would be stripped)
    pad = " " if value[:1] in ("`", " ") or value[-1:] in ("`", " ") else ""
    return f"{ticks}{pad}{value}{pad}{ticks}"


def md_text(value: str) -> str:
    """Return text with every ASCII punctuation character backslash-escaped: no link, emphasis, HTML or
    autolink can start in it (CommonMark 2.4), and line breaks become spaces so no block starts either."""
    return _MD_PUNCTUATION.sub(r"\\\g<0>", " ".join(_lines(value)))


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
                item = '<li class="changes">' if step.get("changes") else "<li>"
                if step.get("changes"):
                    item += '<p class="changes-note"><strong>Changes state.</strong></p>'
                item += f"<p>{e(step['text'].strip())}</p>"
                if step.get("command"):
                    item += f"<pre><code>{e(step['command'])}</code></pre>"
                if step.get("variables"):
                    names = ", ".join(
                        f"<code>{e(var['name'])}</code> (the {e(var['label'])})" for var in step["variables"]
                    )
                    item += f'<p class="fill">Set first: {names}.</p>'
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
