"""Private dialogue runs: load a run, step it in the engine, store the result, return the outputs.

Both the terminal and Telegram go through here, so every rule about storing lives in one
place: what the participant gave is committed before the outputs are returned (and so before
they are shown), and nothing they write is kept without their consent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..engine import (
    ChoiceInput,
    Course,
    Dialogue,
    Input,
    Output,
    ResumeInput,
    RunState,
    SaveReflection,
    SaveStance,
    StanceInput,
    StartInput,
    TextInput,
    step,
)
from ..engine.step import steps_left
from ..storage import Storage
from ..storage.rows import Run
from ..storage.runs import Replies, Source

Render = Callable[[list[Output], int], list[dict]]
"""A shell's renderer for a step's replies: (outputs, run id) -> message payloads for the outbox."""


@dataclass(frozen=True)
class ReplyTo:
    """Where a step's replies go, and how they look: committed with the step (the outbox)."""

    chat: str
    render: Render


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
    started: bool = False
    """A new run began with this turn (the shell may introduce the dialogue first)."""
    queued: bool = False
    """The replies were committed to the outbox with the step: the shell sends them from there."""


@dataclass(frozen=True)
class Press:
    """A button of a step: a choice (option index) or a rating (1-5), for a run and node."""

    kind: str
    run: int
    node: str
    value: int


class Dialogues:
    def __init__(self, course: Course, storage: Storage):
        self.course = course
        self.storage = storage
        self._unkept: dict[int, RunState] = {}
        """Full states of runs whose participant has not consented; only a redacted copy is stored."""

    def dialogue(self, dialogue_id: str) -> Dialogue | None:
        return self.course.get(dialogue_id)

    # ---- starting and resuming ------------------------------------------------------------

    def start(
        self,
        participant_id: int,
        dialogue: Dialogue,
        *,
        locale: str = "en",
        chat: str | None = None,
        reply: ReplyTo | None = None,
    ) -> Turn:
        visit = self.storage.runs.visits(participant_id, dialogue.id) + 1
        state, outputs = step(dialogue, None, StartInput(locale=locale, visit=visit))
        assert state is not None
        kept = self.storage.participants.has_consent(participant_id)
        participant = self.storage.participants.get(participant_id)
        run = self.storage.runs.start(
            participant_id,
            dialogue.id,
            dialogue.version,
            _stored_state(state, kept),
            visit=visit,
            chat=chat,
            cohort_id=participant.cohort_id if participant else None,
        )
        self._save(run, state, outputs, kept, reply=reply)
        return Turn(run.id, dialogue, outputs, state, started=True, queued=reply is not None)

    def open(
        self,
        participant_id: int,
        dialogue: Dialogue,
        *,
        locale: str = "en",
        chat: str | None = None,
        reply: ReplyTo | None = None,
    ) -> Turn:
        """The dialogue's run in progress, shown again, or a new run."""
        run = self.storage.runs.active(participant_id, chat=chat, dialogue_id=dialogue.id)
        if run is not None:
            return self.send(participant_id, run, ResumeInput())
        return self.start(participant_id, dialogue, locale=locale, chat=chat, reply=reply)

    def current(self, participant_id: int, *, chat: str | None = None) -> Run | None:
        """The participant's most recently used run in progress."""
        return self.storage.runs.active(participant_id, chat=chat)

    def current_dialogue(self, participant_id: int, *, chat: str | None = None) -> Dialogue | None:
        run = self.current(participant_id, chat=chat)
        return self.dialogue(run.dialogue_id) if run else None

    def state_of(self, run: Run) -> RunState:
        """The run's full state (for a participant without consent, the one kept in memory)."""
        return self._unkept.get(run.id) or RunState.from_dict(run.state)

    # ---- inputs ---------------------------------------------------------------------------

    def answer(
        self,
        participant_id: int,
        text: str,
        *,
        chat: str | None = None,
        update_id: int | None = None,
        source: Source | None = None,
        reply: ReplyTo | None = None,
    ) -> Turn | None:
        """A written answer for the run in progress; None when no run is in progress."""
        run = self.current(participant_id, chat=chat)
        if run is None:
            return None
        return self.send(participant_id, run, TextInput(text), update_id=update_id, source=source, reply=reply)

    def press(
        self,
        participant_id: int,
        chat: str | None,
        press: Press,
        *,
        update_id: int | None = None,
        reply: ReplyTo | None = None,
    ) -> Turn | None:
        """A step's button: only for the presser's own current run, and only while that step is
        current. None for anything else (an outdated or forged button)."""
        run = self.storage.runs.get(press.run)
        if run is None or run.participant_id != participant_id or run.status != "active":
            return None
        current = self.current(participant_id, chat=chat)
        state = self.state_of(run)
        if current is None or current.id != run.id or state.node != press.node or state.probing:
            return None
        event = ChoiceInput(press.value) if press.kind == "choice" else StanceInput(press.value)
        return self.send(participant_id, run, event, update_id=update_id, reply=reply)

    def input(self, participant_id: int, run_id: int, event: Input) -> Turn:
        """An input for a run by its id (a shell that keeps the run's id between inputs)."""
        run = self.storage.runs.get(run_id)
        if run is None:
            raise LookupError(f"run {run_id} is gone")
        return self.send(participant_id, run, event)

    def send(
        self,
        participant_id: int,
        run: Run,
        event: Input,
        *,
        update_id: int | None = None,
        source: Source | None = None,
        reply: ReplyTo | None = None,
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
            kept = self.storage.participants.has_consent(participant_id)
            self._save(run, new_state, outputs, kept, update_id=update_id, source=source, reply=reply)
            return Turn(run.id, dialogue, outputs, new_state, queued=reply is not None)
        if isinstance(event, ResumeInput):
            self.storage.runs.touch(run.id)
        return Turn(run.id, dialogue, outputs, new_state)

    def _save(
        self,
        run: Run,
        state: RunState,
        outputs: list[Output],
        kept: bool,
        *,
        update_id: int | None = None,
        source: Source | None = None,
        reply: ReplyTo | None = None,
    ) -> None:
        if kept:
            self._unkept.pop(run.id, None)
        else:
            self._unkept[run.id] = state
        self.storage.runs.save_step(
            run,
            _stored_state(state, kept),
            finished=state.finished,
            reflections=[o for o in outputs if isinstance(o, SaveReflection)] if kept else [],
            stances=[o for o in outputs if isinstance(o, SaveStance)] if kept else [],
            source=source,
            update_id=update_id,
            replies=Replies(reply.chat, reply.render(outputs, run.id)) if reply else None,
        )

    def edit_answer(self, participant_id: int, chat: str, message_id: int, answer: str) -> bool:
        """An answer was edited where it was written (private or group): update the reflection,
        keep the old version. Stored?

        Only with consent now: after a withdrawal nothing new is kept, an edit included, so the
        answer stays as it was kept (until /forget) and the edited text is stored nowhere.
        """
        if not answer.strip() or not self.storage.participants.has_consent(participant_id):
            return False
        row = self.storage.runs.reflection_by_message(participant_id, chat, message_id)
        if row is None:
            return False
        run = self.storage.runs.get(row.run_id)
        assert run is not None
        state = RunState.from_dict(run.state)
        items = list(state.answers)
        for i, item in enumerate(items):
            if item.question == row.question and item.answer == row.answer:
                items[i] = replace(item, answer=answer)
                break
        run_state = replace(state, answers=tuple(items)).to_dict() if run.group_session_id is None else None
        self.storage.runs.edit_reflection(row.id, answer, run_state=run_state)
        return True

    def drop_memory(self, participant_id: int) -> None:
        """Forget the in-memory states of a participant's runs (after /forget)."""
        for run in self.storage.runs.of(participant_id):
            self._unkept.pop(run.id, None)

    # ---- overview -------------------------------------------------------------------------

    def menu(self, participant_id: int) -> list[MenuEntry]:
        runs = [r for r in self.storage.runs.of(participant_id) if r.group_session_id is None]
        entries = []
        for dialogue in self.course.dialogues:
            mine = [r for r in runs if r.dialogue_id == dialogue.id]
            done = sum(r.status == "finished" for r in mine)
            active = [r for r in mine if r.status == "active"]
            if active:
                state = RunState.from_dict(active[-1].state)
                node = state.node if state.node in dialogue.nodes else dialogue.start
                total = state.steps + steps_left(dialogue, state, node)
                entries.append(MenuEntry(dialogue, "active", state.steps + 1, total, done))
            else:
                entries.append(MenuEntry(dialogue, "done" if done else "new", finished_count=done))
        return entries


def _stored_state(state: RunState, kept: bool) -> dict:
    """What is written to the runs table: without consent, no answers and no stances."""
    if kept:
        return state.to_dict()
    return replace(state, answers=(), stances={}).to_dict()
