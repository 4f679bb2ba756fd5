"""No stalls (issue 15): while a facilitator's export or overview is being made, participants get
their replies. The worker is held at a gate the test controls, so the export is provably still
running when the participant's reply arrives; nothing here sleeps."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Callable

from bot.app import exporting

from ..support.bot_harness import TITLE, Participant, running_bot
from ..support.staff import become_facilitator, new_cohort
from .test_telegram_facilitators import THICK, answer_first_question, join

GATE_TIMEOUT = 30.0


class Gate:
    """Wraps a function that runs in the export worker: it says when it was entered, then waits
    until the test opens the gate."""

    def __init__(self, function: Callable):
        self.function = function
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.thread: str | None = None

    def __call__(self, *args, **kwargs):
        self.thread = threading.current_thread().name
        self.entered.set()
        assert self.opened.wait(GATE_TIMEOUT), "the test never opened the gate"
        return self.function(*args, **kwargs)

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.opened.set()  # a failing test leaves no worker waiting at a closed gate

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, GATE_TIMEOUT), "the worker never started"


async def cohort_with_a_facilitator(fake, admin: Participant) -> tuple[Participant, Participant]:
    invite, lead = await new_cohort(admin, "MC-A")
    alice = Participant(fake, fake.user("Alice"))
    await join(alice, invite, "MC-A")
    await answer_first_question(alice, "Alice: " + THICK)
    fiona = Participant(fake, fake.user("Fiona"))
    await become_facilitator(fiona, lead, "MC-A")
    bob = Participant(fake, fake.user("Bob"))
    await join(bob, invite, "MC-A")
    await bob.press(TITLE)
    await bob.press("2")
    await bob.expect("Step 2 of 12")
    return fiona, bob


def documents(fake, p: Participant) -> list:
    return [m for m in fake.messages(p.chat) if m.document]


async def test_a_participant_gets_their_reply_while_a_big_export_is_still_running(fake, tmp_path, monkeypatch):
    admin = Participant(fake, fake.user("Ada"))
    gate = Gate(exporting.write)
    monkeypatch.setattr(exporting, "write", gate)
    bot_db = tmp_path / "bot.db"
    with gate:
        async with running_bot(fake, bot_db, admins=frozenset({str(admin.user.id)})) as bot:
            fiona, bob = await cohort_with_a_facilitator(fake, admin)
            await fiona.command("/export")
            await fiona.press("MC-A")
            await fiona.press("CSV")
            await gate.wait_entered()
            await fiona.expect("Preparing the CSV export of MC-A")

            await bob.write("Bob: " + THICK)
            await bob.expect("What would convince you")
            assert not gate.opened.is_set() and documents(fake, fiona) == [], "the export is still running"
            assert gate.thread is not None and gate.thread.startswith("elenchus-export")
            assert [a.action for a in bot.storage.cohorts.audit_log()] == [], "audited only once it is done"

            gate.opened.set()
            (document,) = await fake.wait_for_async(lambda: documents(fake, fiona) or None, what="the CSV export")
            name, data = document.document
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
            assert name.endswith(".csv") and "Alice: " + THICK in [r["answer"] for r in rows]
            await fiona.expect("records from MC-A as CSV")
            (audit,) = bot.storage.cohorts.audit_log()
            assert audit.action == "export:csv" and audit.records == len(rows)


async def test_a_participant_gets_their_reply_while_an_overview_is_being_made(fake, tmp_path, monkeypatch):
    admin = Participant(fake, fake.user("Ada"))
    gate = Gate(exporting.build_report)
    monkeypatch.setattr(exporting, "build_report", gate)
    with gate:
        async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(admin.user.id)})):
            fiona, bob = await cohort_with_a_facilitator(fake, admin)
            await fiona.command("/cohort", payload="MC-A")
            await gate.wait_entered()
            await fiona.expect("Preparing the overview of MC-A")

            await bob.write("Bob: " + THICK)
            await bob.expect("What would convince you")
            assert not gate.opened.is_set() and not [m for m in fake.messages(fiona.chat) if m.photo]

            gate.opened.set()
            await fiona.expect("value-and-trust: 2 started")
            photo = await fake.wait_for_async(lambda: next((m for m in fake.messages(fiona.chat) if m.photo), None))
            assert photo.photo.startswith(b"\x89PNG")
