"""The SQLite connection: pragmas, transactions, and a few plain-SQL helpers every table module uses.

One connection per process, in autocommit mode; a write that belongs to one step is wrapped in
`transaction()` (BEGIN IMMEDIATE ... COMMIT), so a crash leaves either the whole step or none of
it. WAL mode lets readers (exports, Datasette) work while the bot writes; with `synchronous=NORMAL`
a commit is not fsynced (the log is, at each checkpoint): a killed process loses nothing, a power
cut or kernel crash can lose the last commits, never corrupt the file (README "Reliability").

Erasure has to reach the bytes on disk, not only the rows: `secure_delete` makes SQLite overwrite
deleted content (cells, free pages, overflow pages) with zeros, whatever the build's default, and
`checkpoint()` copies the write-ahead log into the database file and truncates it, since the log
still holds every earlier version of the pages it has seen.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from ..clock import utc_now
from .schema import migrate

Row = TypeVar("Row")

BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another connection's lock before it fails."""
CHECKPOINT_WAIT_MS = 1000
"""How long one checkpoint attempt waits for readers; the bot's event loop waits with it."""
CHECKPOINT_ATTEMPTS = 3


@dataclass(frozen=True)
class Checkpoint:
    """The result row of `PRAGMA wal_checkpoint(TRUNCATE)`."""

    busy: bool
    """A reader or writer kept it from finishing (after waiting CHECKPOINT_WAIT_MS)."""
    log_frames: int
    """Frames left in the write-ahead log: 0 once it is truncated, -1 without one (:memory:)."""
    checkpointed: int
    attempts: int = 1

    @property
    def truncated(self) -> bool:
        """No frame of the log is left on disk: nothing deleted survives in it."""
        return not self.busy and self.log_frames <= 0


def columns(cls: type, alias: str = "") -> str:
    """The select list for a row type: its field names, qualified by a table alias."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + f.name for f in fields(cls))


class Database:
    def __init__(self, path: str | Path, clock: Callable[[], str] = utc_now):
        self.path = str(path)
        self.clock = clock
        self.conn = self._connect()
        migrate(self.conn, self.path)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # see README "Reliability": what a power cut can cost
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def reopen(self) -> None:
        """Close the connection and open a new one (SQLite may keep refusing on a connection whose
        file was remounted or replaced)."""
        try:
            self.conn.close()
        finally:
            self.conn = self._connect()

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error; a nested use joins the outer one."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:  # SQLite rolls back by itself after some errors (a full disk)
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def checkpoint(self) -> Checkpoint:
        """Copy the write-ahead log into the database file and truncate it to zero bytes.

        A reader in a transaction (Datasette, a sqlite3 shell, an export in progress) may still
        need the old frames, so the checkpoint waits up to CHECKPOINT_WAIT_MS for it, and tries
        CHECKPOINT_ATTEMPTS times; the result says whether it got through. Not inside a
        transaction: the caller checkpoints after committing.
        """
        self.conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
        try:
            result = self._checkpoint_once(1)
            for attempt in range(2, CHECKPOINT_ATTEMPTS + 1):
                if result.truncated:
                    break
                time.sleep(0.01 * attempt)  # another connection's checkpoint fails at once, not after a wait
                result = self._checkpoint_once(attempt)
            return result
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _checkpoint_once(self, attempt: int) -> Checkpoint:
        try:
            busy, frames, done = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError:  # this connection still has a statement open
            return Checkpoint(True, -1, -1, attempt)
        return Checkpoint(bool(busy), frames, done, attempt)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        """Insert one row; returns its rowid."""
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        return self.conn.execute(f"insert into {table} ({columns}) values ({marks})", list(values.values())).lastrowid

    def update(self, table: str, key: int, values: Mapping[str, Any]) -> None:
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.conn.execute(f"update {table} set {assignments} where id = ?", [*values.values(), key])

    def count(self, sql: str, args: Sequence[Any] = ()) -> int:
        return self.conn.execute(f"select count(*) from {sql}", args).fetchone()[0]

    def rows(self, cls: type[Row], sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return list(self.iter_rows(cls, sql, args))

    def iter_rows(self, cls: type[Row], sql: str, args: Sequence[Any] = ()) -> Iterator[Row]:
        """Typed rows of a query whose columns are named like cls's fields, lazily; `cls.decode`
        (where a row type has one) turns stored JSON into values."""
        cursor = self.conn.execute(sql, args)
        names = [d[0] for d in cursor.description]
        decode = getattr(cls, "decode", None)
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            yield cls(**(decode(row) if decode else row))

    def one(self, cls: type[Row], sql: str, args: Sequence[Any] = ()) -> Row | None:
        return next(self.iter_rows(cls, f"{sql} limit 1", args), None)

    def close(self) -> None:
        self.conn.close()
