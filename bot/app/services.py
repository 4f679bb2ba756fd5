"""All use cases over one storage: what a shell is given to work with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engine import Course
from ..storage import Storage
from .cohorts import Cohorts
from .data_rights import DataRights
from .dialogues import Dialogues
from .feedback import Feedback
from .group_sessions import GroupSessions
from .inbox import Inbox, Outbox
from .participants import Participants
from .peers import Peers
from .reminders import Reminders


class Services:
    def __init__(
        self,
        course: Course,
        storage: Storage,
        admins: frozenset[str] = frozenset(),
        *,
        time_zone: str = "Europe/Berlin",
        quiet_hours: str = "21:00-08:00",
    ):
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
        self.feedback = Feedback(course, storage, self.cohorts)
        self.peers = Peers(storage)
        self.reminders = Reminders(course, storage, time_zone, quiet_hours)
        self._exports: Any = None
        self._credentials: Any = None

    @classmethod
    def open(cls, db: str | Path, course: Course, admins: frozenset[str] = frozenset(), **options: str) -> Services:
        """The use cases over the database at `db` (created and migrated if need be); `options`:
        the default time zone and quiet hours of reminders."""
        return cls(course, Storage(db), admins, **options)

    @property
    def exports(self) -> Any:
        """The export use cases, imported on first use (the export stack and its chart library are
        not needed to play or run)."""
        if self._exports is None:
            from .exporting import Exports

            self._exports = Exports(self.storage, self.course)
        return self._exports

    def credentials(self, config: Any) -> Any:
        """The credential use cases under an issuer configuration (bot/app/credentials.py), made
        on first use: the signing stack is not needed to play or run."""
        if self._credentials is None or self._credentials.config != config:
            from .credentials import Credentials

            self._credentials = Credentials(self.course, self.storage, config)
        return self._credentials

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
