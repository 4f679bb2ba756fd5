"""Storage round trips on tmp_path databases: exactly what was written comes back."""

from __future__ import annotations

import sqlite3
from datetime import UTC

import pytest

from bot.storage import MIGRATIONS, Reflection, StanceRecord, Storage

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
    pid = storage.participant("terminal", platform_id)
    run = storage.start_run(pid, "mini", 1, {"version": 1, "node": "q1"})
    return pid, run


@pytest.mark.parametrize("answer", ANSWERS, ids=["plain", "unicode", "emoji", "newlines", "4000", "formula", "html"])
def test_reflections_round_trip_exactly(storage, answer):
    pid, run = new_run(storage)
    storage.save_step(
        run,
        {"version": 1, "node": "q2", "answers": [[answer]]},
        finished=False,
        reflections=[Reflection("q1", "Question “shown”?", answer, "evidence", False)],
    )
    (row,) = storage.reflections(pid)
    assert row["answer"] == answer
    assert row["question"] == "Question “shown”?"
    assert (row["dialogue_id"], row["dialogue_version"], row["node_id"], row["move"], row["probe"]) == (
        "mini",
        1,
        "q1",
        "evidence",
        0,
    )
    assert storage.get_run(run).state["answers"] == [[answer]]


def test_values_survive_reopening_the_file(tmp_path):
    path = tmp_path / "reopen.db"
    first = Storage(path)
    pid, run = new_run(first)
    first.save_step(
        run,
        {"version": 1, "node": "end"},
        finished=True,
        reflections=[Reflection("q1", "Q", ANSWERS[2], "evidence", True)],
        stances=[StanceRecord("before", "before", "Claim", 4)],
    )
    first.close()
    again = Storage(path)
    assert [r["answer"] for r in again.reflections(pid)] == [ANSWERS[2]]
    assert [(s["phase"], s["value"], s["claim"]) for s in again.stances(pid)] == [("before", 4, "Claim")]
    assert again.get_run(run).status == "finished"
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
        storage.save_step(run, {"version": 1, "node": "q2"}, finished=False, reflections=[good, bad])
    assert storage.reflections(pid) == []
    assert storage.get_run(run).state == {"version": 1, "node": "q1"}


def test_participants_are_created_once(storage):
    a = storage.participant("terminal", "alice")
    assert storage.participant("terminal", "alice") == a
    assert storage.participant("telegram", "alice") != a


def test_consent_latest_wins(storage):
    pid = storage.participant("telegram", "42")
    assert not storage.has_consent(pid)
    storage.record_consent(pid, "v1", True)
    assert storage.has_consent(pid)
    storage.record_consent(pid, "v1", False)
    assert not storage.has_consent(pid)
    assert storage.consent(pid)["version"] == "v1"


def test_starting_again_abandons_the_active_run_of_that_dialogue(storage):
    pid, first = new_run(storage)
    second = storage.start_run(pid, "mini", 1, {"version": 1, "node": "q1"})
    assert storage.get_run(first).status == "abandoned"
    assert storage.active_run(pid).id == second
    assert storage.visits(pid, "mini") == 2


def test_edit_keeps_history(storage):
    pid, run = new_run(storage)
    storage.save_step(
        run,
        {"version": 1, "node": "q2"},
        finished=False,
        reflections=[Reflection("q1", "Q", "first version", "evidence", False)],
    )
    (row,) = storage.reflections(pid)
    storage.edit_reflection(row["id"], "second version")
    storage.edit_reflection(row["id"], "third version")
    (row,) = storage.reflections(pid)
    assert row["answer"] == "third version" and row["edited"]
    import json

    assert [h["answer"] for h in json.loads(row["history"])] == ["first version", "second version"]


def test_forget_deletes_everything_about_one_participant(storage):
    pid, run = new_run(storage, "a")
    other, other_run = new_run(storage, "b")
    for p, r in ((pid, run), (other, other_run)):
        storage.record_consent(p, "v1", True)
        storage.save_step(
            r,
            {"version": 1, "node": "end"},
            finished=True,
            reflections=[Reflection("q1", "Q", "A", "evidence", False)],
            stances=[StanceRecord("before", "before", "C", 2)],
        )
    counts = storage.forget(pid)
    assert counts == {"reflections": 1, "stances": 1, "runs": 1, "consents": 1}
    assert storage.reflections(pid) == [] and storage.runs(pid) == []
    assert len(storage.reflections(other)) == 1


def test_participants_inactive_beyond_the_retention_period_are_forgotten(tmp_path):
    from datetime import datetime

    now = ["2025-01-01T00:00:00.000Z"]
    store = Storage(tmp_path / "r.db", clock=lambda: now[0])
    old = store.participant("telegram", "old")
    store.record_consent(old, "1-en", True)
    now[0] = "2026-11-01T00:00:00.000Z"
    recent = store.participant("telegram", "recent")

    store.record_consent(recent, "1-en", True)
    removed = store.purge_inactive(365, now=datetime(2026, 11, 28, tzinfo=UTC))
    assert removed == 1
    assert store.db["participants"].count == 1 and store.consent(recent) is not None
    store.close()


def test_the_datasette_metadata_describes_real_tables_and_columns(storage):
    import yaml

    from ..support.content import ROOT

    metadata = yaml.safe_load((ROOT / "datasette" / "metadata.yaml").read_text())
    tables = metadata["databases"]["elenchus"]["tables"]
    assert set(tables) == set(storage.db.table_names()), "every table described, no table invented"
    for name, table in tables.items():
        columns = {c.name for c in storage.db[name].columns}
        assert set(table.get("columns", {})) <= columns, name
