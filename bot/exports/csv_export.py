"""Reflections as CSV: one row per answer, for spreadsheets.

Encoding: UTF-8 with a byte order mark first, because Excel only detects UTF-8 by the BOM
(without it ümlauts, Greek and emoji turn to mojibake); LibreOffice and Python's
``encoding="utf-8-sig"`` read it too. Rows are written with the csv module's defaults:
comma-separated, QUOTE_MINIMAL (a cell is quoted only when it holds a comma, quote or line
break; inner quotes are doubled) and \\r\\n line endings as RFC 4180 asks. Line breaks inside
answers stay inside their quoted cell. The caller opens the file with ``newline=""`` so Python
does not translate line endings a second time.

Safety: a spreadsheet runs a cell that begins with = + - @ (and, in some programs, a TAB, CR
or LF before them) as a formula. Following the OWASP advice on CSV injection, every such cell
gets one leading single quote ('), which spreadsheets show as text. The quote is the only change:
stripping it gives back the stored text exactly.
"""

from __future__ import annotations

import csv
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
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(cell: str) -> str:
    """The cell as a spreadsheet will show it as text, never run it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


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
    )
    return [_cell(v) for v in values]


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
