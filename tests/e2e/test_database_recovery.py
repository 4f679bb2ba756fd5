"""A database that refuses writes: the start-up says so with SQLite's own error, the current step
can still be read, and a connection that keeps refusing is opened anew."""

from __future__ import annotations

from bot.app.health import sqlite_error, write_problem
from bot.storage import Storage

from ..support.bot_harness import TITLE, Participant, running_bot

FAST = {"rate": (1000, 1.0)}


def test_the_write_probe_names_sqlites_error(tmp_path):
    store = Storage(tmp_path / "probe.db")
    try:
        assert write_problem(store.database.conn) is None
        store.database.conn.execute("PRAGMA query_only = ON")
        problem = write_problem(store.database.conn)
        assert problem is not None and problem.startswith("SQLITE_READONLY"), problem
        assert not store.database.conn.in_transaction
    finally:
        store.close()


def test_sqlite_error_names_the_code():
    import sqlite3

    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("select * from nothing_here")
    except sqlite3.Error as exc:
        assert sqlite_error(exc).startswith("SQLITE_ERROR: no such table")


async def test_resume_shows_the_step_while_writes_are_refused_and_the_connection_recovers(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db", **FAST) as bot:
        alice = Participant(fake, fake.user("Alice"))
        await alice.command("/start")
        await alice.press("Yes, keep my answers")
        await alice.press(TITLE)
        await alice.press("3")
        await alice.expect("Step 2 of 12")
        bot.storage.database.conn.execute("PRAGMA query_only = ON")  # as after a remount: writes refused
        await alice.command("/resume")
        await alice.expect("Step 2 of 12")  # reading the current step needs no write
        for attempt in range(3):
            await alice.write(f"Refused {attempt}, because the disk is read-only for a while, for example.")
            await alice.expect("could not save that just now")
        # Three refusals in a row: the bot opened a new connection (query_only is gone with the old one).
        await alice.write("Kept, because the database takes writes again, for example this answer.")
        await alice.expect("What would convince you")
        answers = [
            r.answer
            for r in bot.storage.runs.reflections(bot.storage.participants.find("telegram", str(alice.user.id)).id)
        ]
        assert answers == ["Kept, because the database takes writes again, for example this answer."]
