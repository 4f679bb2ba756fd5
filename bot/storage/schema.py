"""The schema: versioned migrations, applied once at start-up.

Migration n (1-based) brings the schema from version n-1 to n; the list only grows, and a
migration is never edited once released. sqlite-utils does the table work here, and only here:
the rest of storage speaks plain SQL, so the hot path never reads the schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from ..engine.listening import word_count


def _m1_initial(db: sqlite_utils.Database) -> None:
    db["participants"].create(
        {"id": int, "platform": str, "external_id": str, "name": str, "locale": str, "created": str},
        pk="id",
        not_null={"platform", "external_id", "created"},
    )
    db["participants"].create_index(["platform", "external_id"], unique=True)
    db["consents"].create(
        {"id": int, "participant_id": int, "version": str, "given": int, "at": str},
        pk="id",
        foreign_keys=[("participant_id", "participants", "id")],
        not_null={"participant_id", "version", "given", "at"},
    )
    db["consents"].create_index(["participant_id"])
    db["runs"].create(
        {
            "id": int,
            "participant_id": int,
            "dialogue_id": str,
            "dialogue_version": int,
            "chat": str,
            "visit": int,
            "state": str,
            "status": str,
            "started": str,
            "updated": str,
            "finished": str,
        },
        pk="id",
        foreign_keys=[("participant_id", "participants", "id")],
        not_null={"participant_id", "dialogue_id", "dialogue_version", "state", "status", "started", "updated"},
    )
    db["runs"].create_index(["participant_id", "status"])
    db["reflections"].create(
        {
            "id": int,
            "run_id": int,
            "participant_id": int,
            "dialogue_id": str,
            "dialogue_version": int,
            "node_id": str,
            "question": str,
            "answer": str,
            "move": str,
            "probe": int,
            "created": str,
            "edited": str,
            "history": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id"), ("participant_id", "participants", "id")],
        not_null={"run_id", "participant_id", "dialogue_id", "node_id", "question", "answer", "move", "created"},
    )
    db["reflections"].create_index(["participant_id"])
    db["reflections"].create_index(["run_id"])
    db["stances"].create(
        {
            "id": int,
            "run_id": int,
            "participant_id": int,
            "dialogue_id": str,
            "node_id": str,
            "phase": str,
            "claim": str,
            "value": int,
            "created": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id"), ("participant_id", "participants", "id")],
        not_null={"run_id", "participant_id", "dialogue_id", "phase", "value", "created"},
    )
    db["stances"].create_index(["participant_id"])


def _m2_telegram(db: sqlite_utils.Database) -> None:
    """Where an answer was sent (to follow edits), blocked users, and updates already handled."""
    db["reflections"].add_column("chat", str)
    db["reflections"].add_column("message_id", int)
    db["reflections"].create_index(["chat", "message_id"])
    db["participants"].add_column("blocked", str)
    db["processed_updates"].create({"update_id": int, "at": str}, pk="update_id", not_null={"at"})


def _m3_cohorts(db: sqlite_utils.Database) -> None:
    """Cohorts with their invitation codes, who belongs to and who facilitates them, the cohort
    each answer was written for, and the audit log of exports and reports."""
    db["cohorts"].create(
        {"id": int, "name": str, "created_by": str, "created": str, "invite_code": str, "facilitator_code": str},
        pk="id",
        not_null={"name", "created"},
    )
    db["cohorts"].create_index(["name"], unique=True)
    db["cohorts"].create_index(["invite_code"], unique=True)
    db["cohorts"].create_index(["facilitator_code"], unique=True)
    for table in ("memberships", "facilitators"):
        db[table].create(
            {"cohort_id": int, "participant_id": int, "since": str},
            pk=("cohort_id", "participant_id"),
            foreign_keys=[("cohort_id", "cohorts", "id"), ("participant_id", "participants", "id")],
            not_null={"since"},
        )
        db[table].create_index(["participant_id"])
    db["participants"].add_column("cohort_id", int)
    for table in ("runs", "reflections", "stances"):
        db[table].add_column("cohort_id", int)
        db[table].create_index(["cohort_id"])
    db["audit"].create(
        {"id": int, "actor": str, "action": str, "scope": str, "records": int, "at": str},
        pk="id",
        not_null={"actor", "action", "scope", "records", "at"},
    )


def _m4_group_sessions(db: sqlite_utils.Database) -> None:
    """Group sessions in shared chats, the bot's messages there that members answer to, and which
    group session each member's run, answer and rating belongs to."""
    db["group_sessions"].create(
        {
            "id": int,
            "chat": str,
            "thread": int,
            "cohort_id": int,
            "dialogue_id": str,
            "dialogue_version": int,
            "state": str,
            "status": str,
            "started_by": int,
            "started": str,
            "ended": str,
            "control_message": int,
        },
        pk="id",
        foreign_keys=[("cohort_id", "cohorts", "id")],
        not_null={"chat", "dialogue_id", "dialogue_version", "state", "status", "started"},
    )
    db["group_sessions"].create_index(["chat", "status"])
    db["group_messages"].create(
        {
            "chat": str,
            "message_id": int,
            "session_id": int,
            "node_id": str,
            "kind": str,
            "participant_id": int,
            "poll_id": str,
            "phase": str,
            "question": str,
            "move": str,
            "at": str,
        },
        pk=("chat", "message_id"),
        foreign_keys=[("session_id", "group_sessions", "id")],
        not_null={"session_id", "kind", "at"},
    )
    db["group_messages"].create_index(["poll_id"])
    db["group_messages"].create_index(["session_id", "kind", "participant_id"])
    for table in ("runs", "reflections", "stances"):
        db[table].add_column("group_session_id", int)
        db[table].create_index(["group_session_id"])


def _m5_stance_lookup(db: sqlite_utils.Database) -> None:
    """Exports and reports look up each run's stances; without this index that is a table scan per
    answer (an export of 100,000 answers took 114 s instead of about 2 s)."""
    db["stances"].create_index(["run_id", "phase"])


def _m6_inbox_outbox(db: sqlite_utils.Database) -> None:
    """A durable inbox (updates stored before Telegram is told they arrived, deleted once handled),
    the updates that could not be parsed (their shape only, never their content), and an outbox
    (a step's replies, committed with the step, deleted once sent)."""
    db["inbox"].create(
        {"update_id": int, "received": str, "payload": str}, pk="update_id", not_null={"received", "payload"}
    )
    db["unparseable_updates"].create(
        {"update_id": int, "received": str, "shape": str, "error": str}, pk="update_id", not_null={"received"}
    )
    db["outbox"].create(
        {"id": int, "chat": str, "thread": int, "payload": str, "created": str, "update_id": int},
        pk="id",
        not_null={"chat", "payload", "created"},
    )
    db["outbox"].create_index(["chat", "id"])


def _m7_group_bindings(db: sqlite_utils.Database) -> None:
    """Which cohort a group's sessions count for, and who bound the group to it (a facilitator of
    the cohort who was an admin of the group, or an administrator); and the answer count the
    control message of a session shows, so the bot never sends an edit that changes nothing.

    bound_by has no foreign key, like group_sessions.started_by: /forget deletes a participant,
    and the group stays bound."""
    db["group_bindings"].create(
        {"chat": str, "cohort_id": int, "bound_by": int, "at": str},
        pk="chat",
        foreign_keys=[("cohort_id", "cohorts", "id")],
        not_null={"cohort_id", "at"},
    )
    db["group_sessions"].add_column("control_count", int)


def _m8_export_speed(db: sqlite_utils.Database) -> None:
    """Exports at SQLite's speed: each answer's word count stored with it (backfilled here with the
    same function that counts new answers, bot.engine.listening.word_count), so an export's rows can
    be built in SQL; and indexes for exports and overviews by cohort and dialogue (before them, an
    export of one dialogue read the whole cohort), which also hold what the overview counts (word
    counts; who started and finished), so its aggregates never read the answers themselves."""
    db["reflections"].add_column("word_count", int)
    db.conn.create_function("elenchus_word_count", 1, word_count, deterministic=True)
    db.execute("update reflections set word_count = elenchus_word_count(answer)")
    db["reflections"].create_index(["cohort_id", "dialogue_id"])  # an export of one dialogue, in rowid order
    db["reflections"].create_index(["cohort_id", "dialogue_id", "word_count"])  # the overview's word counts
    db["runs"].create_index(["cohort_id", "dialogue_id", "participant_id", "status"])


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m1_initial,
    _m2_telegram,
    _m3_cohorts,
    _m4_group_sessions,
    _m5_stance_lookup,
    _m6_inbox_outbox,
    _m7_group_bindings,
    _m8_export_speed,
]


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Apply the migrations this database lacks, each in its own transaction; returns how many ran."""
    done = conn.execute("PRAGMA user_version").fetchone()[0]
    if done > len(MIGRATIONS):
        raise RuntimeError(
            f"{path} has schema version {done}, newer than this Elenchus ({len(MIGRATIONS)}). Upgrade Elenchus."
        )
    if done == len(MIGRATIONS):
        return 0
    db = sqlite_utils.Database(conn)
    for number, migration in enumerate(MIGRATIONS[done:], start=done + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration(db)
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(MIGRATIONS) - done
