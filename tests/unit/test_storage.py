"""Storage round trips on tmp_path databases: exactly what was written comes back."""

from __future__ import annotations

import sqlite3
from datetime import UTC

import pytest

from bot.engine import SaveReflection as Reflection
from bot.engine import SaveStance as StanceRecord
from bot.storage import MIGRATIONS, Storage

ANSWERS = [
    "Plain answer.",
    "Ümlauts, ß, accents: café, naïve; Greek αβγ; Chinese 微证书; Arabic شهادة",
    "Emoji 🎓📜👩‍🔬 and flags 🇪🇺",
    "Line one\nLine two\r\nLine three\n\n  indented, trailing spaces  \t",
    "x" * 4000,
    '=HYPERLINK("http://evil")',
    "<b>not html</b> & 'quotes' \"double\"",
]


def new_run(storage: Storage, platform_id: str = "u1") -> tuple[int, int]:
    pid = storage.participants.get_or_create("terminal", platform_id).id
    run = storage.runs.start(pid, "mini", 1, {"version": 1, "node": "q1"})
    return pid, run.id


def save_step(storage: Storage, run_id: int, state: dict, **kwargs) -> None:
    storage.runs.save_step(storage.runs.get(run_id), state, **kwargs)


@pytest.mark.parametrize("answer", ANSWERS, ids=["plain", "unicode", "emoji", "newlines", "4000", "formula", "html"])
def test_reflections_round_trip_exactly(storage, answer):
    pid, run = new_run(storage)
    save_step(
        storage,
        run,
        {"version": 1, "node": "q2", "answers": [[answer]]},
        finished=False,
        reflections=[Reflection("q1", "Question “shown”?", answer, "evidence", False)],
    )
    (row,) = storage.runs.reflections(pid)
    assert row.answer == answer
    assert row.question == "Question “shown”?"
    assert (row.dialogue_id, row.dialogue_version, row.node_id, row.move, row.probe) == (
        "mini",
        1,
        "q1",
        "evidence",
        0,
    )
    assert storage.runs.get(run).state["answers"] == [[answer]]


def test_values_survive_reopening_the_file(tmp_path):
    path = tmp_path / "reopen.db"
    first = Storage(path)
    pid, run = new_run(first)
    save_step(
        first,
        run,
        {"version": 1, "node": "end"},
        finished=True,
        reflections=[Reflection("q1", "Q", ANSWERS[2], "evidence", True)],
        stances=[StanceRecord("before", "before", "Claim", 4)],
    )
    first.close()
    again = Storage(path)
    assert [r.answer for r in again.runs.reflections(pid)] == [ANSWERS[2]]
    assert [(s.phase, s.value, s.claim) for s in again.runs.stances(pid)] == [("before", 4, "Claim")]
    assert again.runs.get(run).status == "finished"
    again.close()


def test_schema_is_versioned_and_migrations_run_once(tmp_path):
    path = tmp_path / "m.db"
    store = Storage(path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.migrate() == 0
    store.close()
    assert Storage(path).migrate() == 0


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this Elenchus"):
        Storage(path)


def test_wal_mode(storage):
    assert storage.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_step_leaves_nothing_half_written(storage):
    pid, run = new_run(storage)
    bad = Reflection("q1", "Q", None, "evidence", False)  # answer NOT NULL: the insert fails
    good = Reflection("q0", "Q", "first", "evidence", False)
    with pytest.raises(sqlite3.IntegrityError):
        save_step(storage, run, {"version": 1, "node": "q2"}, finished=False, reflections=[good, bad])
    assert storage.runs.reflections(pid) == []
    assert storage.runs.get(run).state == {"version": 1, "node": "q1"}


def test_participants_are_created_once(storage):
    a = storage.participants.get_or_create("terminal", "alice").id
    assert storage.participants.get_or_create("terminal", "alice").id == a
    assert storage.participants.get_or_create("telegram", "alice").id != a


def test_consent_latest_wins(storage):
    pid = storage.participants.get_or_create("telegram", "42").id
    assert not storage.participants.has_consent(pid)
    storage.participants.record_consent(pid, "v1", True)
    assert storage.participants.has_consent(pid)
    storage.participants.record_consent(pid, "v1", False)
    assert not storage.participants.has_consent(pid)
    assert storage.participants.consent(pid).version == "v1"


def test_starting_again_abandons_the_active_run_of_that_dialogue(storage):
    pid, first = new_run(storage)
    second = storage.runs.start(pid, "mini", 1, {"version": 1, "node": "q1"}).id
    assert storage.runs.get(first).status == "abandoned"
    assert storage.runs.active(pid).id == second
    assert storage.runs.visits(pid, "mini") == 2


def test_edit_keeps_history(storage):
    pid, run = new_run(storage)
    save_step(
        storage,
        run,
        {"version": 1, "node": "q2"},
        finished=False,
        reflections=[Reflection("q1", "Q", "first version", "evidence", False)],
    )
    (row,) = storage.runs.reflections(pid)
    storage.runs.edit_reflection(row.id, "second version")
    storage.runs.edit_reflection(row.id, "third version")
    (row,) = storage.runs.reflections(pid)
    assert row.answer == "third version" and row.edited
    assert [h["answer"] for h in row.history] == ["first version", "second version"]


def test_forget_deletes_everything_about_one_participant(storage):
    pid, run = new_run(storage, "a")
    other, other_run = new_run(storage, "b")
    for p, r in ((pid, run), (other, other_run)):
        storage.participants.record_consent(p, "v1", True)
        save_step(
            storage,
            r,
            {"version": 1, "node": "end"},
            finished=True,
            reflections=[Reflection("q1", "Q", "A", "evidence", False)],
            stances=[StanceRecord("before", "before", "C", 2)],
        )
    counts = storage.participants.forget(pid)
    assert counts == {"reflections": 1, "stances": 1, "runs": 1, "consents": 1}
    assert storage.runs.reflections(pid) == [] and storage.runs.of(pid) == []
    assert len(storage.runs.reflections(other)) == 1


def test_participants_inactive_beyond_the_retention_period_are_forgotten(tmp_path):
    from datetime import datetime

    now = ["2025-01-01T00:00:00.000Z"]
    store = Storage(tmp_path / "r.db", clock=lambda: now[0])
    old = store.participants.get_or_create("telegram", "old").id
    store.participants.record_consent(old, "1-en", True)
    now[0] = "2026-11-01T00:00:00.000Z"
    recent = store.participants.get_or_create("telegram", "recent").id

    store.participants.record_consent(recent, "1-en", True)
    stale = store.participants.inactive(365, now=datetime(2026, 11, 28, tzinfo=UTC))
    for participant_id in stale:
        store.participants.forget(participant_id)
    removed = len(stale)
    assert removed == 1
    assert store.db["participants"].count == 1 and store.participants.consent(recent) is not None
    store.close()


def test_the_datasette_metadata_describes_real_tables_and_columns(storage):
    from pathlib import Path

    from bot.cli.datasette import metadata as datasette_metadata

    # the metadata moved into the package (bot/cli/datasette.yaml), keyed by the database's file name
    tables = datasette_metadata(Path("elenchus.db"))["databases"]["elenchus"]["tables"]
    assert set(tables) == set(storage.db.table_names()), "every table described, no table invented"
    for name, table in tables.items():
        columns = {c.name for c in storage.db[name].columns}
        assert set(table.get("columns", {})) <= columns, name
