"""Everything stored about one participant, as the JSON file they receive (/mydata)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

FORMAT = "elenchus.personal-data"
VERSION = 1


def to_json(record: Any, generated: str) -> str:
    """`record` is a dataclass (bot.storage.rows.PersonalData) or a dict of the stored rows."""
    data = asdict(record) if not isinstance(record, dict) else record
    body = {"format": FORMAT, "version": VERSION, "generated": generated, **data}
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
