"""Browsing with Datasette: the metadata under any database name, internal tables hidden, and the
canned queries' SQL run against a real database."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.app.services import Services
from bot.cli.datasette import metadata
from bot.content.loader import load_course

from ..support.cli import run_cli
from ..support.content import CONTENT
from ..support.play import participant, play_through

INTERNAL = {"processed_updates", "inbox", "outbox", "unparseable_updates", "group_messages", "installation"}
"""Hidden: the bot's own bookkeeping, and the installation's secret (it would undo the xAPI pseudonyms)."""


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """Cohort A: Ann moves up, Ben stays, Cy only starts; cohort B: Dora, whose answers must not show in A."""
    path = tmp_path_factory.mktemp("ds") / "cohort-a.sqlite3"
    services = Services.open(path, load_course(CONTENT))
    a = services.storage.cohorts.create("A", "cli:test")
    b = services.storage.cohorts.create("B", "cli:test")
    first = services.course.dialogues[0]
    for name, cohort, before, after in (("Ann", a, 2, 4), ("Ben", a, 3, 3), ("Dora", b, 5, 1)):
        pid = participant(services, name, name=name, locale="en", cohort=cohort.id)
        play_through(services, pid, first.id, locale="en", before=before, after=after, answer=f"{name}: because.")
    cy = participant(services, "Cy", name="Cy", locale="en", cohort=a.id)
    services.dialogues.open(cy, first, locale="en")
    services.close()
    return path


def canned(name: str) -> str:
    return metadata(Path("x.db"))["databases"]["x"]["queries"][name]["sql"]


def query(db: Path, name: str, **params) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(canned(name), params)]
    finally:
        conn.close()


def test_metadata_is_keyed_by_the_database_files_name():
    for file, name in (
        ("elenchus.db", "elenchus"),
        ("/srv/data/cohort-a.sqlite3", "cohort-a"),
        ("my.data.db", "my.data"),
    ):
        assert list(metadata(Path(file))["databases"]) == [name]
    tables = metadata(Path("e.db"))["databases"]["e"]["tables"]
    assert {t for t, v in tables.items() if v.get("hidden")} == INTERNAL


def test_the_command_prints_json_for_the_configured_database(tmp_path):
    result = run_cli("datasette-metadata", env={"ELENCHUS_DB": str(tmp_path / "uni.db")})
    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)["databases"]) == ["uni"]


def test_a_cohorts_answers_per_dialogue(db):
    rows = query(db, "cohort_answers", cohort="A", dialogue="")
    assert rows and {r["participant"] for r in rows} == {"Ann", "Ben"}
    assert all(r["answer"] in ("Ann: because.", "Ben: because.") for r in rows)
    assert query(db, "cohort_answers", cohort="A", dialogue="no-such-dialogue") == []
    counts = query(db, "answers_per_dialogue", cohort="A")
    assert sum(r["answers"] for r in counts) == len(rows)
    assert counts[0]["participants"] == 2 and all(1 <= r["participants"] <= 2 for r in counts)


def test_the_stance_shift(db):
    (row,) = query(db, "stance_shift", cohort="A")
    assert (row["people"], row["agree_more"], row["unchanged"], row["agree_less"]) == (2, 1, 1, 0)
    assert (row["mean_before"], row["mean_after"]) == (2.5, 3.5)
    (other,) = query(db, "stance_shift", cohort="B")
    assert (other["people"], other["agree_less"]) == (1, 1)


@pytest.mark.skipif(
    shutil.which("datasette") is None and not Path(".venv/bin/datasette").exists(), reason="no datasette"
)
def test_datasette_serves_the_canned_query_and_hides_the_internal_tables(db, tmp_path):
    meta = tmp_path / "m.json"
    meta.write_text(json.dumps(metadata(db)), encoding="utf-8")
    exe = shutil.which("datasette") or ".venv/bin/datasette"

    def get(path: str):
        done = subprocess.run(
            [exe, str(db), "-m", str(meta), "--get", path], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    rows = get("/cohort-a/stance_shift.json?cohort=A&_shape=array")
    assert rows == [{k: v for k, v in query(db, "stance_shift", cohort="A")[0].items()}]
    tables = {t["name"]: t["hidden"] for t in get("/cohort-a.json")["tables"]}
    assert {t for t, hidden in tables.items() if hidden} == INTERNAL
