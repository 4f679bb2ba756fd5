"""All use cases over one storage: what a shell is given to work with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engine import Course
from ..storage import Storage
from .cohorts import Cohorts
from .data_rights import DataRights
from .dialogues import Dialogues
from .group_sessions import GroupSessions
from .inbox import Inbox, Outbox
from .participants import Participants


class Services:
    def __init__(self, course: Course, storage: Storage, admins: frozenset[str] = frozenset()):
        self.course = course
        self.storage = storage
        """Shells never use it: it is here for tests that inspect what was stored."""
        self.participants = Participants(storage)
        self.dialogues = Dialogues(course, storage)
        self.rights = DataRights(course, storage, self.dialogues)
        self.cohorts = Cohorts(storage, admins)
        self.groups = GroupSessions(storage, course)
        self.inbox = Inbox(storage)
        self.outbox = Outbox(storage)
        self._exports: Any = None

    @classmethod
    def open(cls, db: str | Path, course: Course, admins: frozenset[str] = frozenset()) -> Services:
        """The use cases over the database at `db` (created and migrated if need be)."""
        return cls(course, Storage(db), admins)

    @property
    def exports(self) -> Any:
        """The export use cases, imported on first use (the export stack and its chart library are
        not needed to play or run)."""
        if self._exports is None:
            from .exporting import Exports

            self._exports = Exports(self.storage, self.course)
        return self._exports

    def write_problem(self) -> str | None:
        """Tried at start-up: SQLite's error when the database refuses writes, else None."""
        from .health import write_problem

        return write_problem(self.storage.database.conn)

    def reopen(self) -> None:
        """A new connection to the database (after it kept refusing writes: a remount, a moved file)."""
        self.storage.database.reopen()

    def close(self) -> None:
        if self._exports is not None:
            self._exports.close()  # exports still running in worker threads finish first
        self.storage.close()
