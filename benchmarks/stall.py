"""Participants' latency while a facilitator exports a 100,000-answer cohort (issue 15, "no stalls").

The bot runs in its own process (`python -m bot run`, as in production, rate limiter on) against
the fake Bot API server in this process, on a copy of the export benchmark's database. N
participants (new Telegram users) play the first dialogue at human pace (benchmarks/updates.py's
script and driver, think time uniform in 0.5-1.5 x THINK s). Two runs on fresh copies: one
without exports, one in which a facilitator of the cohort exports it as CSV back to back for as
long as the participants play. Latency is from enqueueing an input at the fake to the bot's first
request for it; the figure is p99 during the exports over p99 without.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.bot_harness import TITLE, Participant, bot_process
from tests.support.fake_telegram import FakeTelegram

from .chatwatch import ChatWatch
from .common import percentile
from .updates import STEP_TIMEOUT, Step

THICK = "I would ask how it was assessed, because assessment shows what was learned, for example a project."
"""A reasoned answer the dialogue asks no follow-up on (as the e2e tests write it)."""

SCRIPT: tuple[Step, ...] = (
    ("command", "/start", "may we keep your answers?"),
    ("press", "Yes, keep my answers", "Pick a dialogue"),
    ("press", TITLE, "Before we start: how far do you agree?"),
    ("press", "2", "Step 2 of 12"),
    ("write", THICK, "What would convince you"),
    ("write", THICK, "Pick a role"),
    ("press", "A hiring manager", "You are hiring a lab data analyst"),
    ("write", THICK, "What does that comparison take for granted"),
    ("write", THICK, "ten years"),
)
"""The first nine updates of 'value-and-trust' from /start, as tests/e2e/test_telegram_participant.py
plays them (each expected text is in the bot's last message of its reply)."""

PARTICIPANTS = 40
THINK = 4.0
"""Mean seconds between a participant's inputs: human pace, under Telegram's 30 messages a second."""
TARGET = 1.5
EXPORT_TIMEOUT = 300.0
FACILITATOR_PACE = 3.5
"""Seconds per export round at least (its three updates stay within the flood guard's 1 a second)."""


@dataclass
class Inputs:
    """Each participant input: when it was sent and how long until the bot's first request for it."""

    sent: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


async def play(fake: FakeTelegram, watch: ChatWatch, user, inputs: Inputs, rng: random.Random, think: float) -> None:
    """One participant through SCRIPT at human pace (benchmarks/updates.py's driver, with send times)."""
    last_message = None
    for step, (kind, what, expect) in enumerate(SCRIPT):
        await asyncio.sleep(think * (rng.random() if step == 0 else rng.uniform(0.5, 1.5)))
        mark = watch.mark(user.id)
        sent = time.monotonic()
        if kind == "command":
            fake.send_command(user, what)
        elif kind == "write":
            fake.send_text(user, what)
        else:
            update = fake.press(user, last_message, what)
            watch.callback_chats[update["callback_query"]["id"]] = user.id
        index, answer = await watch.wait(user.id, mark, expect, STEP_TIMEOUT)
        first = next(s for s in watch.seen[user.id][mark : index + 1] if s.time >= sent)
        inputs.sent.append(sent)
        inputs.latencies.append(first.time - sent)
        last_message = answer.message_id


@dataclass
class Exporting:
    """What the facilitator's back-to-back exports did."""

    seconds: list[float] = field(default_factory=list)
    """Each export, from pressing CSV to the document at the fake."""
    making: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) of each export's making: from pressing CSV to the bot's "records ... as CSV" message."""
    sending: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) of each upload: from that message to the document at the fake."""
    busy: float = 0.0
    """Seconds an export was in progress, of the participants' run."""
    bytes: int = 0


async def _start_bot(fake: FakeTelegram, db: Path, log: Path) -> subprocess.Popen:
    process = bot_process(fake, db, log)
    probe = fake.user("Probe")
    fake.send_command(probe, "/help")
    await fake.wait_for_async(lambda: fake.messages(probe.id) or None, 60, "the bot process to answer")
    return process


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


async def _facilitator(fake: FakeTelegram, code: str, cohort: str) -> Participant:
    fiona = Participant(fake, fake.user("Fiona"))
    await fiona.command("/start", payload=code)
    await fiona.expect(f"You are now a facilitator of {cohort}", timeout=30)
    await fiona.press("Yes, keep my answers")
    return fiona


async def _export_loop(fake: FakeTelegram, fiona: Participant, cohort: str, done: asyncio.Event) -> Exporting:
    result = Exporting()
    while not done.is_set():
        round_started = time.monotonic()
        before = len([m for m in fake.messages(fiona.chat) if m.document])
        await fiona.command("/export")
        picking = await fiona.expect("Which cohort?", timeout=60)  # this round's message, not an earlier one
        fake.press(fiona.user, picking.message_id, cohort)
        formats = await fiona.expect("Which format", timeout=60)
        fake.press(fiona.user, formats.message_id, "CSV")
        started = time.monotonic()
        docs = await fake.wait_for_async(
            lambda before=before: [m for m in fake.messages(fiona.chat) if m.document][before:] or None,
            EXPORT_TIMEOUT,
            "the CSV export",
        )
        result.seconds.append(time.monotonic() - started)
        result.bytes = len(docs[0].document[1])
        ready = [m for m in fake.requests if m.method == "sendMessage" and "as CSV" in str(m.params.get("text"))]
        done_at = [m for m in fake.requests if m.method == "sendDocument"][-1].time
        result.making.append((started, ready[-1].time if ready else done_at))
        result.sending.append((result.making[-1][1], done_at))
        # Three updates per export: at most one a second on average, as the bot's flood guard allows.
        await asyncio.sleep(max(0.0, FACILITATOR_PACE - (time.monotonic() - round_started)))
    return result


async def _drive(fake: FakeTelegram, participants: int, think: float, seed: int) -> Inputs:
    inputs = Inputs()
    watch = ChatWatch(fake, asyncio.get_running_loop())
    users = [fake.user(f"S{seed}-{n}") for n in range(participants)]
    rng = random.Random(seed)
    try:
        async with asyncio.timeout((STEP_TIMEOUT + 2 * think) * len(SCRIPT) + 120):
            await asyncio.gather(*(play(fake, watch, u, inputs, random.Random(rng.random()), think) for u in users))
    finally:
        watch.close()
    return inputs


async def one_run(db: Path, workdir: Path, participants: int, think: float, export: bool) -> tuple[Inputs, Exporting]:
    """One run on a fresh copy of the database; with `export`, the facilitator exports meanwhile."""
    copy = workdir / f"stall-{'export' if export else 'quiet'}.db"
    shutil.copy(db, copy)
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        cohort, code = conn.execute("select name, facilitator_code from cohorts order by id limit 1").fetchone()
    exporting = Exporting()
    with FakeTelegram() as fake:
        process = await _start_bot(fake, copy, workdir / "stall-bot.log")
        try:
            fiona = await _facilitator(fake, code, cohort)
            done = asyncio.Event()
            loop_task = asyncio.create_task(_export_loop(fake, fiona, cohort, done)) if export else None
            started = time.monotonic()
            drive = await _drive(fake, participants, think, seed=2 if export else 1)
            done.set()
            ran = time.monotonic() - started
            if loop_task is not None:
                exporting = await loop_task
                exporting.busy = min(sum(exporting.seconds) / ran, 1.0) if ran else 0.0
        finally:
            _stop(process)
    return drive, exporting


def _within(inputs: Inputs, windows: list[tuple[float, float]]) -> list[float]:
    return [
        lat for sent, lat in zip(inputs.sent, inputs.latencies, strict=True) if any(a <= sent < b for a, b in windows)
    ]


def measure(db: Path, workdir: Path, participants: int = PARTICIPANTS, think: float = THINK) -> dict:
    async def both() -> dict:
        quiet, _ = await one_run(db, workdir, participants, think, export=False)
        busy, exporting = await one_run(db, workdir, participants, think, export=True)
        making, sending = _within(busy, exporting.making), _within(busy, exporting.sending)

        def ms(values: list[float], p: float) -> float:
            return percentile(values, p) * 1000

        return {
            "participants": participants,
            "think_seconds": think,
            "inputs": [len(quiet.latencies), len(busy.latencies), len(making), len(sending)],
            "p50_ms": [ms(quiet.latencies, 50), ms(busy.latencies, 50), ms(making, 50), ms(sending, 50)],
            "p99_ms": [ms(quiet.latencies, 99), ms(busy.latencies, 99), ms(making, 99), ms(sending, 99)],
            "exports": len(exporting.seconds),
            "export_seconds": exporting.seconds,
            "making_seconds": [b - a for a, b in exporting.making],
            "sending_seconds": [b - a for a, b in exporting.sending],
            "export_busy_fraction": exporting.busy,
            "export_mib": exporting.bytes / 2**20,
        }

    return asyncio.run(both())
