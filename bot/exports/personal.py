"""Everything stored about one participant, as the JSON file they receive (/mydata)."""

from __future__ import annotations

import json
from typing import Any

FORMAT = "elenchus.personal-data"
VERSION = 1


def to_json(record: dict[str, Any], generated: str) -> str:
    return (
        json.dumps(
            {"format": FORMAT, "version": VERSION, "generated": generated, **record}, ensure_ascii=False, indent=2
        )
        + "\n"
    )
