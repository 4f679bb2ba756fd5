"""A participant's reflections as a portfolio: Markdown, and a self-contained printable HTML page.

Both carry text that participants typed (names, answers) and text from the content (titles,
claims, questions, sources), so both escape it. The HTML page is rendered from the Jinja2
template templates/portfolio.html with autoescaping on, so every value is escaped; an institution
can put its own portfolio.html / portfolio.css in a directory (ELENCHUS_PORTFOLIO_TEMPLATES). The Markdown escapes so that a renderer shows the text as typed and builds no
markup from it, while ordinary prose stays as it is in the .md file:

- ``&``, ``<`` and ``>`` become entities: Markdown renderers (GitHub-like previews, Mahara) pass raw
  HTML such as <script> or <img onerror=...> through, and autolinks need ``<`` too;
- ``\\ ` * _ ~ [ ] |`` get a backslash anywhere: code spans and fences, emphasis, strikethrough,
  links and images, tables;
- at the start of a line, leading blanks are dropped (four would start a code block) and ``# + -
  =`` and the ``.`` or ``)`` after a number get a backslash: headings, lists, thematic breaks,
  setext underlines;
- every kind of line break (CR, LF, CRLF: CommonMark knows all three) ends an answer's line, which
  is then quoted with "> "; a single-line field (name, title, question) has them turned to spaces;
- a trailing ``#`` in a heading is escaped, so it is not taken for a closing sequence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from ..content.keys import move_name, reference
from .records import Answer, CommentRecord, PortfolioEntry

Translate = Callable[..., str]
TEMPLATES = Path(__file__).with_name("templates")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_INLINE = re.compile(r"[\\`*_~\[\]|&<>]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BLOCK_START = re.compile(r"[#+=-]|\d{1,9}(?=[.)])")


def _inline(text: str) -> str:
    """Text that renders as itself inside a Markdown line: no HTML, code, emphasis, link or table."""
    return _INLINE.sub(lambda m: _ENTITIES.get(m[0], "\\" + m[0]), text)


def md_line(text: str) -> str:
    """One line of typed text, escaped so that it cannot start a heading, list, quote, fence or break."""
    escaped = _inline(text.lstrip(" \t"))
    start = _BLOCK_START.match(escaped)
    if not start:
        return escaped
    at = start.end() if start[0][0].isdigit() else 0  # "1." becomes "1\.", "#" becomes "\#"
    return escaped[:at] + "\\" + escaped[at:]


def md_text(text: str) -> str:
    """A single-line field (a name, a claim): line breaks become spaces, then escaped as one line."""
    return md_line(" ".join(_LINE_BREAK.split(text)))


def md_heading(text: str) -> str:
    """Heading text: escaped as one line, and a trailing " #" kept as text, not taken for a closing sequence."""
    escaped = md_text(text).rstrip()
    return escaped[:-1] + "\\#" if re.search(r"(^|[ \t])#+$", escaped) else escaped


def md_quote(text: str) -> list[str]:
    """A multi-line answer as the lines of a Markdown block quote."""
    return [f"> {escaped}" if escaped else ">" for escaped in map(md_line, _LINE_BREAK.split(text))]


def _day(timestamp: str | None) -> str:
    return (timestamp or "")[:10]


def stance_line(entry: PortfolioEntry, t: Translate) -> str:
    dash = t("recap.no_stance")
    return t("portfolio.stance", before=entry.before or dash, after=entry.after or dash)


def _status(entry: PortfolioEntry, t: Translate) -> str:
    if entry.finished:
        return t("portfolio.finished", date=_day(entry.finished))
    return t("portfolio.in_progress", date=_day(entry.started))


def to_markdown(name: str, entries: Iterable[PortfolioEntry], t: Translate, generated: str) -> str:
    """The portfolio as Markdown; every typed or content text in it is escaped (see the module docstring)."""
    lines = [
        f"# {t('portfolio.title')}",
        "",
        f"{t('portfolio.for', name=md_text(name))}  ",
        t("portfolio.generated", date=_day(generated)),
        "",
    ]
    for entry in entries:
        lines += [f"## {md_heading(entry.title)}", "", f"*{_status(entry, t)}*", ""]
        if entry.claim:
            lines += [f"**{t('portfolio.claim')}:** {md_text(entry.claim)}  ", stance_line(entry, t), ""]
        if entry.choices:
            lines += [md_text(t("recap.chosen", choices=", ".join(entry.choices))), ""]
        for answer in entry.answers:
            label = t("portfolio.followup") if answer.probe else t("portfolio.question")
            lines += [f"### {label}: {md_heading(_heading(answer))}", ""]
            lines += md_quote(answer.answer)
            lines += ["", f"<sub>{md_text(_meta(answer, t))}</sub>", ""]
            lines += _comments_markdown(answer, t)
        if entry.sources:
            lines += (
                [f"**{t('portfolio.sources')}**", ""] + [f"- {md_text(reference(s))}" for s in entry.sources] + [""]
            )
    return "\n".join(lines).rstrip() + "\n"


def _heading(answer: Answer) -> str:
    return answer.question if answer.probe else answer.title or answer.question


def _meta(answer: Answer, t: Translate) -> str:
    meta = f"{t('portfolio.move')}: {move_name(answer.move, t)} · {_day(answer.created)}"
    return meta + (f" · {t('portfolio.edited', date=_day(answer.edited))}" if answer.edited else "")


def _author(comment: CommentRecord, t: Translate) -> str:
    return comment.author or t("portfolio.comment_someone")


def _comments_markdown(answer: Answer, t: Translate) -> list[str]:
    """A facilitator's comments under the answer, each with the participant's reply, escaped."""
    lines: list[str] = []
    for c in answer.comments:
        lines += [f"**{md_text(t('portfolio.comment', name=_author(c, t), date=_day(c.created)))}**", ""]
        lines += md_quote(c.text) + [""]
        if c.reply is not None:
            lines += [f"*{md_text(t('portfolio.comment_reply', date=_day(c.replied)))}*", ""]
            lines += md_quote(c.reply) + [""]
    return lines


def _css_string(text: str) -> str:
    """A CSS string literal: quotes, backslashes, line breaks and "<" (no </style>) escaped."""
    return '"' + "".join(f"\\{ord(c):x} " if c in '\\"<>\n\r' else c for c in text) + '"'


def _page_counter(t: Translate) -> Markup:
    """The CSS `content` of the page footer: "Page 2 of 5" in the reader's language."""
    parts = re.split(r"(\{page\}|\{pages\})", t("portfolio.page", page="{page}", pages="{pages}"))
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    return Markup(" ".join(counters.get(p) or _css_string(p) for p in parts if p))


def _comment_context(comment: CommentRecord, t: Translate) -> dict:
    replied = t("portfolio.comment_reply", date=_day(comment.replied)) if comment.reply is not None else ""
    return {
        "heading": t("portfolio.comment", name=_author(comment, t), date=_day(comment.created)),
        "text": comment.text,
        "reply_heading": replied,
        "reply": comment.reply or "",
    }


def html_context(name: str, entries: Iterable[PortfolioEntry], t: Translate, generated: str, lang: str) -> dict:
    """What the HTML template is given: plain strings, every label already in the reader's language."""
    labels = {
        "title": t("portfolio.title"),
        "for_name": t("portfolio.for", name=name),
        "generated": t("portfolio.generated", date=_day(generated)),
        "claim": t("portfolio.claim"),
        "sources": t("portfolio.sources"),
    }
    shown = [
        {
            "title": entry.title,
            "status": _status(entry, t),
            "claim": entry.claim,
            "stance": stance_line(entry, t),
            "choices": t("recap.chosen", choices=", ".join(entry.choices)) if entry.choices else "",
            "answers": [
                {
                    "label": t("portfolio.followup") if answer.probe else t("portfolio.question"),
                    "heading": _heading(answer),
                    "text": answer.answer,
                    "meta": _meta(answer, t),
                    "comments": [_comment_context(c, t) for c in answer.comments],
                }
                for answer in entry.answers
            ],
            "sources": [reference(s) for s in entry.sources],
        }
        for entry in entries
    ]
    return {"name": name, "lang": lang, "labels": labels, "entries": shown, "page_counter": _page_counter(t)}


@cache
def _environment(template_dir: Path | None) -> Environment:
    """Templates from the institution's directory first, then the shipped ones; autoescaping always on,
    and sandboxed, so a template reaches only the values it is given. An unknown name is an error
    (StrictUndefined) rather than a silently empty field."""
    loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
    loaders.append(FileSystemLoader(str(TEMPLATES)))
    return SandboxedEnvironment(loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined)


def to_html(
    name: str,
    entries: Iterable[PortfolioEntry],
    t: Translate,
    generated: str,
    lang: str = "en",
    *,
    templates: Path | None = None,
) -> str:
    """The printable page from portfolio.html (an institution's own if `templates` has one); all values escaped."""
    template = _environment(templates).get_template("portfolio.html")
    return template.render(html_context(name, entries, t, generated, lang)) + "\n"
