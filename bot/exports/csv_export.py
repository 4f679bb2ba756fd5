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
    "comments",
)
"""The source columns of the cells, in COLUMNS order (bot/storage/queries.py names them)."""
NUMBERS = frozenset({"dialogue_version", "word_count", "stance_before", "stance_after", "group_session"})
"""Cells that hold an integer (or nothing): guarded like all others, never quoted."""


COMMENTS_SQL = """(select group_concat(line, char(10)) from (
    select coalesce(nullif(m.author_name, ''), '-') || ' (' || substr(m.created, 1, 10) || '): ' || m.text
        || case when m.reply is null then ''
           else char(10) || '  reply (' || substr(coalesce(m.replied, ''), 1, 10) || '): ' || m.reply end as line
    from comments m where m.reflection_id = r.id order by m.id))"""
"""The comments cell over an answer `r`: one line per comment, "<author> (<date>): <comment>", each
followed by "  reply (<date>): <reply>" where the participant answered; empty without comments."""
SAFE_START = "[0-9A-Za-z]*"
"""A GLOB pattern: a cell that begins with an ASCII letter or digit never needs the guard."""
TEXTS = tuple(c for c in CELLS if c not in NUMBERS and c != "follow_up")
TYPED = ("participant_name", "question", "answer", "comments")
"""The texts that come from people (a name, an answer; a question may quote one): the only ones
that could hold a NUL character. The course's texts and timestamps cannot."""


def _guarded(column: str) -> str:
    """``neutralise`` in SQL, for one source column. A cell that begins with an ASCII letter or
    digit (nearly every cell) is left as it is; every other one goes through ``neutralise`` itself
    (registered as SQL_GUARD), so the rule has one implementation. A number needs it only when
    negative. The participant cell is tested by the name it begins with (or its "P")."""
    if column == "follow_up":
        return "case when probe then 'yes' else 'no' end"
    if column in NUMBERS:
        return f"case when {column} >= 0 or {column} is null then {column} else {SQL_GUARD}({column}) end"
    value, start = column, column
    if column == "participant":
        value, start = LABEL_SQL, "coalesce(nullif(participant_name, ''), 'P')"
    return f"case when {start} glob '{SAFE_START}' or {start} is null then {value} else {SQL_GUARD}({value}) end"


def _quoted(column: str) -> str:
    """A text cell in double quotes with inner quotes doubled (NULL as an empty cell)."""
    return f"""'"' || replace(coalesce({_guarded(column)}, ''), '"', '""') || '"'"""


def row_sql() -> str:
    """The SQL expression of one CSV line (without its line ending) over the source columns.

    One printf() builds the line: its %w doubles the double quotes of a text cell, its %s writes a
    number or NULL (as nothing). printf stops at a NUL character, so a row with one in a typed text
    is built by concatenation instead (slower, and hardly ever needed)."""
    line = ",".join('"%w"' if c in TEXTS else "%s" for c in CELLS)
    cells = ", ".join(f"coalesce({_guarded(c)}, '')" if c in TEXTS else _guarded(c) for c in CELLS)
    has_nul = " or ".join(f"instr({c}, char(0))" for c in TYPED)
    concatenated = " || ',' || ".join(_quoted(c) if c in TEXTS else f"coalesce({_guarded(c)}, '')" for c in CELLS)
    return f"case when {has_nul} then {concatenated} else printf('{line}', {cells}) end"


def sql_neutralise(cell: object) -> str | None:
    """``neutralise`` as SQL_GUARD: for any value SQLite passes (a number as text), NULL as NULL."""
    return None if cell is None else neutralise(str(cell))


def write_lines(batches: Iterable[list[bytes]], out: BinaryIO) -> int:
    """Write the BOM, the header and the lines SQLite built, in UTF-8 with CRLF line endings; return
    the rows written."""
    out.write((BOM + ",".join(COLUMNS) + "\r\n").encode())
    count = 0
    for lines in batches:
        count += len(lines)
        lines.append(b"")
        out.write(b"\r\n".join(lines))
    return count
