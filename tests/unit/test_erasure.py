"""Erasure that leaves no copy: after /forget or the retention purge, a participant's answers are
in none of the bytes SQLite keeps on disk (the database file, its write-ahead log, its shared
memory index), not even on free pages, while the bot's connection is still open.

Each test writes answers carrying a unique marker through the use cases, checks the marker is on
disk (so the search can find it), erases, and searches the raw bytes again. A build of SQLite
whose default is `secure_delete = OFF` (python.org and some distribution builds) is simulated by
turning it off on every new connection before Elenchus configures it.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid

import pytest

from bot.app.services import Services
from bot.clock import utc_now
from bot.engine import Buttons, ChoiceInput, Finished, Question, StanceInput, StanceQuestion
from bot.storage import Storage
from bot.storage import database as database_module

from ..support.disk import traces

CHAT = "7001"
FILLER = " because employers read the outcomes, for example in interviews."


@pytest.fixture(params=["build default", "secure_delete off by default"])
def sqlite_default(request, monkeypatch) -> str:
    """Run each test with this machine's SQLite, and as if it were built with secure_delete off."""
    if request.param != "build default":
        connect = sqlite3.connect

        def insecure_connect(*args, **kwargs):
            conn = connect(*args, **kwargs)
            conn.execute("PRAGMA secure_delete = OFF")
            return conn

        monkeypatch.setattr(sqlite3, "connect", insecure_connect)
    return request.param


@pytest.fixture
def clock() -> list[str]:
    """The storage's clock, settable: clock[0] is the time every row is stamped with."""
    return ["2020-03-01T09:00:00.000Z"]


@pytest.fixture
def services(sqlite_default, course, tmp_path, clock):
    opened = Services(course, Storage(tmp_path / "erasure.db", clock=lambda: clock[0]))
    yield opened
    opened.close()


def marker() -> str:
    return f"MARK{uuid.uuid4().hex}"


def play(services: Services, name: str, mark: str) -> int:
    """A consenting participant plays the first dialogue to its end, every answer carrying `mark`;
    one answer is long enough for overflow pages, and one is edited (the old text goes to history)."""
    person = services.participants.identify("telegram", name, name=name)
    services.participants.decide(person.id, "2-en", True)
    turn = services.dialogues.start(person.id, services.course.dialogues[0], chat=CHAT)
    message_id = 0
    while not any(isinstance(o, Finished) for o in turn.outputs):
        asked = [o for o in turn.outputs if isinstance(o, Question | Buttons | StanceQuestion)][-1]
        if isinstance(asked, StanceQuestion):
            turn = services.dialogues.input(person.id, turn.run_id, StanceInput(3))
        elif isinstance(asked, Buttons):
            turn = services.dialogues.input(person.id, turn.run_id, ChoiceInput(0))
        else:
            message_id += 1
            long = FILLER * 80 if message_id == 2 else ""
            text = f"Answer {message_id}{FILLER}{long} {mark}"
            turn = services.dialogues.answer(person.id, text, chat=CHAT, source=(CHAT, message_id))
    assert services.dialogues.edit_answer(person.id, CHAT, 1, f"{mark} edited{FILLER}")
    assert len(services.storage.runs.reflections(person.id)) >= 5
    return person.id


def test_forget_leaves_no_copy_in_the_database_its_wal_or_free_pages(services, tmp_path):
    db, mark, kept = tmp_path / "erasure.db", marker(), marker()
    pid = play(services, "ada", mark)
    play(services, "bob", kept)
    assert sum(traces(db, mark).values()) > 0, "the answers are on disk before erasure"
    counts = services.rights.forget(pid)
    assert counts["reflections"] >= 5 and counts["runs"] == 1
    assert traces(db, mark) == dict.fromkeys(traces(db, mark), 0), "while the bot's connection is open"
    assert services.storage.participants.get(pid) is None
    assert all(kept in r.answer for r in services.storage.runs.reflections(pid + 1)), "others' answers stay"
    services.close()
    assert sum(traces(db, mark).values()) == 0 and sum(traces(db, kept).values()) > 0


def test_the_retention_purge_leaves_no_copy(services, tmp_path, clock):
    db, stale, fresh = tmp_path / "erasure.db", marker(), marker()
    play(services, "old", stale)
    clock[0] = utc_now()
    play(services, "new", fresh)
    assert sum(traces(db, stale).values()) > 0
    assert services.rights.purge_inactive(365) >= 1
    assert sum(traces(db, stale).values()) == 0
    assert sum(traces(db, fresh).values()) > 0, "the participant still active keeps their answers"


def test_a_reader_holding_the_wal_delays_the_scrub_until_the_next_erasure_or_purge(
    services, tmp_path, caplog, monkeypatch
):
    """Datasette or a sqlite3 shell in a read transaction keeps the WAL alive: the rows are gone, the
    bytes stay until a later checkpoint gets through, and the operator is told in the log. A reader
    that keeps its connection open between transactions, as Datasette does, is no obstacle."""
    monkeypatch.setattr(database_module, "CHECKPOINT_WAIT_MS", 50)
    db, mark = tmp_path / "erasure.db", marker()
    pid = play(services, "ada", mark)
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("select count(*) from reflections").fetchone()
    with caplog.at_level(logging.WARNING, logger="elenchus.data_rights"):
        services.rights.forget(pid)
    assert "event=erasure_checkpoint_incomplete" in caplog.text
    assert mark not in caplog.text
    assert sum(traces(db, mark).values()) > 0, "the reader's snapshot still needs the old frames"
    reader.execute("COMMIT")
    assert services.rights.purge_inactive(365) == 0, "nobody is stale, but the purge scrubs anyway"
    assert sum(traces(db, mark).values()) == 0, "a reader between transactions (Datasette idle) does not hold it"
    reader.close()
