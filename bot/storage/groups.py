"""Group sessions: one dialogue run by a whole group, the bot's messages there that members reply
to, and each member's own run of the session (their answers and votes go into runs, reflections
and stances, marked with the session)."""

from __future__ import annotations

import json
from typing import Any

from .database import Database, columns
from .rows import GroupBinding, GroupMessage, GroupSession, Run
from .runs import Runs

OPEN = "status in ('active', 'paused')"


class GroupSessions:
    def __init__(self, db: Database, runs: Runs):
        self.db = db
        self.runs = runs

    def start(
        self,
        chat: str,
        thread: int | None,
        cohort_id: int | None,
        dialogue_id: str,
        dialogue_version: int,
        state: dict[str, Any],
        started_by: int,
    ) -> GroupSession:
        with self.db.transaction():
            session_id = self.db.insert(
                "group_sessions",
                {
                    "chat": chat,
                    "thread": thread,
                    "cohort_id": cohort_id,
                    "dialogue_id": dialogue_id,
                    "dialogue_version": dialogue_version,
                    "state": json.dumps(state, ensure_ascii=False),
                    "status": "active",
                    "started_by": started_by,
                    "started": self.db.clock(),
                },
            )
        session = self.get(session_id)
        assert session is not None
        return session

    def get(self, session_id: int) -> GroupSession | None:
        return self.db.one(
            GroupSession, f"select {columns(GroupSession)} from group_sessions where id = ?", [session_id]
        )

    def open_in(self, chat: str, thread: int | None = None) -> GroupSession | None:
        """The session running (or paused) in a group, or in one forum topic of it."""
        return self.db.one(
            GroupSession,
            f"select {columns(GroupSession)} from group_sessions "
            f"where chat = ? and coalesce(thread, 0) = ? and {OPEN} order by id desc",
            [chat, thread or 0],
        )

    def all_open_in(self, chat: str) -> list[GroupSession]:
        return self.db.rows(
            GroupSession, f"select {columns(GroupSession)} from group_sessions where chat = ? and {OPEN}", [chat]
        )

    def update(self, session_id: int, **values: Any) -> None:
        if "state" in values:
            values["state"] = json.dumps(values["state"], ensure_ascii=False)
        with self.db.transaction():
            self.db.update("group_sessions", session_id, values)

    def end(self, session_id: int) -> None:
        """The session is over; every member's run of it counts as finished."""
        now = self.db.clock()
        with self.db.transaction():
            self.db.update("group_sessions", session_id, {"status": "ended", "ended": now})
            self.db.execute(
                "update runs set status = 'finished', finished = ?, updated = ? "
                "where group_session_id = ? and status = 'active'",
                [now, now, session_id],
            )

    # ---- which cohort a group belongs to ------------------------------------------------------

    def binding(self, chat: str) -> GroupBinding | None:
        return self.db.one(GroupBinding, f"select {columns(GroupBinding)} from group_bindings where chat = ?", [chat])

    def bind(self, chat: str, cohort_id: int, bound_by: int) -> GroupBinding:
        """Bind the group to the cohort unless it is bound already; returns the binding it has."""
        with self.db.transaction():
            self.db.execute(
                "insert into group_bindings (chat, cohort_id, bound_by, at) values (?, ?, ?, ?) "
                "on conflict (chat) do nothing",
                [chat, cohort_id, bound_by, self.db.clock()],
            )
        found = self.binding(chat)
        assert found is not None
        return found

    def unbind(self, chat: str) -> None:
        with self.db.transaction():
            self.db.execute("delete from group_bindings where chat = ?", [chat])

    # ---- the bot's messages in the group --------------------------------------------------

    def record_message(self, chat: str, message_id: int, session_id: int, kind: str, **values: Any) -> None:
        with self.db.transaction():
            self.db.execute("delete from group_messages where chat = ? and message_id = ?", [chat, message_id])
            self.db.insert(
                "group_messages",
                {"chat": chat, "message_id": message_id, "session_id": session_id, "kind": kind, "at": self.db.clock()}
                | values,
            )

    def message(self, chat: str, message_id: int) -> GroupMessage | None:
        return self.db.one(
            GroupMessage,
            f"select {columns(GroupMessage)} from group_messages where chat = ? and message_id = ?",
            [chat, message_id],
        )

    def poll(self, poll_id: str) -> GroupMessage | None:
        return self.db.one(
            GroupMessage, f"select {columns(GroupMessage)} from group_messages where poll_id = ?", [poll_id]
        )

    def polls_at(self, session_id: int, node_id: str) -> list[GroupMessage]:
        return self.db.rows(
            GroupMessage,
            f"select {columns(GroupMessage)} from group_messages where session_id = ? and kind = 'poll' and node_id = ?",
            [session_id, node_id],
        )

    def questions(self, session_id: int) -> list[GroupMessage]:
        return self.db.rows(
            GroupMessage,
            f"select {columns(GroupMessage)} from group_messages where session_id = ? and kind = 'question' order by at",
            [session_id],
        )

    def sent_to(self, session_id: int, participant_id: int, kind: str, node_id: str | None = None) -> bool:
        """Whether the bot already posted a message of this kind for this member (a notice, a probe)."""
        where = "session_id = ? and participant_id = ? and kind = ?"
        args: list[Any] = [session_id, participant_id, kind]
        if node_id is not None:
            where += " and node_id = ?"
            args.append(node_id)
        return self.db.count(f"group_messages where {where}", args) > 0

    # ---- members ----------------------------------------------------------------------------

    def member_run(self, session: GroupSession, participant_id: int) -> Run:
        """A member's run of a group session, made on their first answer or vote."""
        found = self.db.one(
            Run,
            f"select {columns(Run)} from runs where group_session_id = ? and participant_id = ?",
            [session.id, participant_id],
        )
        if found is not None:
            return found
        now = self.db.clock()
        state = {
            "dialogue": session.dialogue_id,
            "version": session.dialogue_version,
            "group": True,
            "node": session.node,
        }
        with self.db.transaction():
            run_id = self.db.insert(
                "runs",
                {
                    "participant_id": participant_id,
                    "dialogue_id": session.dialogue_id,
                    "dialogue_version": session.dialogue_version,
                    "chat": session.chat,
                    "visit": 1,
                    "state": json.dumps(state),
                    "status": "active",
                    "started": now,
                    "updated": now,
                    "cohort_id": session.cohort_id,
                    "group_session_id": session.id,
                },
            )
        run = self.runs.get(run_id)
        assert run is not None
        return run

    def answer_counts(self, session_id: int) -> dict[str, int]:
        """Answers per question node in a session (follow-ups not counted)."""
        rows = self.db.execute(
            "select node_id, count(*) from reflections where group_session_id = ? and probe = 0 group by node_id",
            [session_id],
        ).fetchall()
        return dict(rows)

    def move_chat(self, old: str, new: str) -> None:
        """A group became a supergroup with a new id: everything of the old id follows it."""
        with self.db.transaction():
            for table in ("group_messages", "runs", "reflections", "group_bindings"):
                self.db.execute(f"update {table} set chat = ? where chat = ?", [new, old])
            # Message ids do not carry over to the supergroup: forget the old Next button.
            self.db.execute("update group_sessions set chat = ?, control_message = null where chat = ?", [new, old])
