"""A participant's reflections as a portfolio: Markdown, and a self-contained printable HTML page.

Both carry text that participants typed (names, answers) and text from the content (titles,
claims, questions, sources), so both escape it. The HTML page escapes everything with
``html.escape``. The Markdown escapes so that a renderer shows the text as typed and builds no
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

import html
import re
from collections.abc import Callable, Iterable

from ..content.keys import move_name, reference
from .records import Answer, CommentRecord, PortfolioEntry

Translate = Callable[..., str]

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


def _stance_line(entry: PortfolioEntry, t: Translate) -> str:
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
            lines += [f"**{t('portfolio.claim')}:** {md_text(entry.claim)}  ", _stance_line(entry, t), ""]
        if entry.choices:
            lines += [md_text(t("recap.chosen", choices=", ".join(entry.choices))), ""]
        for answer in entry.answers:
            label = t("portfolio.followup") if answer.probe else t("portfolio.question")
            lines += [f"### {label}: {md_heading(_heading(answer))}", ""]
            lines += md_quote(answer.answer)
            meta = f"{t('portfolio.move')}: {md_text(move_name(answer.move, t))} · {_day(answer.created)}"
            if answer.edited:
                meta += f" · {t('portfolio.edited', date=_day(answer.edited))}"
            lines += ["", f"<sub>{meta}</sub>", ""]
            lines += _comments_markdown(answer, t)
        if entry.sources:
            lines += (
                [f"**{t('portfolio.sources')}**", ""] + [f"- {md_text(reference(s))}" for s in entry.sources] + [""]
            )
    return "\n".join(lines).rstrip() + "\n"


def _heading(answer: Answer) -> str:
    return answer.question if answer.probe else answer.title or answer.question


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


def _comments_html(answer: Answer, t: Translate) -> list[str]:
    e = html.escape
    out = []
    for c in answer.comments:
        reply = ""
        if c.reply is not None:
            reply = (
                f'<p class="meta">{e(t("portfolio.comment_reply", date=_day(c.replied)))}</p>'
                f'<p class="answer">{e(c.reply)}</p>'
            )
        out.append(
            f'<div class="comment"><p class="meta">{e(t("portfolio.comment", name=_author(c, t), date=_day(c.created)))}'
            f'</p><p class="answer">{e(c.text)}</p>{reply}</div>'
        )
    return out


_CSS = """
body{font:16px/1.5 Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.8rem;margin-bottom:.2rem} h2{margin-top:2.5rem;border-bottom:1px solid #999;page-break-after:avoid}
h3{font-size:1rem;margin:1.5rem 0 .3rem;font-style:italic;font-weight:normal}
.answer{white-space:pre-wrap;border-left:3px solid #555;padding:.2rem 0 .2rem .8rem;margin:0}
.meta,.status{color:#555;font-size:.85rem} .claim{background:#f3f3f3;padding:.5rem .8rem}
.comment{margin-left:1.5rem} section{page-break-inside:avoid} ul.sources{font-size:.9rem}
@media print{body{margin:0;max-width:none}}
"""


def to_html(name: str, entries: Iterable[PortfolioEntry], t: Translate, generated: str, lang: str = "en") -> str:
    e = html.escape
    out = [
        f'<!DOCTYPE html>\n<html lang="{e(lang)}"><head><meta charset="utf-8">',
        f"<title>{e(t('portfolio.title'))}: {e(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(t('portfolio.title'))}</h1>",
        f'<p class="meta">{e(t("portfolio.for", name=name))}<br>{e(t("portfolio.generated", date=_day(generated)))}</p>',
    ]
    for entry in entries:
        out.append(f'<section><h2>{e(entry.title)}</h2><p class="status">{e(_status(entry, t))}</p>')
        if entry.claim:
            out.append(
                f'<p class="claim"><strong>{e(t("portfolio.claim"))}:</strong> {e(entry.claim)}<br>'
                f"{e(_stance_line(entry, t))}</p>"
            )
        for answer in entry.answers:
            label = t("portfolio.followup") if answer.probe else t("portfolio.question")
            meta = f"{t('portfolio.move')}: {move_name(answer.move, t)} · {_day(answer.created)}"
            if answer.edited:
                meta += f" · {t('portfolio.edited', date=_day(answer.edited))}"
            out.append(
                f'<h3>{e(label)}: {e(_heading(answer))}</h3><p class="answer">{e(answer.answer)}</p>'
                f'<p class="meta">{e(meta)}</p>'
            )
            out.extend(_comments_html(answer, t))
        if entry.sources:
            items = "".join(f"<li>{e(reference(s))}</li>" for s in entry.sources)
            out.append(f'<h3>{e(t("portfolio.sources"))}</h3><ul class="sources">{items}</ul>')
        out.append("</section>")
    out.append("</body></html>\n")
    return "\n".join(out)
