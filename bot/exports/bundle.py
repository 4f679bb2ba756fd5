"""The portfolios of a whole cohort as one zip: a Markdown and an HTML file per participant.

Participants are written one at a time into the zip stream, so no more than one participant's
portfolio is in memory at once. The README.txt listing the files comes last, once all names are known.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from typing import BinaryIO

from .portfolio import to_html, to_markdown
from .records import PortfolioEntry

Translate = Callable[..., str]

MAX_STEM = 60
_UNSAFE = re.compile(r"[^\w.-]+")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_stem(label: str) -> str:
    """A file name stem from a participant label: letters, digits, "-", "_" and inner dots only.

    Path separators, "..", control and odd characters become "-"; letters of any script stay.
    A label with nothing usable left, or one Windows reserves (CON, NUL, ...), becomes "participant".
    """
    text = unicodedata.normalize("NFKC", label)
    stem = _UNSAFE.sub("-", text).strip("-._")[:MAX_STEM].strip("-._")
    stem = re.sub(r"-{2,}", "-", stem)
    if not stem or stem.split(".")[0].lower() in _WINDOWS_RESERVED:
        return "participant"
    return stem


class _Names:
    """Unique stems, compared without case (Windows and macOS do not tell "Alice" from "alice")."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, label: str) -> str:
        base = safe_stem(label)
        stem, number = base, 1
        while stem.casefold() in self.taken:
            number += 1
            stem = f"{base}-{number}"
        self.taken.add(stem.casefold())
        return stem


def write_portfolio_zip(
    portfolios: Iterable[tuple[str, list[PortfolioEntry]]],
    out: BinaryIO,
    t: Translate,
    generated: str,
    *,
    lang: str = "en",
) -> int:
    """Write one <name>.md and one <name>.html per (label, entries), then README.txt; return the participants."""
    names = _Names()
    listing: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for label, entries in portfolios:
            stem = names.claim(label)
            archive.writestr(f"{stem}.md", to_markdown(label, entries, t, generated))
            archive.writestr(f"{stem}.html", to_html(label, entries, t, generated, lang))
            listing.append(f"{stem}.md, {stem}.html: {_one_line(label)}")
        archive.writestr("README.txt", _readme(listing, t, generated))
    return len(listing)


def _one_line(label: str) -> str:
    return "".join(c for c in " ".join(label.split()) if c.isprintable())


def _readme(listing: list[str], t: Translate, generated: str) -> str:
    lines = [t("portfolio.title"), t("portfolio.generated", date=generated[:10]), ""]
    lines += listing or ["-"]
    return "\r\n".join(lines) + "\r\n"
