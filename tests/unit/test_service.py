"""The service: every step stored before it is shown; nothing kept without consent."""

from __future__ import annotations

import pytest

from bot.app.dialogues import Dialogues as Service
from bot.engine import Course, ResumeInput, StanceInput, TextInput

THICK = "It matters because employers read the outcomes, for example in interviews."


@pytest.fixture
def service(mini, storage) -> Service:
    return Service(Course("t", {"en": "T"}, {"en": "S"}, (), (mini,)), storage)


def test_each_step_is_stored_before_it_is_returned(mini, storage, service):
    pid = storage.participants.get_or_create("terminal", "me").id
    storage.participants.record_consent(pid, "v1", True)
    turn = service.start(pid, mini)
    run = storage.runs.get(turn.run_id)
    assert run.state["node"] == "before"
    turn = service.send(pid, run, StanceInput(4))
    assert [s.value for s in storage.runs.stances(pid)] == [4]
    turn = service.send(pid, storage.runs.get(turn.run_id), TextInput(THICK))
    assert [r.answer for r in storage.runs.reflections(pid)] == [THICK]
    assert storage.runs.get(turn.run_id).state["node"] == "pick"


def test_without_consent_nothing_written_is_kept(mini, storage, service):
    pid = storage.participants.get_or_create("telegram", "no-consent").id
    turn = service.start(pid, mini)
    turn = service.send(pid, storage.runs.get(turn.run_id), StanceInput(2))
    turn = service.send(pid, storage.runs.get(turn.run_id), TextInput("a secret answer " * 3 + "because"))
    assert storage.runs.reflections(pid) == [] and storage.runs.stances(pid) == []
    stored = storage.runs.get(turn.run_id).state
    assert stored["answers"] == [] and stored["stances"] == {}
    assert "secret" not in str(storage.db.execute("select * from runs").fetchall())
    assert turn.state.answers, "the run still remembers the answer for its own recap"
    resumed = service.send(pid, storage.runs.get(turn.run_id), ResumeInput())
    assert resumed.state.stances == {"before": 2}, "in this process the full state is still used"


def test_menu_marks_progress(mini, storage, service):
    pid = storage.participants.get_or_create("terminal", "menu").id
    storage.participants.record_consent(pid, "v1", True)
    (entry,) = service.menu(pid)
    assert entry.status == "new"
    turn = service.start(pid, mini)
    service.send(pid, storage.runs.get(turn.run_id), StanceInput(3))
    (entry,) = service.menu(pid)
    assert (entry.status, entry.step, entry.total) == ("active", 2, 7)
