"""All of Elenchus' data, in one SQLite file (see database.py for transactions, schema.py for the
migrations). One class per concern; `Storage` holds them over one connection.

Only the use cases (bot/app/) use storage; a test that reads imports enforces it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from .badges import BadgeRequirements
from .cohorts import Cohorts, new_code
from .database import Database, utc_now
from .feedback import Feedback
from .groups import GroupSessions
from .outbox import Outbox
from .participants import Participants
from .queries import ExportQueries
from .reminders import Reminders
from .runs import Runs
from .schema import MIGRATIONS, migrate
from .updates import Updates

__all__ = ["MIGRATIONS", "Storage", "new_code", "utc_now"]


class Storage:
    def __init__(self, path: str | Path, clock: Callable[[], str] = utc_now):
        self.database = Database(path, clock)
        self.participants = Participants(self.database)
        self.outbox = Outbox(self.database)
        self.runs = Runs(self.database, self.outbox)
        self.cohorts = Cohorts(self.database)
        self.badges = BadgeRequirements(self.database)
        self.groups = GroupSessions(self.database, self.runs)
        self.exports = ExportQueries(self.database)
        self.updates = Updates(self.database)
        self.feedback = Feedback(self.database)
        self.reminders = Reminders(self.database, self.outbox)

    @property
    def path(self) -> str:
        return self.database.path

    @property
    def schema_version(self) -> int:
        return self.database.schema_version

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, for tests and tools that inspect tables; never
        used by the bot itself (it reads the schema on every call)."""
        return sqlite_utils.Database(self.database.conn)

    def migrate(self) -> int:
        """Apply missing migrations (opening the storage already does); returns how many ran."""
        return migrate(self.database.conn, self.path)

    def transaction(self):
        return self.database.transaction()

    def close(self) -> None:
        self.database.close()
