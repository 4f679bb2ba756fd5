"""`elenchus doctor`: check the token, the database and the content before (or while) running."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..config import Settings
from ..content.loader import check_content
from ..content.prompts import check_prompts
from ..storage import MIGRATIONS


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    detail: str

    def __str__(self) -> str:
        return f"[{'ok' if self.ok else 'PROBLEM'}] {self.what}: {self.detail}"


def examine(settings: Settings) -> list[Finding]:
    return [*_content(settings), *_database(settings.db), _token(settings)]


def _content(settings: Settings) -> list[Finding]:
    content = [p for p in check_content(settings.content) if p.is_error]
    code = paths.source_dir() if settings.prompts.resolve() == paths.prompts_dir().resolve() else None
    prompts = [p for p in check_prompts(settings.prompts, code) if p.is_error]
    found = [
        Finding(not content, "content", f"{settings.content}: {len(content)} error(s)"),
        Finding(not prompts, "prompts", f"{settings.prompts}: {len(prompts)} error(s)"),
    ]
    return found + [Finding(False, "  ", str(p)) for p in (content + prompts)[:20]]


def _database(path: Path) -> list[Finding]:
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
    ]


def _try_write(conn: sqlite3.Connection) -> str | None:
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS _doctor_probe (x)")
        conn.execute("ROLLBACK")
        return None
    except sqlite3.Error as exc:
        return f"no: {exc}"


def _can_write(folder: Path) -> bool:
    return os.access(folder, os.W_OK)


def _token(settings: Settings) -> Finding:
    if not settings.token:
        return Finding(True, "telegram", "TELEGRAM_BOT_TOKEN is not set: only the terminal mode will run")
    try:
        username = asyncio.run(_get_me(settings))
    except Exception as exc:  # any failure is the finding: the message says which
        return Finding(
            False, "telegram", f"getMe failed: {type(exc).__name__}: {exc}".replace(settings.token, "<token>")
        )
    return Finding(True, "telegram", f"the token belongs to @{username}")


async def _get_me(settings: Settings) -> str:
    from telegram import Bot

    kwargs = {}
    if settings.api_url:
        kwargs["base_url"] = settings.api_url
    if settings.file_url:
        kwargs["base_file_url"] = settings.file_url
    async with Bot(settings.token, **kwargs) as bot:
        return (await bot.get_me()).username
