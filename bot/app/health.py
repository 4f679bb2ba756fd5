"""The health of a database file, for `elenchus doctor`: can it be opened and written, is it intact,
which schema version it has. Opens its own connection and never migrates."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..storage import MIGRATIONS


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    detail: str

    def __str__(self) -> str:
        return f"[{'ok' if self.ok else 'PROBLEM'}] {self.what}: {self.detail}"


def examine_database(path: Path) -> list[Finding]:
    if not path.exists():
        writable = path.resolve().parent
        ok = writable.is_dir() and _can_write(writable)
        return [
            Finding(
                ok,
                "database",
                f"{path} does not exist yet; it is created at the first start"
                + ("" if ok else f", but {writable} is not writable"),
            )
        ]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return [Finding(False, "database", f"{path} cannot be opened for writing: {exc}")]
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        writable = _try_write(conn)
        set_aside = _unparseable(conn)
    finally:
        conn.close()
    expected = len(MIGRATIONS)
    if version < expected:
        schema = Finding(True, "schema", f"version {version}; {expected - version} migration(s) run at the next start")
    elif version > expected:
        schema = Finding(False, "schema", f"version {version} is newer than this Elenchus ({expected}): upgrade it")
    else:
        schema = Finding(True, "schema", f"version {version}, all migrations applied")
    return [
        Finding(integrity == "ok", "database integrity", f"{path}: {integrity}"),
        schema,
        Finding(writable is None, "database writable", writable or "yes"),
        Finding(
            not set_aside,
            "updates set aside",
            f"{set_aside} update(s) Telegram sent could not be read; their shapes are in the table "
            "unparseable_updates (no content is kept)"
            if set_aside
            else "none",
        ),
    ]


def _unparseable(conn: sqlite3.Connection) -> int:
    """Updates that could not be parsed (the table exists from schema version 6 on)."""
    try:
        return conn.execute("select count(*) from unparseable_updates").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _try_write(conn: sqlite3.Connection) -> str | None:
    problem = write_problem(conn)
    return f"no: {problem}" if problem else None


def write_problem(conn: sqlite3.Connection) -> str | None:
    """Whether the database takes a write (tried, then rolled back); SQLite's error if not."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS _write_probe (x)")
        conn.execute("ROLLBACK")
        return None
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return sqlite_error(exc)


def sqlite_error(exc: sqlite3.Error) -> str:
    """SQLite's own name for an error (SQLITE_READONLY, SQLITE_FULL, SQLITE_IOERR_...), and its message."""
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    return f"{name}: {exc}"


def _can_write(folder: Path) -> bool:
    return os.access(folder, os.W_OK)
