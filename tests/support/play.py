"""Play a dialogue to its end through the use cases, the way a participant would, for export tests."""

from __future__ import annotations

from bot.app.services import Services
from bot.engine import Buttons, ChoiceInput, Question, StanceInput, StanceQuestion, TextInput


def play_through(
    services: Services, participant: int, dialogue_id: str, *, locale: str, before: int, after: int, answer: str
) -> int:
    """Start the dialogue and answer everything (the first option of every choice); returns the run id."""
    dialogue = services.dialogues.dialogue(dialogue_id)
    turn = services.dialogues.open(participant, dialogue, locale=locale)
    for _ in range(200):
        if turn.state.finished:
            return turn.run_id
        pending = [o for o in turn.outputs if isinstance(o, Question | Buttons | StanceQuestion)]
        assert pending, f"nothing to answer in {dialogue_id}"
        waiting = pending[-1]
        if isinstance(waiting, StanceQuestion):
            event = StanceInput(before if waiting.phase == "before" else after)
        elif isinstance(waiting, Buttons):
            event = ChoiceInput(0)
        else:
            event = TextInput(answer)
        turn = services.dialogues.input(participant, turn.run_id, event)
    raise AssertionError(f"{dialogue_id} did not end")


def participant(services: Services, external_id: str, *, name: str, locale: str, cohort: int | None = None) -> int:
    person = services.participants.identify("telegram", external_id, name=name, locale=locale)
    services.participants.decide(person.id, f"1-{locale}", True)
    if cohort is not None:
        services.storage.cohorts.join(cohort, person.id)
    return person.id
