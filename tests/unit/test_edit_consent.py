"""No edit is stored without current consent: an answer edited after consent was withdrawn stays
as it was kept (no new text, nothing moved to its history), in a group session and in private,
and so no export or /mydata can carry the edited text."""

from __future__ import annotations

import pytest

from bot.app.dialogues import Dialogues
from bot.app.group_sessions import GroupSessions
from bot.engine import Course, Question, StanceInput, TextInput

THICK = "It matters because employers read the outcomes, for example in interviews."
GROUP = "-100"


@pytest.fixture
def course(mini) -> Course:
    return Course("t", {"en": "T"}, {"en": "S"}, (), (mini,))


def consenting(storage, name: str) -> int:
    pid = storage.participants.get_or_create("telegram", name, name=name).id
    storage.participants.record_consent(pid, "2-en", True)
    return pid


def group_answer(storage, course: Course, pid: int, message_id: int) -> None:
    """The member replies to the group's first question with THICK, in message `message_id`."""
    sessions = GroupSessions(storage, course)
    session, _ = sessions.start(GROUP, None, course.dialogues[0], None, started_by=pid)
    session, outputs = sessions.next(session)
    question = next(o for o in outputs if isinstance(o, Question))
    sessions.posted(
        session.id, session.chat, 10, "question", node_id=question.node, question=question.text, move=question.move
    )
    _, asked = sessions.asked_by(GROUP, 10)
    assert sessions.answer(session, asked, pid, THICK, (GROUP, message_id)).stored


def test_a_group_answer_edited_after_withdrawal_is_not_stored(storage, course):
    dialogues = Dialogues(course, storage)
    ada = consenting(storage, "ada")
    group_answer(storage, course, ada, 11)
    assert dialogues.edit_answer(ada, GROUP, 11, "While consenting: " + THICK)
    storage.participants.record_consent(ada, "2-en", False)
    assert not dialogues.edit_answer(ada, GROUP, 11, "After withdrawing: " + THICK)
    (row,) = storage.runs.reflections(ada)
    assert row.answer == "While consenting: " + THICK
    assert [h["answer"] for h in row.history] == [THICK]
    assert "After withdrawing" not in str(storage.db.execute("select * from reflections").fetchall())


def test_a_private_answer_edited_after_withdrawal_is_not_stored(storage, course):
    dialogues = Dialogues(course, storage)
    bob = consenting(storage, "bob")
    turn = dialogues.start(bob, course.dialogues[0], chat="42")
    dialogues.send(bob, storage.runs.get(turn.run_id), StanceInput(3))
    dialogues.send(bob, storage.runs.get(turn.run_id), TextInput(THICK), source=("42", 5))
    storage.participants.record_consent(bob, "2-en", False)
    assert not dialogues.edit_answer(bob, "42", 5, "After withdrawing: " + THICK)
    (row,) = storage.runs.reflections(bob)
    assert (row.answer, row.history, row.edited) == (THICK, [], None)
    stored = str(storage.db.execute("select * from runs").fetchall())
    assert THICK in stored and "After withdrawing" not in stored, "the run's state keeps the kept answer only"
