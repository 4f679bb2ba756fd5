"""What users get under Telegram's cap (issue 15), measured with the update benchmark's machinery
(benchmarks/updates.py): rate-limited calls per update and the participants that serves, a burst of
/start with the rate limiter on, CPU and SQL per update, fsyncs per update under strace."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.support.bot_harness import settings_for
from tests.support.fake_telegram import FakeTelegram

from .chatwatch import ChatWatch
from .common import Result
from .updates import STEP_TIMEOUT, STEPS, Drive, drive_bot, elenchus, elenchus_script, production_logging

FSYNC_PARTICIPANTS = 20
"""Participants of the run under strace that counts fsyncs."""
STARTS = 300
"""People sending /start at the same moment (a lecture hall told to open the bot)."""
TELEGRAM_RATE = 30.0
"""Messages a second Telegram lets a bot send (to different chats), and the rate limiter's setting."""
HUMAN_PACE = 45.0
"""Seconds between one participant's inputs at a human pace (reading, thinking, typing)."""
CALLS_TARGET = 1.25
"""Rate-limited Bot API calls per participant update (issue 15)."""


async def measure_starts(count: int, workdir: Path) -> tuple[float, int]:
    """`count` people send /start at the same moment to Elenchus WITH its rate limiter (30 calls a
    second, as in production): seconds until the last of them has the consent question, and the
    rate-limited calls made."""
    db = workdir / f"starts-{time.monotonic_ns()}.db"
    with FakeTelegram() as fake, production_logging(settings_for(fake, db), workdir / "starts.log"):
        async with elenchus(fake, db, rate_limiter=True):
            watch = ChatWatch(fake, asyncio.get_running_loop())
            users = [fake.user(f"S{n}") for n in range(count)]
            before = len(fake.requests)
            try:
                marks = [watch.mark(u.id) for u in users]
                started = time.monotonic()
                for user in users:
                    fake.send_command(user, "/start")
                await asyncio.gather(
                    *(watch.wait(u.id, m, STEPS[0][2], STEP_TIMEOUT * 3) for u, m in zip(users, marks, strict=True))
                )
                seconds = time.monotonic() - started
            finally:
                watch.close()
            made = [r for r in fake.requests[before:] if r.method != "getUpdates" and "chat_id" in r.params]
    return seconds, len(made)


async def measure_fsyncs(participants: int, workdir: Path) -> tuple[int, int] | None:
    """fsync and fdatasync calls of this process (strace -c) while `participants` play the dialogue
    (a small run: strace stops the process at every system call). (fsyncs, updates), or None
    without strace."""
    if shutil.which("strace") is None:
        return None
    db = workdir / f"fsync-{time.monotonic_ns()}.db"
    out = workdir / "strace.txt"
    with FakeTelegram() as fake, production_logging(settings_for(fake, db), workdir / "fsync.log"):
        async with elenchus(fake, db):
            command = [
                "strace",
                "-f",
                "-qq",
                "-c",
                "-e",
                "trace=fsync,fdatasync",
                "-o",
                str(out),
                "-p",
                str(os.getpid()),
            ]
            tracer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                await _traced(tracer)
                drive = await drive_bot(fake, participants, elenchus_script)
            finally:
                tracer.send_signal(signal.SIGINT)
                tracer.wait(timeout=30)
    calls = 0
    for line in out.read_text().splitlines() if out.exists() else ():
        parts = line.split()
        if parts and parts[-1] in ("fsync", "fdatasync"):
            calls += int(parts[3])
    return calls, drive.updates


async def _traced(tracer: subprocess.Popen, timeout: float = 10.0) -> None:
    """Until strace has attached to this thread (TracerPid in /proc), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Path("/proc/self/status").read_text()
        if any(line.split()[1:] != ["0"] for line in status.splitlines() if line.startswith("TracerPid:")):
            return
        if tracer.poll() is not None:
            raise RuntimeError("strace could not attach (ptrace not permitted?)")
        await asyncio.sleep(0.01)
    raise RuntimeError("strace did not attach")


def report(
    result: Result,
    ours: Drive,
    theirs: Drive,
    paced: Drive | None,
    starts: tuple[float, int] | None,
    starts_count: int,
    fsyncs: tuple[int, int] | None = None,
) -> None:
    """What users get under Telegram's cap: calls per update, the participants it serves, a burst of
    /start; CPU and SQL per update."""
    calls = (paced or ours).limited_per_update
    served = TELEGRAM_RATE * HUMAN_PACE / calls if calls else float("inf")
    target_served = TELEGRAM_RATE * HUMAN_PACE / CALLS_TARGET
    result.add(
        "rate-limited Bot API calls per participant update", calls, "", f"<= {CALLS_TARGET}", calls <= CALLS_TARGET
    )
    result.add(
        f"participants served under {TELEGRAM_RATE:g} msg/s, one input every {HUMAN_PACE:g} s",
        round(served),
        "",
        f">= {target_served:,.0f}",
        served >= target_served,
    )
    if starts is not None:
        seconds, made = starts
        limit = starts_count * CALLS_TARGET / TELEGRAM_RATE
        result.add(
            f"{starts_count} simultaneous /start, until the last has the consent question (limiter on)",
            seconds,
            "s",
            f"<= {limit:g} s",
            seconds <= limit,
        )
        result.add(f"... rate-limited calls for those {starts_count} /start", made)
    cpu_update = ours.cpu_per_update_ms() / theirs.cpu_per_update_ms()
    cpu_call = ours.cpu_per_request_ms() / theirs.cpu_per_request_ms()
    result.add("CPU per update, Elenchus / echo bot (event loop)", cpu_update, "x", "<= 2", cpu_update <= 2)
    result.add("CPU per Bot API call, Elenchus / echo bot", cpu_call, "x", "<= 1.25", cpu_call <= 1.25)
    result.add("SQL statements per update", ours.statements / ours.updates)
    result.add("write transactions per update", ours.commits / ours.updates)
    schema = ours.schema_queries / ours.updates
    result.add("schema queries per update (sqlite_master, table_info)", schema, "", "0", schema == 0)
    result.notes.append(
        "Rate-limited calls: Bot API requests naming a chat (sendMessage, sendChatAction, edits), as in "
        f"{'the paced run' if paced else 'the run without think time'}; by method: "
        + ", ".join(f"{m} {n / (paced or ours).updates:.2f}" for m, n in sorted((paced or ours).methods.items()))
        + f" per update. Participants served = {TELEGRAM_RATE:g} calls/s x {HUMAN_PACE:g} s / calls per update. "
        "fsyncs: with synchronous=NORMAL in WAL mode a commit is not fsynced; SQLite fsyncs the log and "
        "the database only when it checkpoints (every 1,000 pages of log by default)."
    )
    result.details.update(
        starts={"participants": starts_count, "seconds": starts[0], "calls": starts[1]} if starts else None
    )
    if fsyncs is not None:
        result.add(f"fsyncs per update (strace, {FSYNC_PARTICIPANTS} participants)", fsyncs[0] / fsyncs[1])
