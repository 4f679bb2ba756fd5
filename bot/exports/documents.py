"""One participant's portfolio in every format, as named files: what /portfolio sends, the terminal
writes, and the facilitators' zip holds per participant.

Markdown for notes, HTML for the browser, an A4 PDF to print (when WeasyPrint can run, see pdf.py),
and Leap2A for Mahara. All in the reader's language: `t` and `lang` are the participant's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import leap2a, pdf
from .portfolio import to_html, to_markdown
from .records import PortfolioEntry

Translate = Callable[..., str]
log = logging.getLogger("elenchus.documents")


@dataclass(frozen=True)
class File:
    name: str
    data: bytes


def portfolio_files(
    name: str,
    entries: Sequence[PortfolioEntry],
    t: Translate,
    generated: str,
    *,
    stem: str,
    lang: str = "en",
    feed_id: str,
    templates: Path | None = None,
    with_pdf: bool = True,
) -> list[File]:
    """<stem>.md, <stem>.html, <stem>.pdf (if PDFs can be made and are wanted) and <stem>.leap2a.zip."""
    page = to_html(name, entries, t, generated, lang, templates=templates)
    files = [File(f"{stem}.md", to_markdown(name, entries, t, generated).encode()), File(f"{stem}.html", page.encode())]
    if with_pdf and pdf.unavailable() is None:
        files.append(File(f"{stem}.pdf", pdf.html_to_pdf(page)))
    elif with_pdf:
        log.warning("event=portfolio_without_pdf reason=%s", pdf.unavailable())
    mahara = leap2a.to_leap2a_zip(name, entries, t, generated, feed_id=feed_id, lang=lang)
    files.append(File(f"{stem}.leap2a.zip", mahara))
    return files
