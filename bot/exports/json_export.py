"""Reflections as versioned JSON (format "elenchus.reflections"), documented in docs/export-json.md.

The file is written as it goes: the opening of the top-level object, then each reflection as
SQLite built it (``object_sql``: json_object over the columns bot/storage/queries.py selects, one
per line), then the closing. A whole cohort is never held as one list, and Python only encodes
and writes the lines (issue 15: exports at SQLite's speed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, BinaryIO

from .records import LABEL_SQL

FORMAT = "elenchus.reflections"
VERSION = 1
"""Additive changes keep version 1; removing or renaming a field, or changing its meaning or type, bumps it."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def object_sql() -> str:
    """One reflection as it appears in the "reflections" array, as an SQL expression. SQLite escapes
    quotes, backslashes and control characters; everything else stays as it is (UTF-8)."""
    return f"""json_object(
        'id', reflection_id,
        'run_id', run_id,
        'participant', json_object('id', participant_id, 'name', {LABEL_SQL}),
        'cohort', case when cohort_id is null then null else json_object('id', cohort_id, 'name', cohort) end,
        'dialogue', json_object('id', dialogue_id, 'title', dialogue_title, 'version', dialogue_version),
        'node', node_id,
        'question', question,
        'answer', answer,
        'move', move,
        'follow_up', case when probe then json('true') else json('false') end,
        'word_count', word_count,
        'stance', json_object('before', stance_before, 'after', stance_after),
        'group_session', group_session,
        'created', created,
        'edited', edited,
        'comments', json(comments))"""


COMMENTS_SQL = """(select json_group_array(json_object(
        'id', m.id, 'author', nullif(m.author_name, ''), 'text', m.text, 'created', m.created,
        'reply', json(case when m.reply is null then null else json_object('text', m.reply, 'created', m.replied) end)))
    from (select * from comments where reflection_id = r.id order by id) m)"""
"""Facilitators' comments on an answer `r`, oldest first, each with the participant's one reply."""


def write_lines(batches: Iterable[list[bytes]], out: BinaryIO, *, scope: dict[str, Any], generated: str) -> int:
    """Write the export object with the reflections SQLite built; return how many were written."""
    out.write(
        (
            "{\n"
            f'  "format": {_dumps(FORMAT)},\n'
            f'  "version": {VERSION},\n'
            f'  "generated": {_dumps(generated)},\n'
            f'  "scope": {_dumps(scope)},\n'
            '  "reflections": ['
        ).encode()
    )
    count = 0
    for lines in batches:
        out.write((b"," if count else b"") + b"\n    " + b",\n    ".join(lines))
        count += len(lines)
    out.write(b"\n  ]\n}\n" if count else b"]\n}\n")
    return count
