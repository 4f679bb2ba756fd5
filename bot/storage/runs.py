"""Dialogue runs and what participants gave in them: reflections (answers) and stances (ratings).

`save_step` is the one write of a private step: the run's new state, the answers and ratings the
engine asked to store, and the update that carried them, in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..engine import SaveReflection, SaveStance
from ..engine.listening import word_count
from .database import Database, columns
from .outbox import Outbox
from .rows import Reflection, Run, Stance

Source = tuple[str, int]
"""(chat, message id) of the message that carried an answer, so an edit can find it."""


@dataclass(frozen=True)
class Replies:
    """The messages a step answers with, to be committed with it."""

    chat: str
    payloads: list[dict[str, Any]]


class Runs:
    def __init__(self, db: Database, outbox: Outbox):
        self.db = db
        self.outbox = outbox

    def get(self, run_id: int) -> Run | None:
        return self.db.one(Run, f"select {columns(Run)} from runs where id = ?", [run_id])

    def of(self, participant_id: int) -> list[Run]:
        return self.db.rows(
            Run, f"select {columns(Run)} from runs where participant_id = ? order by id", [participant_id]
        )

    def active(self, participant_id: int, *, chat: str | None = None, dialogue_id: str | None = None) -> Run | None:
        """The participant's most recently used active run of their own (in a chat, of a dialogue)."""
        where, args = "participant_id = ? and status = 'active' and group_session_id is null", [participant_id]
        if chat is not None:
            where += " and chat = ?"
            args.append(chat)
        if dialogue_id is not None:
            where += " and dialogue_id = ?"
            args.append(dialogue_id)
        return self.db.one(Run, f"select {columns(Run)} from runs where {where} order by updated desc, id desc", args)

    def visits(self, participant_id: int, dialogue_id: str) -> int:
        return self.db.count("runs where participant_id = ? and dialogue_id = ?", [participant_id, dialogue_id])

    def start(
        self,
        participant_id: int,
        dialogue_id: str,
        dialogue_version: int,
        state: dict[str, Any],
        *,
        visit: int = 1,
        chat: str | None = None,
        cohort_id: int | None = None,
    ) -> Run:
        """A new run; any other active run of the same dialogue in the same chat is abandoned."""
        now = self.db.clock()
        with self.db.transaction():
            self.db.execute(
                "update runs set status = 'abandoned', updated = ? where participant_id = ? and dialogue_id = ? "
                "and status = 'active' and group_session_id is null and coalesce(chat, '') = coalesce(?, '')",
                [now, participant_id, dialogue_id, chat],
            )
            run_id = self.db.insert(
                "runs",
                {
                    "participant_id": participant_id,
                    "dialogue_id": dialogue_id,
                    "dialogue_version": dialogue_version,
                    "chat": chat,
                    "visit": visit,
                    "state": _json(state),
                    "status": "active",
                    "started": now,
                    "updated": now,
                    "cohort_id": cohort_id,
                },
            )
        run = self.get(run_id)
        assert run is not None
        return run

    def save_step(
        self,
        run: Run,
        state: dict[str, Any],
        *,
        finished: bool,
        reflections: Iterable[SaveReflection] = (),
        stances: Iterable[SaveStance] = (),
        source: Source | None = None,
        update_id: int | None = None,
        replies: Replies | None = None,
    ) -> None:
        """Store one step of a run atomically: its new state, what the participant gave, the update
        that carried it (handled, out of the inbox) and the replies to send (into the outbox)."""
        now = self.db.clock()
        with self.db.transaction():
            if update_id is not None:
                self.db.execute(
                    "insert or ignore into processed_updates (update_id, at) values (?, ?)", [update_id, now]
                )
                self.db.execute("delete from inbox where update_id = ?", [update_id])
            if replies is not None:
                self.outbox.add(replies.chat, replies.payloads, update_id=update_id)
            for reflection in reflections:
                self.add_reflection(run, reflection, source, now)
            for stance in stances:
                self.set_stance(run, stance, now)
            self.db.update(
                "runs",
                run.id,
                {
                    "state": _json(state),
                    "updated": now,
                    "status": "finished" if finished else "active",
                    "dialogue_version": state["version"],
                    "finished": now if finished else None,
                },
            )

    def touch(self, run_id: int) -> None:
        """The run was used again (resumed), so it becomes the participant's current one. Only
        bookkeeping: showing the current step works when the database refuses writes."""
        try:
            with self.db.transaction():
                self.db.update("runs", run_id, {"updated": self.db.clock()})
        except sqlite3.Error:
            return

    def add_reflection(self, run: Run, reflection: SaveReflection, source: Source | None, now: str) -> None:
        chat, message_id = source or (None, None)
        self.db.insert(
            "reflections",
            {
                "run_id": run.id,
                "participant_id": run.participant_id,
                "dialogue_id": run.dialogue_id,
                "dialogue_version": run.dialogue_version,
                "node_id": reflection.node,
                "question": reflection.question,
                "answer": reflection.answer,
                "word_count": _words(reflection.answer),
                "move": reflection.move,
                "probe": int(reflection.probe),
                "created": now,
                "chat": chat,
                "message_id": message_id,
                "cohort_id": run.cohort_id,
                "group_session_id": run.group_session_id,
            },
        )

    def set_stance(self, run: Run, stance: SaveStance, now: str) -> None:
        self.db.insert(
            "stances",
            {
                "run_id": run.id,
                "participant_id": run.participant_id,
                "dialogue_id": run.dialogue_id,
                "node_id": stance.node,
                "phase": stance.phase,
                "claim": stance.claim,
                "value": stance.value,
                "created": now,
                "cohort_id": run.cohort_id,
                "group_session_id": run.group_session_id,
            },
        )

    def add_answers(self, run: Run, reflections: Iterable[SaveReflection], source: Source | None) -> None:
        """Answers outside a step of the run's own (a member's reply in a group session)."""
        now = self.db.clock()
        with self.db.transaction():
            for reflection in reflections:
                self.add_reflection(run, reflection, source, now)
            self.db.update("runs", run.id, {"updated": now})

    def vote(self, run: Run, phase: str, stance: SaveStance | None) -> None:
        """A member's latest vote in a stance poll replaces their earlier one; None retracts it."""
        with self.db.transaction():
            self.db.execute("delete from stances where run_id = ? and phase = ?", [run.id, phase])
            if stance is not None:
                self.set_stance(run, stance, self.db.clock())

    # ---- what a participant gave ----------------------------------------------------------

    def reflections(self, participant_id: int) -> list[Reflection]:
        return self.db.rows(
            Reflection,
            f"select {columns(Reflection)} from reflections where participant_id = ? order by id",
            [participant_id],
        )

    def stances(self, participant_id: int) -> list[Stance]:
        return self.db.rows(
            Stance, f"select {columns(Stance)} from stances where participant_id = ? order by id", [participant_id]
        )

    def reflection_by_message(self, participant_id: int, chat: str, message_id: int) -> Reflection | None:
        return self.db.one(
            Reflection,
            f"select {columns(Reflection)} from reflections where participant_id = ? and chat = ? and message_id = ?",
            [participant_id, chat, message_id],
        )

    def edit_reflection(self, reflection_id: int, answer: str, *, run_state: dict[str, Any] | None = None) -> None:
        """Replace an answer, keeping every earlier version in the history (and the run's state in step)."""
        now = self.db.clock()
        with self.db.transaction():
            reflection = self.db.one(
                Reflection, f"select {columns(Reflection)} from reflections where id = ?", [reflection_id]
            )
            assert reflection is not None
            history = [*reflection.history, {"answer": reflection.answer, "until": now}]
            self.db.update(
                "reflections",
                reflection.id,
                {"answer": answer, "word_count": _words(answer), "edited": now, "history": _json(history)},
            )
            if run_state is not None:
                self.db.update("runs", reflection.run_id, {"state": _json(run_state)})


def _words(answer: str | None) -> int | None:
    """The answer's word count, stored with it so exports build their rows in SQL (None: no answer,
    which the NOT NULL constraint then refuses)."""
    return None if answer is None else word_count(answer)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
