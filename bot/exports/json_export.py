"""Reflections as versioned JSON (format "elenchus.reflections"), documented in docs/export-json.md.

The file is written as it goes: the opening of the top-level object, then each reflection as
it arrives (one per line), then the closing. A whole cohort is never held as one list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from ..engine.probes import word_count
from .records import ReflectionRecord

FORMAT = "elenchus.reflections"
VERSION = 1
"""Additive changes keep version 1; removing or renaming a field, or changing its meaning or type, bumps it."""


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
