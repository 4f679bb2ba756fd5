"""The service: every step stored before it is shown; nothing kept without consent."""

from __future__ import annotations

import pytest

from bot.app.dialogues import Service
from bot.engine import Course, ResumeInput, StanceInput, TextInput

THICK = "It matters because employers read the outcomes, for example in interviews."


@pytest.fixture
def service(mini, storage) -> Service:
    return Service(Course("t", {"en": "T"}, {"en": "S"}, (), (mini,)), storage)


def test_each_step_is_stored_before_it_is_returned(mini, storage, service):
    pid = storage.participant("terminal", "me")
    storage.record_consent(pid, "v1", True)
    turn = service.start(pid, mini)
    run = storage.get_run(turn.run_id)
    assert run.state["node"] == "before"
    turn = service.send(pid, run, StanceInput(4))
    assert [s["value"] for s in storage.stances(pid)] == [4]
    turn = service.send(pid, storage.get_run(turn.run_id), TextInput(THICK))
    assert [r["answer"] for r in storage.reflections(pid)] == [THICK]
    assert storage.get_run(turn.run_id).state["node"] == "pick"


def test_without_consent_nothing_written_is_kept(mini, storage, service):
    pid = storage.participant("telegram", "no-consent")
    turn = service.start(pid, mini)
    turn = service.send(pid, storage.get_run(turn.run_id), StanceInput(2))
    turn = service.send(pid, storage.get_run(turn.run_id), TextInput("a secret answer " * 3 + "because"))
    assert storage.reflections(pid) == [] and storage.stances(pid) == []
    stored = storage.get_run(turn.run_id).state
    assert stored["answers"] == [] and stored["stances"] == {}
    assert "secret" not in str(storage.db.execute("select * from runs").fetchall())
    assert turn.state.answers, "the run still remembers the answer for its own recap"
    resumed = service.send(pid, storage.get_run(turn.run_id), ResumeInput())
    assert resumed.state.stances == {"before": 2}, "in this process the full state is still used"


def test_menu_marks_progress(mini, storage, service):
    pid = storage.participant("terminal", "menu")
    storage.record_consent(pid, "v1", True)
    (entry,) = service.menu(pid)
    assert entry.status == "new"
    turn = service.start(pid, mini)
    service.send(pid, storage.get_run(turn.run_id), StanceInput(3))
    (entry,) = service.menu(pid)
    assert (entry.status, entry.step, entry.total) == ("active", 2, 7)
