"""Reflections as CSV: one row per answer, for spreadsheets.

Encoding: UTF-8 with a byte order mark first, because Excel only detects UTF-8 by the BOM
(without it ümlauts, Greek and emoji turn to mojibake); LibreOffice and Python's
``encoding="utf-8-sig"`` read it too. Rows are written with the csv module's defaults:
comma-separated, QUOTE_MINIMAL (a cell is quoted only when it holds a comma, quote or line
break; inner quotes are doubled) and \\r\\n line endings as RFC 4180 asks. Line breaks inside
answers stay inside their quoted cell. The caller opens the file with ``newline=""`` so Python
does not translate line endings a second time.

Safety: a spreadsheet runs a cell that begins with = + - @ as a formula (OWASP, "CSV
injection"); =HYPERLINK(...) and =WEBSERVICE(...) can send the other cells anywhere. Such a cell
gets one leading single quote ('), which spreadsheets show as text. A cell is guarded when:

- it begins with TAB, CR or LF (some programs drop them and then see a formula), or
- its first visible character is = + - or @. Whitespace, control and format characters before it
  are looked through (spaces, TAB, U+00A0, U+2003, U+3000, zero-width U+200B/U+200D/U+2060, the
  BOM U+FEFF, bidi controls): LibreOffice's "Trim spaces" import option strips leading spaces and
  then evaluates " =1+1", and other programs, a TRIM()/CLEAN() or a paste may strip more. LibreOffice
  7.4 leaves "\u00a0=1+1" and "\u200b=1+1" as text, but one quote is a cheap price for not relying
  on that.

Fullwidth look-alikes (U+FF1D, U+FF0B, U+FF0D, U+FF20) and U+2212 are not guarded: LibreOffice
does not evaluate them (tests/test_export_hardening.py imports them with soffice to check; Excel
was not tried), and guarding them would only put quotes before ordinary CJK text.
Every cell of a row goes through the guard, numbers included, so no column is forgotten.

The quote is the only change, and ``restore`` takes it off again: it strips a leading quote
exactly when the rest would itself be guarded. So that this never takes a typed quote for an
added one, a stored text that begins with typed quotes before a formula ("'=1") gets the added
quote too ("''=1"); a typed quote before ordinary text ("'Quoted' Quinn") is left as it is.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from typing import TextIO

from ..engine.probes import word_count
from .records import ReflectionRecord

BOM = "\ufeff"
COLUMNS = (
    "participant",
    "cohort",
    "dialogue",
    "dialogue_title",
    "dialogue_version",
    "question",
    "answer",
    "move",
    "follow_up",
    "word_count",
    "stance_before",
    "stance_after",
    "group_session",
    "created",
    "edited",
    "comments",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""Guarded when the cell begins with one of these."""
_TRIGGERS = frozenset("=+-@")
"""Guarded when the first visible character is one of these."""


def _invisible(char: str) -> bool:
    """Whitespace, control or format character (zero-width space, BOM, bidi mark): nothing a reader sees."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def _first_visible(text: str) -> str:
    return next((c for c in text if not _invisible(c)), "")


def needs_guard(cell: str) -> bool:
    """True when a spreadsheet could run the cell as a formula, looking through typed leading quotes."""
    rest = cell.lstrip("'")
    return rest.startswith(FORMULA_STARTS) or _first_visible(rest) in _TRIGGERS


def neutralise(cell: str) -> str:
    """The cell as a spreadsheet will show it as text, never run it as a formula."""
    return "'" + cell if needs_guard(cell) else cell


def restore(cell: str) -> str:
    """The stored text back from a neutralised cell: the inverse of ``neutralise``."""
    return cell[1:] if cell.startswith("'") and needs_guard(cell[1:]) else cell


def _cell(value: object) -> str:
    return "" if value is None else neutralise(str(value))


def row(record: ReflectionRecord) -> list[str]:
    """One record as the cells of its row, in COLUMNS order."""
    values = (
        record.participant,
        record.cohort,
        record.dialogue_id,
        record.dialogue_title,
        record.dialogue_version,
        record.question,
        record.answer,
        record.move,
        "yes" if record.probe else "no",
        word_count(record.answer),
        record.stance_before,
        record.stance_after,
        record.group_session,
        record.created,
        record.edited,
        comments_cell(record),
    )
    return [_cell(v) for v in values]


def comments_cell(record: ReflectionRecord) -> str:
    """Facilitators' comments on the answer, one per line, each with the participant's reply:
    "<author> (<date>): <comment>" and "  reply (<date>): <reply>"; empty without comments."""
    lines = []
    for comment in record.comments:
        lines.append(f"{comment.author or '-'} ({comment.created[:10]}): {comment.text}")
        if comment.reply is not None:
            lines.append(f"  reply ({(comment.replied or '')[:10]}): {comment.reply}")
    return "\n".join(lines)


def write_csv(records: Iterable[ReflectionRecord], out: TextIO) -> int:
    """Write the BOM, the header and one row per record as each arrives; return the rows written."""
    out.write(BOM)
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for record in records:
        writer.writerow(row(record))
        count += 1
    return count
