"""What is left on disk of a SQLite database: for tests of erasure."""

from __future__ import annotations

from pathlib import Path


def traces(db: Path, marker: str) -> dict[str, int]:
    """How often the marker occurs in each file SQLite keeps for the database, in UTF-8 or UTF-16."""
    found = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{db}{suffix}")
        if path.exists():
            data = path.read_bytes()
            found[path.name] = sum(data.count(marker.encode(codec)) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
    return found
