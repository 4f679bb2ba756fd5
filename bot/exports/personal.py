"""Everything stored about one participant, as the JSON file they receive (/mydata)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ..content.keys import MOVE_KEYS, move_name

FORMAT = "elenchus.personal-data"
VERSION = 1
SECTION_KEYS = {
    "participant": "mydata.participant",
    "consents": "mydata.consents",
    "runs": "mydata.runs",
    "reflections": "mydata.reflections",
    "stances": "mydata.stances",
    "memberships": "mydata.memberships",
    "facilitating": "mydata.facilitating",
}


def guide(t: Callable[..., str]) -> dict[str, Any]:
    """What each part of the file holds, and the Socratic moves in words, in the reader's language.

    The field names stay English (the file is data that tools read); the guide is for the person."""
    return {
        "about": t("mydata.about"),
        "sections": {section: t(key) for section, key in SECTION_KEYS.items()},
        "moves": {move: move_name(move, t) for move in MOVE_KEYS},
    }


def to_json(record: Any, generated: str, t: Callable[..., str] | None = None) -> str:
    """`record` is a dataclass (bot.storage.rows.PersonalData) or a dict of the stored rows; with `t`,
    the file starts with a guide to its contents in the reader's language."""
    data = asdict(record) if not isinstance(record, dict) else record
    explained = {"guide": guide(t)} if t else {}
    body = {"format": FORMAT, "version": VERSION, "generated": generated, **explained, **data}
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
