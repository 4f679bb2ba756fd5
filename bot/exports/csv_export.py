"""Reflections as CSV: one row per answer, for spreadsheets.

Encoding: UTF-8 with a byte order mark first, because Excel only detects UTF-8 by the BOM
(without it ümlauts, Greek and emoji turn to mojibake); LibreOffice and Python's
``encoding="utf-8-sig"`` read it too. Comma-separated with \\r\\n line endings as RFC 4180 asks;
every text cell in double quotes with inner quotes doubled (numbers and empty cells bare), so line
breaks inside answers stay inside their cell. Read by a CSV reader, that is the same as the csv
module's QUOTE_MINIMAL file exports wrote before (tests/unit/test_fast_exports.py compares).

The lines are built by SQLite (``row_sql``, over the columns bot/storage/queries.py selects): Python
only encodes and writes them, which makes an export about as fast as the sqlite3 tool (issue 15).

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

import unicodedata
from collections.abc import Iterable
from typing import BinaryIO

from .records import LABEL_SQL

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


SQL_GUARD = "elenchus_neutralise"
"""The name under which ``neutralise`` is registered on the connection that builds the rows."""
CELLS = (
    "participant",
    "cohort",
    "dialogue_id",
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
"""The source columns of the cells, in COLUMNS order (bot/storage/queries.py names them)."""
NUMBERS = frozenset({"dialogue_version", "word_count", "stance_before", "stance_after", "group_session"})
"""Cells that hold an integer (or nothing): guarded like all others, never quoted."""


def _sql_guard(column: str) -> str:
    """``neutralise`` in SQL. A cell whose first character after typed quotes is printable ASCII
    other than = + - @ needs no guard, which is nearly every cell; all others go through
    ``neutralise`` itself (registered as SQL_GUARD), so the rule has one implementation."""
    rest = f"ltrim({column}, '''')"
    return (
        f"case when {column} is null then null when unicode({rest}) between 33 and 126 and substr({rest}, 1, 1) not in ('=', '+', '-', '@') "
        f"then {column} else {SQL_GUARD}(cast({column} as text)) end"
    )


def _sql_cell(column: str) -> str:
    """One cell: guarded, a text cell in double quotes with inner quotes doubled, NULL empty."""
    if column == "follow_up":
        return "case when probe then 'yes' else 'no' end"
    guarded = _sql_guard(LABEL_SQL if column == "participant" else column)
    if column in NUMBERS:
        return f"coalesce({guarded}, '')"
    return f"""coalesce('"' || replace({guarded}, '"', '""') || '"', '')"""


def row_sql() -> str:
    """The SQL expression of one CSV line (without its line ending) over the source columns."""
    return " || ',' || ".join(_sql_cell(c) for c in CELLS)


def write_lines(batches: Iterable[list[str]], out: BinaryIO) -> int:
    """Write the BOM, the header and the lines SQLite built, in UTF-8 with CRLF line endings; return
    the rows written."""
    out.write((BOM + ",".join(COLUMNS) + "\r\n").encode())
    count = 0
    for lines in batches:
        count += len(lines)
        lines.append("")
        out.write("\r\n".join(lines).encode())
    return count
