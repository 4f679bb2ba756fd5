"""The imperative shell around the engine: load a run, step it, store it, return the outputs.

Both the terminal and Telegram go through here, so every rule about storing lives in one
place: what the participant gave is committed before the outputs are returned (and so before
they are shown), and nothing they write is kept without their consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..engine import (
    Course,
    Dialogue,
    Input,
    Output,
    ResumeInput,
    RunState,
    SaveReflection,
    SaveStance,
    StartInput,
    step,
)
from ..storage import Reflection, Run, StanceRecord, Storage


@dataclass(frozen=True)
class MenuEntry:
    dialogue: Dialogue
    status: str
    """new, active or done."""
    step: int = 0
    total: int = 0
    finished_count: int = 0


@dataclass(frozen=True)
class Turn:
    run_id: int
    dialogue: Dialogue
    outputs: list[Output]
    state: RunState


class Service:
    def __init__(self, course: Course, storage: Storage):
        self.course = course
        self.storage = storage
        self._unkept: dict[int, RunState] = {}
        """Full states of runs whose participant has not consented; only a redacted copy is stored."""

    # ---- dialogues ------------------------------------------------------------------------

    def dialogue(self, dialogue_id: str) -> Dialogue | None:
        return self.course.get(dialogue_id)

    def start(self, participant_id: int, dialogue: Dialogue, *, locale: str = "en", chat: str | None = None) -> Turn:
        visit = self.storage.visits(participant_id, dialogue.id) + 1
        state, outputs = step(dialogue, None, StartInput(locale=locale, visit=visit))
        assert state is not None
        kept = self.storage.has_consent(participant_id)
        run_id = self.storage.start_run(
            participant_id, dialogue.id, dialogue.version, _stored_state(state, kept), visit=visit, chat=chat
        )
        self._save(run_id, participant_id, state, outputs, kept)
        return Turn(run_id, dialogue, outputs, state)

    def current(self, participant_id: int, *, chat: str | None = None) -> Run | None:
        return self.storage.active_run(participant_id, chat=chat)

    def state_of(self, run: Run) -> RunState:
        """The run's full state (for a participant without consent, the one kept in memory)."""
        return self._unkept.get(run.id) or RunState.from_dict(run.state)

    def send(
        self,
        participant_id: int,
        run: Run,
        event: Input,
        *,
        update_id: int | None = None,
        source: tuple[str, int] | None = None,
    ) -> Turn:
        """Apply one input to a run and store the result before returning what to show.

        `source` is the (chat, message id) that carried a text answer, so a later edit of that
        message can update the stored reflection; `update_id` is stored in the same transaction so
        a redelivered update is recognised.
        """
        dialogue = self.dialogue(run.dialogue_id)
        if dialogue is None:
            raise LookupError(f"dialogue {run.dialogue_id} is no longer in the content")
        state = self.state_of(run)
        new_state, outputs = step(dialogue, state, event)

        assert new_state is not None
        if new_state != state:
            kept = self.storage.has_consent(participant_id)
            self._save(run.id, participant_id, new_state, outputs, kept, update_id=update_id, source=source)
        elif isinstance(event, ResumeInput):
            self.storage.touch_run(run.id)  # the run resumed becomes the participant's current one
        return Turn(run.id, dialogue, outputs, new_state)

    def _save(
        self,
        run_id: int,
        participant_id: int,
        state: RunState,
        outputs: Sequence[Output],
        kept: bool,
        *,
        update_id: int | None = None,
        source: tuple[str, int] | None = None,
    ) -> None:
        chat, message_id = source or (None, None)
        if kept:
            self._unkept.pop(run_id, None)
            reflections = [
                Reflection(o.node, o.question, o.answer, o.move, o.probe, chat, message_id)
                for o in outputs
                if isinstance(o, SaveReflection)
            ]
            stances = [StanceRecord(o.node, o.phase, o.claim, o.value) for o in outputs if isinstance(o, SaveStance)]
        else:
            self._unkept[run_id] = state
            reflections, stances = [], []
        self.storage.save_step(
            run_id,
            _stored_state(state, kept),
            finished=state.finished,
            reflections=reflections,
            stances=stances,
            update_id=update_id,
        )

    def edit_answer(self, participant_id: int, chat: str, message_id: int, answer: str) -> bool:
        """An answer was edited where it was written: update the reflection, keep the old version."""
        row = self.storage.reflection_by_message(participant_id, chat, message_id)
        if row is None or not answer.strip():
            return False
        run = self.storage.get_run(row["run_id"])
        state = RunState.from_dict(run.state)
        items = list(state.answers)
        for i, item in enumerate(items):
            if item.question == row["question"] and item.answer == row["answer"]:
                items[i] = replace(item, answer=answer)
                break
        self.storage.edit_reflection(row["id"], answer, run_state=replace(state, answers=tuple(items)).to_dict())
        return True

    def forget(self, participant_id: int) -> dict[str, int]:
        for run in self.storage.runs(participant_id):
            self._unkept.pop(run.id, None)
        return self.storage.forget(participant_id)

    # ---- overview -------------------------------------------------------------------------

    def menu(self, participant_id: int) -> list[MenuEntry]:
        runs = [r for r in self.storage.runs(participant_id) if r.group_session_id is None]
        entries = []

        for dialogue in self.course.dialogues:
            mine = [r for r in runs if r.dialogue_id == dialogue.id]
            done = sum(r.status == "finished" for r in mine)
            active = [r for r in mine if r.status == "active"]
            if active:
                state = RunState.from_dict(active[-1].state)
                node = state.node if state.node in dialogue.nodes else dialogue.start
                entries.append(
                    MenuEntry(dialogue, "active", state.steps + 1, state.steps + dialogue.steps_to_end[node], done)
                )
            else:
                entries.append(MenuEntry(dialogue, "done" if done else "new", finished_count=done))
        return entries


def _stored_state(state: RunState, kept: bool) -> dict:
    """What is written to the runs table: without consent, no answers and no stances."""
    if kept:
        return state.to_dict()
    return replace(state, answers=(), stances={}).to_dict()
