"""The imperative shell around the engine: load a run, step it, store it, return the outputs.

Both the terminal and Telegram go through here, so every rule about storing lives in one
place: what the participant gave is committed before the outputs are returned (and so before
they are shown), and nothing they write is kept without their consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .engine import (
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
from .storage import Reflection, Run, StanceRecord, Storage


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

    def send(self, participant_id: int, run: Run, event: Input) -> Turn:
        """Apply one input to a run and store the result before returning what to show."""
        dialogue = self.dialogue(run.dialogue_id)
        if dialogue is None:
            raise LookupError(f"dialogue {run.dialogue_id} is no longer in the content")
        state = self._unkept.get(run.id) or RunState.from_dict(run.state)
        new_state, outputs = step(dialogue, state, event)
        assert new_state is not None
        if new_state != state or not isinstance(event, ResumeInput):
            self._save(run.id, participant_id, new_state, outputs, self.storage.has_consent(participant_id))
        return Turn(run.id, dialogue, outputs, new_state)

    def _save(self, run_id: int, participant_id: int, state: RunState, outputs: Sequence[Output], kept: bool) -> None:
        if kept:
            self._unkept.pop(run_id, None)
            reflections = [
                Reflection(o.node, o.question, o.answer, o.move, o.probe)
                for o in outputs
                if isinstance(o, SaveReflection)
            ]
            stances = [StanceRecord(o.node, o.phase, o.claim, o.value) for o in outputs if isinstance(o, SaveStance)]
        else:
            self._unkept[run_id] = state
            reflections, stances = [], []
        self.storage.save_step(
            run_id, _stored_state(state, kept), finished=state.finished, reflections=reflections, stances=stances
        )

    # ---- overview -------------------------------------------------------------------------

    def menu(self, participant_id: int) -> list[MenuEntry]:
        runs = self.storage.runs(participant_id)
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
