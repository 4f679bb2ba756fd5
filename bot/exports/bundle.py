"""The portfolios of a whole cohort as one zip: Markdown, HTML and Leap2A (for Mahara) per participant.

Each participant's files are in that participant's language (the locale given with their
portfolio), not the facilitator's; the README.txt is in the facilitator's. No PDF here: at about a
second per participant a cohort's zip would hold a Telegram handler for minutes, and every
participant gets their own PDF with /portfolio.

Participants are written one at a time into the zip stream, so no more than one participant's
portfolio is in memory at once. The README.txt listing the files comes last, once all names are known.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from .documents import portfolio_files
from .leap2a import feed_id_for

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
    portfolios: Iterable[Sequence],
    out: BinaryIO,
    t: Translate,
    generated: str,
    *,
    lang: str = "en",
    translators: Callable[[str], Translate] | None = None,
    templates: Path | None = None,
) -> int:
    """Write <name>.md, <name>.html and <name>.leap2a.zip (for Mahara) per participant, then README.txt; return the participants.

    Each item is (label, entries) or (label, entries, locale): with a locale and `translators`, that
    participant's files are in their language; otherwise in `lang` with `t`."""
    names = _Names()
    listing: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for label, entries, *rest in portfolios:
            locale = rest[0] if rest and translators else lang
            own = translators(locale) if rest and translators else t
            stem = names.claim(label)
            files = portfolio_files(
                label, entries, own, generated, stem=stem, lang=locale, feed_id=feed_id_for("zip", label),
                templates=templates, with_pdf=False,
            )  # fmt: skip
            for file in files:
                archive.writestr(file.name, file.data)
            listing.append(f"{', '.join(f.name for f in files)}: {_one_line(label)}")
        archive.writestr("README.txt", _readme(listing, t, generated))
    return len(listing)


def _one_line(label: str) -> str:
    return "".join(c for c in " ".join(label.split()) if c.isprintable())


def _readme(listing: list[str], t: Translate, generated: str) -> str:
    lines = [t("portfolio.title"), t("portfolio.generated", date=generated[:10]), ""]
    lines += listing or ["-"]
    return "\r\n".join(lines) + "\r\n"
