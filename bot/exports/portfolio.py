"""A participant's reflections as a portfolio: Markdown, and a self-contained printable HTML page."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from ..content.keys import reference
from .records import PortfolioEntry

Translate = Callable[..., str]


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
    lines = [
        f"# {t('portfolio.title')}",
        "",
        f"{t('portfolio.for', name=name)}  ",
        t("portfolio.generated", date=_day(generated)),
        "",
    ]
    for entry in entries:
        lines += [f"## {entry.title}", "", f"*{_status(entry, t)}*", ""]
        if entry.claim:
            lines += [f"**{t('portfolio.claim')}:** {entry.claim}  ", _stance_line(entry, t), ""]
        for answer in entry.answers:
            label = t("portfolio.followup") if answer.probe else t("portfolio.question")
            lines += [f"### {label}: {answer.question}", ""]
            lines += [f"> {line}" if line else ">" for line in answer.answer.split("\n")]
            meta = f"{t('portfolio.move')}: {answer.move} · {_day(answer.created)}"
            if answer.edited:
                meta += f" · {t('portfolio.edited', date=_day(answer.edited))}"
            lines += ["", f"<sub>{meta}</sub>", ""]
        if entry.sources:
            lines += [f"**{t('portfolio.sources')}**", ""] + [f"- {reference(s)}" for s in entry.sources] + [""]
    return "\n".join(lines).rstrip() + "\n"


_CSS = """
body{font:16px/1.5 Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.8rem;margin-bottom:.2rem} h2{margin-top:2.5rem;border-bottom:1px solid #999;page-break-after:avoid}
h3{font-size:1rem;margin:1.5rem 0 .3rem;font-style:italic;font-weight:normal}
.answer{white-space:pre-wrap;border-left:3px solid #555;padding:.2rem 0 .2rem .8rem;margin:0}
.meta,.status{color:#555;font-size:.85rem} .claim{background:#f3f3f3;padding:.5rem .8rem}
section{page-break-inside:avoid} ul.sources{font-size:.9rem}
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
            meta = f"{t('portfolio.move')}: {answer.move} · {_day(answer.created)}"
            if answer.edited:
                meta += f" · {t('portfolio.edited', date=_day(answer.edited))}"
            out.append(
                f'<h3>{e(label)}: {e(answer.question)}</h3><p class="answer">{e(answer.answer)}</p>'
                f'<p class="meta">{e(meta)}</p>'
            )
        if entry.sources:
            items = "".join(f"<li>{e(reference(s))}</li>" for s in entry.sources)
            out.append(f'<h3>{e(t("portfolio.sources"))}</h3><ul class="sources">{items}</ul>')
        out.append("</section>")
    out.append("</body></html>\n")
    return "\n".join(out)
