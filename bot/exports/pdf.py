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
    """The PDF of an HTML page (the portfolio). It is self-contained, so nothing is fetched but
    data: URLs (a logo embedded in an institution's template): a template must not make the bot
    load local files or remote URLs while it renders someone's portfolio."""
    import weasyprint

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint >= 66
        fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    else:  # pragma: no cover - older WeasyPrint takes a function

        def fetcher(url: str, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError(f"the portfolio PDF fetches nothing but data: URLs ({url[:40]})")
            return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return weasyprint.HTML(string=page, url_fetcher=fetcher).write_pdf()
