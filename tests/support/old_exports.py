"""The CSV and JSON exports as they were before their rows were built in SQL (issue 15): Python
from ReflectionRecord values, kept here only as the reference the fast exports are compared with
(tests/unit/test_fast_exports.py) and for the tests of the cell rules that predate them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from bot.engine.probes import word_count
from bot.exports.csv_export import BOM, COLUMNS, neutralise
from bot.exports.json_export import FORMAT, VERSION
from bot.exports.records import ReflectionRecord


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


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def reflection(record: ReflectionRecord) -> dict[str, Any]:
    """One reflection as it appears in the "reflections" array."""
    cohort = None if record.cohort_id is None else {"id": record.cohort_id, "name": record.cohort}
    return {
        "id": record.reflection_id,
        "run_id": record.run_id,
        "participant": {"id": record.participant_id, "name": record.participant},
        "cohort": cohort,
        "dialogue": {"id": record.dialogue_id, "title": record.dialogue_title, "version": record.dialogue_version},
        "node": record.node_id,
        "question": record.question,
        "answer": record.answer,
        "move": record.move,
        "follow_up": record.probe,
        "word_count": word_count(record.answer),
        "stance": {"before": record.stance_before, "after": record.stance_after},
        "group_session": record.group_session,
        "created": record.created,
        "edited": record.edited,
        "comments": comments(record),
    }


def comments(record: ReflectionRecord) -> list[dict[str, Any]]:
    """Facilitators' comments on the answer, oldest first, each with the participant's one reply."""
    return [
        {
            "id": c.id,
            "author": c.author or None,
            "text": c.text,
            "created": c.created,
            "reply": None if c.reply is None else {"text": c.reply, "created": c.replied},
        }
        for c in record.comments
    ]


def write_json(records: Iterable[ReflectionRecord], out: TextIO, *, scope: dict[str, Any], generated: str) -> int:
    """Write the export object, one reflection at a time; return how many reflections were written."""
    out.write(
        "{\n"
        f'  "format": {_dumps(FORMAT)},\n'
        f'  "version": {VERSION},\n'
        f'  "generated": {_dumps(generated)},\n'
        f'  "scope": {_dumps(scope)},\n'
        '  "reflections": ['
    )
    count = 0
    for record in records:
        out.write(("," if count else "") + "\n    " + _dumps(reflection(record)))
        count += 1
    out.write("\n  ]\n}\n" if count else "]\n}\n")
    return count
