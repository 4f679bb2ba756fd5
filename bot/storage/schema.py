"""The schema: versioned migrations, applied once at start-up.

Migration n (1-based) brings the schema from version n-1 to n; the list only grows, and a
migration is never edited once released. sqlite-utils does the table work here, and only here:
the rest of storage speaks plain SQL, so the hot path never reads the schema.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

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


def _m8_badge_requirements(db: sqlite_utils.Database) -> None:
    """The dialogues a cohort's course credential requires, as its facilitators set them with
    /badgeset (a JSON list of dialogue ids); without a row, course.yaml decides."""
    db["badge_requirements"].create(
        {"cohort_id": int, "dialogues": str, "at": str},
        pk="cohort_id",
        foreign_keys=[("cohort_id", "cohorts", "id")],
        not_null={"dialogues", "at"},
    )


def _m9_feedback(db: sqlite_utils.Database) -> None:
    """Facilitators' comments on answers (with the participant's one reply), whether a member shares
    their answers anonymously with their own cohort (NULL: not asked yet), answers a facilitator hid
    from peers, and the one text a person is about to send as a comment or a reply.

    A comment belongs to its answer: it is deleted with it (on delete cascade, so every path that
    erases answers erases their comments). author_id has no foreign key: when its author is
    forgotten, the comment stays with the participant's answer, without the author's name."""
    db.execute(
        """create table comments (
            id integer primary key,
            reflection_id integer not null references reflections(id) on delete cascade,
            participant_id integer not null,
            cohort_id integer,
            author_id integer,
            author_name text,
            text text not null,
            created text not null,
            reply text,
            replied text
        )"""
    )
    for column in ("reflection_id", "participant_id", "author_id"):
        db["comments"].create_index([column])
    db["memberships"].add_column("share_with_peers", int)
    db["reflections"].add_column("hidden_from_peers", str)
    db["reflections"].create_index(["cohort_id", "dialogue_id", "node_id"])
    db["pending_texts"].create(
        {"participant_id": int, "kind": str, "target": int, "at": str},
        pk="participant_id",
        foreign_keys=[("participant_id", "participants", "id")],
        not_null={"kind", "target", "at"},
    )


def _m10_reminders(db: sqlite_utils.Database) -> None:
    """Deadlines and reminders: a cohort's time zone and quiet hours, which dialogue it expects by
    when, whether a participant wants reminders (NULL: not asked yet), and each reminder claimed
    for a participant's local day (unique, so at most one a day, and a restarted bot sends none
    twice): claimed with its message in the outbox, in one transaction; sent once it left."""
    db["cohorts"].add_column("time_zone", str)
    db["cohorts"].add_column("quiet_hours", str)
    db["participants"].add_column("reminders", int)
    db["deadlines"].create(
        {"cohort_id": int, "dialogue_id": str, "due": str, "set_by": str, "at": str},
        pk=("cohort_id", "dialogue_id"),
        foreign_keys=[("cohort_id", "cohorts", "id")],
        not_null={"due", "at"},
    )
    db["reminders"].create(
        {
            "id": int,
            "participant_id": int,
            "cohort_id": int,
            "dialogue_id": str,
            "day": str,
            "reason": str,
            "status": str,
            "claimed": str,
            "sent": str,
        },
        pk="id",
        foreign_keys=[("participant_id", "participants", "id")],
        not_null={"participant_id", "dialogue_id", "day", "reason", "status", "claimed"},
    )
    db["reminders"].create_index(["participant_id", "day"], unique=True)
    db["reminders"].create_index(["status"])


def _m11_installation(db: sqlite_utils.Database) -> None:
    """This installation's identity, made once: a random id that xAPI statement ids are derived
    from (two installations never make the same id) and a secret that pseudonyms are derived from
    (participant 1 here is not participant 1 elsewhere, and the number cannot be read back).

    One row; it holds nothing about anyone. Kept in the database so that a backup and its restore
    keep both, and the statements already sent keep their ids and actors."""
    db["installation"].create(
        {"id": int, "uuid": str, "secret": str, "created": str}, pk="id", not_null={"uuid", "secret", "created"}
    )
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    db["installation"].insert({"id": 1, "uuid": str(uuid.uuid4()), "secret": secrets.token_hex(32), "created": now})


def _m12_export_speed(db: sqlite_utils.Database) -> None:
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
    _m8_badge_requirements,
    _m9_feedback,
    _m10_reminders,
    _m11_installation,
    _m12_export_speed,
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
