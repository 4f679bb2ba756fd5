"""What an export or a report reads, over a read-only connection of its own (issue 15: no stalls).

The bot's event loop keeps its one connection (database.py); an export runs in a worker thread
with a `Reader`, opened with SQLite's `mode=ro` so it can never write, and reads one snapshot (a
read transaction: WAL lets the bot commit meanwhile, and the export sees none of it). SQLite
releases the GIL while it steps through rows, so the loop keeps serving participants.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from .cohorts import Cohorts
from .database import BUSY_TIMEOUT_MS, Database
from .feedback import Feedback
from .outbox import Outbox
from .participants import Participants
from .queries import ExportQueries
from .runs import Runs


def read_only_uri(path: str | Path) -> str:
    """The file: URI that opens the database at `path` for reading only."""
    return f"file:{quote(str(Path(path).resolve()))}?mode=ro"


class ReadOnlyDatabase(Database):
    """A Database whose connection cannot write (the schema is already migrated by the bot's own)."""

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(read_only_uri(self.path), uri=True, check_same_thread=False, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        return conn


class Reader:
    """The read side of storage that exports and reports use, on its own read-only connection.
    Open it in the thread that uses it; one per export."""

    def __init__(self, path: str | Path):
        self.database = ReadOnlyDatabase(path)
        self.exports = ExportQueries(self.database)
        self.runs = Runs(self.database, Outbox(self.database))
        self.cohorts = Cohorts(self.database)
        self.participants = Participants(self.database)
        self.feedback = Feedback(self.database)

    @property
    def path(self) -> str:
        return self.database.path

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Everything read inside sees the database as it was at the first read."""
        self.database.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.database.conn.execute("COMMIT")

    def close(self) -> None:
        self.database.close()
