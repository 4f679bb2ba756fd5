"""The printable portfolio as an A4 PDF, made by WeasyPrint from the same HTML page (templates/).

WeasyPrint was chosen over a canvas library such as fpdf2 because it lays out the HTML the
participant already gets, with CSS paged media: A4 pages, a page-number footer (`@page`
margin boxes with counter(page) and counter(pages)), sections that may break across pages while
a question stays with its answer (`break-inside: avoid` on each question-and-answer pair,
`break-after: avoid` on headings), and an institution's own template applies to the PDF too.
fpdf2 would need its own second layout of the portfolio, kept in step with the HTML by hand.

WeasyPrint needs Pango (libpango-1.0, libpangoft2-1.0) from the system. Where it cannot be
loaded, `unavailable()` says why and the shells send the other formats without a PDF.
"""

from __future__ import annotations

import logging
from functools import cache

log = logging.getLogger("elenchus.pdf")


@cache
def unavailable() -> str | None:
    """None when PDFs can be made; otherwise the reason (WeasyPrint or its system libraries missing)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries could not be loaded
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return None


def html_to_pdf(page: str) -> bytes:
    """The PDF of an HTML page (the portfolio); it refers to no file or URL, so nothing is fetched."""
    from weasyprint import HTML

    return HTML(string=page, url_fetcher=_no_fetching).write_pdf()


def _no_fetching(url: str, *args, **kwargs):
    """Refuse every fetch: the portfolio is self-contained, and an institution's template must not
    make the bot load remote or local files while it renders a participant's portfolio."""
    raise ValueError(f"the portfolio PDF fetches nothing ({url[:40]})")
