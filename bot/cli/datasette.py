"""`elenchus datasette-metadata`: the Datasette metadata (bot/cli/datasette.yaml) as JSON, under the
name Datasette gives the database, so it applies whatever the database file is called.

Datasette names a database after its file without the extension (`cohort-a.sqlite3` is
"cohort-a"), and metadata applies to a database by that name only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

METADATA = Path(__file__).with_name("datasette.yaml")
PLACEHOLDER = "DATABASE"


def metadata(db: Path) -> dict[str, Any]:
    """The metadata with its database section keyed by `db`'s Datasette name."""
    data = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    data["databases"] = {db.stem: data["databases"][PLACEHOLDER]}
    return data


def print_metadata(db: Path) -> int:
    print(json.dumps(metadata(db), ensure_ascii=False, indent=2))
    return 0
