"""Update handling: N participants at once play the whole first dialogue through the real
python-telegram-bot Application against the fake Bot API server; then a bare echo bot is driven the
same way, for comparison.

Each participant is one asyncio task. It sends its next input (a command, a button press or a
written answer) as soon as the bot's last message for the previous one arrived, which it learns
from ChatWatch (a hook on the fake's request recording), never by sleeping. Latency is from the
moment an input is enqueued at the fake to the first request the bot makes for it (the fake's
own timestamp, same clock). A third run adds think time between inputs, to show the latency of a
bot that is not saturated.

`python -m benchmarks.updates` prints one participant's requests step by step (a check of the script).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import logging
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.config import Settings
from bot.telegram.app import PerChatOrder, setup_logging
from tests.support.bot_harness import TITLE, running_bot, settings_for
from tests.support.fake_telegram import FakeTelegram, User
from tests.support.fake_telegram.server import FakeServer

from .chatwatch import ChatWatch
from .common import Result, percentile, profile_summary, sql_counted

THICK = "I would check how it was assessed, because a transparent test shows what was learned, for example a project."
ANSWERS = (THICK,) * 9
"""A reasoned answer (as tests/e2e/test_telegram_participant.py gives), so the bot never asks a follow-up probe."""

Step = tuple[str, str, str]
STEPS: tuple[Step, ...] = (
    # (what the participant does, with what, a text of the bot's last message in reply)
    ("command", "/start", "may we keep your answers?"),
    ("press", "Yes, keep my answers", "Pick a dialogue"),
    ("press", TITLE, "Before we start: how far do you agree?"),
    ("press", "2", "Step 2 of 12"),
    ("write", ANSWERS[0], "What would convince you"),
    ("write", ANSWERS[1], "Pick a role"),
    ("press", "A hiring manager", "You are hiring a lab data analyst"),
    ("write", ANSWERS[2], "What does that comparison take for granted"),
    ("write", ANSWERS[3], "ten years"),
    ("write", ANSWERS[4], "Now, after thinking it through"),
    ("press", "4", "You rated the claim 2 at the start and 4 now"),
    ("write", ANSWERS[5], "For your portfolio"),
    ("write", ANSWERS[6], "Why does that matter"),
    ("write", ANSWERS[7], "the next time you choose a course"),
    ("write", ANSWERS[8], "What next?"),
)
"""The whole dialogue 'value-and-trust' from /start, as tests/e2e/test_telegram_participant.py plays it.
The button of a "press" is on the message found by the step before."""
ANSWERS_PER_RUN = sum(kind == "write" for kind, _, _ in STEPS)
STEP_TIMEOUT = 60.0
"""Seconds a participant waits for the bot's answer to one input before the benchmark fails."""
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "poll", "poll_answer", "my_chat_member"]
LISTEN_BACKLOG = 1024
THINK = 6.0
"""Mean think time (s) between a participant's inputs in the paced run."""


@dataclass
class Drive:
    """What one bot did under the participants' load."""

    participants: int
    think: float = 0.0
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    """The step of the script each latency belongs to."""
    requests: int = 0
    """Bot API requests the bot made while driven (not getUpdates)."""
    without_chat: int = 0
    """Of those, the ones without a chat_id (answerCallbackQuery), which AIORateLimiter does not pace."""
    methods: dict[str, int] = field(default_factory=dict)
    """Bot API requests by method."""
    statements: int = 0
    """SQL statements the bot's connection ran while driven (Elenchus only)."""
    commits: int = 0
    """Write transactions: COMMITs and writes outside a transaction."""
    schema_queries: int = 0
    """Statements that read the schema (sqlite_master, table_info)."""
    late: int = 0
    """Requests for an earlier input that arrived after the next input was sent (should be 0)."""
    cpu_loop: float = 0.0
    """CPU seconds of the event-loop thread (the bot, python-telegram-bot, httpx, the drivers)."""
    cpu_other: float = 0.0
    """CPU seconds of all other threads (the fake server's request threads)."""
    violations: int = 0
    overflows: int = 0
    """Connections the kernel dropped because a listen queue was full (see listen_backlog)."""

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def requests_per_update(self) -> float:
        return self.requests / self.updates if self.updates else 0.0

    @property
    def limited_per_update(self) -> float:
        """Rate-limited calls per update: those naming a chat, which Telegram's ~30 messages a second
        (and python-telegram-bot's AIORateLimiter) count; answerCallbackQuery names none."""
        return (self.requests - self.without_chat) / self.updates if self.updates else 0.0

    def cpu_per_update_ms(self) -> float:
        return 1000 * self.cpu_loop / self.updates if self.updates else 0.0

    def cpu_per_request_ms(self) -> float:
        return 1000 * self.cpu_loop / self.requests if self.requests else 0.0

    def latency_ms(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "participants": self.participants,
            "think_seconds": self.think,
            "updates": self.updates,
            "seconds": self.seconds,
            "updates_per_second": self.per_second,
            "requests": self.requests,
            "requests_per_update": self.requests_per_update,
            "requests_without_chat_id": self.without_chat,
            "rate_limited_per_update": self.limited_per_update,
            "requests_by_method": self.methods,
            "sql_statements": self.statements,
            "commits": self.commits,
            "schema_queries": self.schema_queries,
            "latency_ms": {str(p): self.latency_ms(p) for p in (50, 90, 95, 99, 100)},
            "latency_ms_p50_p99_by_step": {
                str(step): [percentile(v, 50) * 1000, percentile(v, 99) * 1000]
                for step in sorted(set(self.steps))
                for v in [[lat for s, lat in zip(self.steps, self.latencies, strict=True) if s == step]]
            },
            "cpu_event_loop_s": self.cpu_loop,
            "cpu_other_threads_s": self.cpu_other,
            "late_requests": self.late,
            "listen_overflows": self.overflows,
            "violations": self.violations,
        }


# ---- measuring aids ----------------------------------------------------------------------------


def _ticks(stat_path: str) -> float:
    """utime + stime of a /proc stat file, in seconds (the process file counts exited threads too)."""
    with open(stat_path) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuSplit:
    """CPU time of this thread (the event loop) and of the rest of the process, over a stretch."""

    loop = other = 0.0

    def __enter__(self) -> CpuSplit:
        self.tid = threading.get_native_id()
        self.start = (_ticks("/proc/self/stat"), _ticks(f"/proc/self/task/{self.tid}/stat"))
        return self

    def __exit__(self, *exc: object) -> None:
        total = _ticks("/proc/self/stat") - self.start[0]
        self.loop = _ticks(f"/proc/self/task/{self.tid}/stat") - self.start[1]
        self.other = max(total - self.loop, 0.0)


@contextlib.contextmanager
def listen_backlog(size: int = LISTEN_BACKLOG):
    """The fake's HTTP server listens with socketserver's default backlog of 5 connections. When a
    bot opens dozens of connections at once, the kernel drops the connections beyond it and the
    client retries after 1 s (TCP's initial retransmission timeout): a 1 s stall that is the
    fake's, not the bot's. Here every fake (for both bots) listens with a production-like backlog."""
    with mock.patch.object(FakeServer, "request_queue_size", size):
        yield


def listen_overflows() -> int:
    """The kernel's count of connections dropped at a full listen queue (all sockets of the machine)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split()[1:], values.split()[1:], strict=True)).get("ListenOverflows", 0))
    return 0


@contextlib.contextmanager
def production_logging(settings: Settings, logfile: Path):
    """setup_logging as the bot runs it (INFO, same format and filters), writing to a file instead of stderr."""
    root = logging.getLogger()
    noisy = ("httpx", "httpcore", "telegram", "apscheduler")
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in noisy})
    with logfile.open("a", encoding="utf-8") as handle:
        with contextlib.redirect_stderr(handle):
            setup_logging(settings)  # its handler writes to sys.stderr as it is now: the file
        try:
            yield
        finally:
            for handler in root.handlers:
                handler.flush()
            root.handlers[:] = saved[1]
            root.setLevel(saved[0])
            for name, level in saved[2].items():
                logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def without_rate_limiter():
    """build_application exactly as in production, except that ApplicationBuilder.rate_limiter() is
    a no-op: the Bot API calls are not paced to Telegram's 30 messages a second."""
    with mock.patch.object(ApplicationBuilder, "rate_limiter", lambda self, limiter: self):
        yield


@contextlib.asynccontextmanager
async def elenchus(fake: FakeTelegram, db: Path, rate_limiter: bool = False) -> AsyncIterator[Any]:
    """Our bot: build_application as in production, polling the fake (tests/support/bot_harness.running_bot)."""
    with contextlib.nullcontext() if rate_limiter else without_rate_limiter():
        async with running_bot(fake, db) as bot:
            yield bot


async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text)


async def _echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, update.callback_query.data or "")


@contextlib.asynccontextmanager
async def echo(fake: FakeTelegram) -> AsyncIterator[Application]:
    """A bare python-telegram-bot echo bot with our bot's builder settings apart from the handlers: no
    rate limiter, PerChatOrder for concurrent updates, the default connection pool; the same polling."""
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .concurrent_updates(PerChatOrder())
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo_text))
    app.add_handler(CallbackQueryHandler(_echo_press))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# ---- driving ------------------------------------------------------------------------------------


Script = Callable[[int], list[Step]]


def elenchus_script(index: int) -> list[Step]:
    return list(STEPS)


def echo_script(index: int) -> list[Step]:
    """As many text messages as the dialogue has steps; each is echoed, and recognised by its tag."""
    return [("write", f"[{index}:{n}] {ANSWERS[n % len(ANSWERS)]}", f"[{index}:{n}]") for n in range(len(STEPS))]


async def play(
    fake: FakeTelegram,
    watch: ChatWatch,
    user: User,
    script: list[Step],
    drive: Drive,
    rng: random.Random | None = None,
) -> None:
    """One participant: each input as soon as the bot's reply to the previous one is there (with a
    think time first when `drive.think` is set)."""
    chat = user.id
    last_message: int | None = None
    for step, (kind, what, expect) in enumerate(script):
        if drive.think and rng is not None:
            # Bounded think time: the first spreads the participants' starts over one think time.
            await asyncio.sleep(drive.think * (rng.random() if step == 0 else rng.uniform(0.5, 1.5)))
        mark = watch.mark(chat)
        sent = time.monotonic()
        if kind == "command":
            fake.send_command(user, what)
        elif kind == "write":
            fake.send_text(user, what)
        else:
            assert last_message is not None, "a button needs the bot's message first"
            update = fake.press(user, last_message, what)
            watch.callback_chats[update["callback_query"]["id"]] = chat
        try:
            index, answer = await watch.wait(chat, mark, expect, STEP_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"participant {user.first_name}: no bot message with {expect!r} within {STEP_TIMEOUT} s\n"
                f"{fake.summary()}"
            ) from None
        replies = watch.seen[chat][mark : index + 1]
        first = next(s for s in replies if s.time >= sent)
        drive.late += sum(s.time < sent for s in replies)
        drive.latencies.append(first.time - sent)
        drive.steps.append(step)
        drive.updates += 1
        last_message = answer.message_id


async def drive_bot(
    fake: FakeTelegram,
    participants: int,
    script: Script,
    profile: cProfile.Profile | None = None,
    think: float = 0.0,
) -> Drive:
    """All participants at once, each playing its script; the bot must already be polling the fake."""
    drive = Drive(participants, think)
    watch = ChatWatch(fake, asyncio.get_running_loop())
    users = [fake.user(f"P{n}") for n in range(participants)]
    rng = random.Random(20260601)
    rngs = [random.Random(rng.random()) for _ in users]
    before = len(fake.requests)
    overflows = listen_overflows()
    try:
        with CpuSplit() as cpu:
            if profile is not None:
                profile.enable()
            started = time.perf_counter()
            async with asyncio.timeout((STEP_TIMEOUT + 2 * think) * len(STEPS) + 60):
                await asyncio.gather(*(play(fake, watch, u, script(n), drive, rngs[n]) for n, u in enumerate(users)))
            drive.seconds = time.perf_counter() - started
            if profile is not None:
                profile.disable()
    finally:
        watch.close()
    drive.cpu_loop, drive.cpu_other = cpu.loop, cpu.other
    made = [r for r in fake.requests[before:] if r.method != "getUpdates"]
    drive.requests = len(made)
    drive.without_chat = sum("chat_id" not in r.params for r in made)
    drive.methods = dict(Counter(r.method for r in made))
    drive.violations = len(fake.violations)
    drive.overflows = listen_overflows() - overflows
    return drive


async def measure_elenchus(
    participants: int, workdir: Path, profile: cProfile.Profile | None = None, think: float = 0.0
) -> tuple[Drive, int]:
    """Our bot under load; returns the drive and how many reflections the database holds afterwards."""
    db = workdir / f"bot-{time.monotonic_ns()}.db"
    with FakeTelegram() as fake, production_logging(settings_for(fake, db), workdir / "bot.log"):
        async with elenchus(fake, db) as bot:
            with sql_counted(bot.storage.database.conn) as counts:
                drive = await drive_bot(fake, participants, elenchus_script, profile, think)
    drive.statements, drive.commits, drive.schema_queries = counts["statements"], counts["commits"], counts["schema"]
    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = conn.execute("select count(*) from reflections").fetchone()[0]
        finished = conn.execute("select count(*) from runs where status = 'finished'").fetchone()[0]
    if finished != participants:
        raise AssertionError(f"{finished} of {participants} runs finished")
    return drive, stored


async def measure_echo(participants: int, workdir: Path) -> Drive:
    with FakeTelegram() as fake, production_logging(settings_for(fake, workdir / "unused.db"), workdir / "echo.log"):
        async with echo(fake):
            return await drive_bot(fake, participants, echo_script)


async def fake_capacity(seconds: float = 2.0, concurrency: int = 32, limit: int = 20_000) -> dict[str, float]:
    """Requests per second the fake serves in this process: getMe (trivial) and a short sendMessage,
    from `concurrency` keep-alive httpx connections, for at most `seconds` or `limit` requests each."""
    rates = {}
    with FakeTelegram() as fake:
        user = fake.user("Load")
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=f"{fake.base_url}{fake.token}/", limits=limits) as client:
            for method, data in (("getMe", None), ("sendMessage", {"chat_id": str(user.id), "text": "ok"})):
                done = 0
                deadline = time.perf_counter() + seconds

                async def worker(method: str = method, data: dict | None = data, deadline: float = deadline) -> None:
                    nonlocal done
                    while done < limit and time.perf_counter() < deadline:
                        response = await client.post(method, data=data)
                        response.raise_for_status()
                        done += 1

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(concurrency)))
                rates[method] = done / (time.perf_counter() - started)
        fake.assert_no_violations()
    return rates


# ---- the benchmark ---------------------------------------------------------------------------------


async def _run(participants: int, think: float, profile_always: bool, starts_count: int = 300) -> Result:
    from . import capacity as under_cap  # it builds on this module

    result = Result("updates")
    workdir = Path(tempfile.mkdtemp(prefix="elenchus-bench-updates-"))
    try:
        with listen_backlog():
            capacity = await fake_capacity()
            ours, stored = await measure_elenchus(participants, workdir)
            theirs = await measure_echo(participants, workdir)
            paced = (await measure_elenchus(participants, workdir, think=think))[0] if think else None
            starts = await under_cap.measure_starts(starts_count, workdir) if starts_count else None
            fsyncs = await under_cap.measure_fsyncs(under_cap.FSYNC_PARTICIPANTS, workdir)
            _report(result, ours, stored, theirs, paced, capacity)
            under_cap.report(result, ours, theirs, paced, starts, starts_count, fsyncs)
            if profile_always or result.missed:
                profile = cProfile.Profile()
                try:
                    profiled, _ = await measure_elenchus(participants, workdir, profile)
                except AssertionError as exc:  # under the profiler a busy machine may miss a step's timeout
                    result.notes.append(f"the profiled run failed, no profile: {str(exc).splitlines()[0]}")
                else:
                    _report_profile(result, profile, profiled)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def _report(
    result: Result, ours: Drive, stored: int, theirs: Drive, paced: Drive | None, capacity: dict[str, float]
) -> None:
    n = ours.participants
    expected = n * ANSWERS_PER_RUN
    ratio = ours.per_second / theirs.per_second
    per_request = (ours.requests / ours.seconds) / (theirs.requests / theirs.seconds)
    violations = ours.violations + theirs.violations + (paced.violations if paced else 0)
    late = ours.late + theirs.late + (paced.late if paced else 0)
    overflows = ours.overflows + theirs.overflows + (paced.overflows if paced else 0)
    result.add("participants (all at once, no think time)", n)
    result.add("updates handled by each bot", ours.updates, f"({len(STEPS)} per participant)")
    result.add("wall time of the Elenchus run", ours.seconds, "s")
    result.add("Elenchus throughput", ours.per_second, "updates/s")
    result.add("echo bot throughput", theirs.per_second, "updates/s")
    result.add("throughput ratio Elenchus / echo bot", ratio, "", ">= 0.8", ratio >= 0.8)
    result.add(
        "Bot API requests per update, Elenchus / echo",
        f"{ours.requests_per_update:.2f} / {theirs.requests_per_update:.2f}",
    )
    result.add("Bot API requests/s ratio Elenchus / echo bot", per_request)
    result.add("latency p50 (input -> bot's first request)", ours.latency_ms(50), "ms")
    result.add("latency p95", ours.latency_ms(95), "ms")
    result.add("latency p99", ours.latency_ms(99), "ms", "< 100 ms", ours.latency_ms(99) < 100)
    result.add("echo bot latency p50 / p99", f"{theirs.latency_ms(50):,.0f} / {theirs.latency_ms(99):,.0f}", "ms")
    if paced is not None:
        result.add(
            f"paced run ({paced.think:g} s think time): updates/s",
            paced.per_second,
            "updates/s",
        )
        result.add(
            "paced run: latency p50 / p95 / p99",
            f"{paced.latency_ms(50):,.1f} / {paced.latency_ms(95):,.1f} / {paced.latency_ms(99):,.1f}",
            "ms",
        )
    result.add("answers stored (reflections)", f"{stored} of {expected}", "", "all", stored == expected)
    result.add("CPU s, Elenchus: event loop / fake threads", f"{ours.cpu_loop:.1f} / {ours.cpu_other:.1f}")
    result.add("CPU s, echo bot: event loop / fake threads", f"{theirs.cpu_loop:.1f} / {theirs.cpu_other:.1f}")
    result.add("fake server alone, getMe", capacity["getMe"], "req/s")
    result.add("fake server alone, sendMessage", capacity["sendMessage"], "req/s")
    result.add("requests Telegram would refuse (fake's check)", violations, "", "0", violations == 0)
    if late:
        result.notes.append(f"warning: {late} bot requests came after the participant's next input was sent")
    if overflows:
        result.notes.append(
            f"warning: the kernel dropped {overflows} connections at a full listen queue during the runs "
            "(each costs a 1 s retry); latency figures include them"
        )
    cycle = n / ours.per_second
    paced_per_update = max((ours.requests - ours.without_chat) / ours.updates, 0.01)
    result.notes += [
        "Rate limiter OFF for both bots: Elenchus is build_application() as in production with "
        "ApplicationBuilder.rate_limiter() made a no-op; the echo bot has none. Telegram's own cap "
        "(~30 messages/s per bot) applies to any bot equally; with the limiter on, this would measure "
        f"the limiter (at {paced_per_update:.2f} paced requests per update, 30 requests/s allow about "
        f"{30 / paced_per_update:.0f} updates/s; AIORateLimiter does not pace calls without a chat_id, "
        "i.e. answerCallbackQuery).",
        "Both bots: python-telegram-bot long polling (timeout 1 s, as tests/support/bot_harness.running_bot) a "
        "fresh fake with the same settings, concurrent updates with PerChatOrder, default connection "
        "pool (256), production logging (INFO) to a file. One process: the fake's request threads share "
        "the GIL and the 2 cores with the bot, so the fake's CPU is the bot's loss (see the CPU rows).",
        f"The fake listens with a backlog of {LISTEN_BACKLOG} instead of socketserver's 5 (else a burst of "
        "new connections waits 1 s for a SYN retry, for either bot).",
        f"Each participant: {len(STEPS)} updates (/start, consent, menu, stance, {ANSWERS_PER_RUN} written "
        "answers (reasoned, so no follow-up), role choice, stance); the echo bot gets as many text "
        "messages per participant. A participant sends its next input when the bot's last message for "
        "the previous one arrived; latency is from enqueueing an input at the fake to the first Bot API "
        "request the bot makes for it (the fake's timestamp).",
        f"Without think time the bot is saturated the whole run: each participant's turn takes "
        f"{n} / {ours.per_second:.0f} updates/s = {cycle:.1f} s on average (Little's law), so latency there is "
        "mostly queueing behind the other participants"
        + (
            f"; the paced run (think time uniform in 0.5-1.5 x {paced.think:g} s, starts spread over "
            f"{paced.think:g} s) shows the latency of a bot that keeps up."
            if paced
            else "."
        ),
        "Fake server alone: 32 keep-alive httpx connections from this process, 2 s per method.",
        f"Database: a fresh SQLite file in {tempfile.gettempdir()} (WAL, as in production).",
    ]
    result.details.update(
        elenchus=ours.as_dict(),
        echo=theirs.as_dict(),
        paced=paced.as_dict() if paced else None,
        fake_capacity=capacity,
    )


def _report_profile(result: Result, profile: cProfile.Profile, profiled: Drive) -> None:
    summary = profile_summary(profile)
    result.details["profile"] = summary | {"run_seconds": profiled.seconds}
    result.notes.append(
        f"cProfile of the event-loop thread in another Elenchus run with the same participants "
        f"({profiled.seconds:.1f} s under the profiler, {summary['total_seconds'][0]} s profiled; the fake's "
        "threads are not in it). Own time by code (C functions count for their caller):"
    )
    result.notes += ["  " + line for line in summary["by_group"]]
    result.notes.append("Top functions by own time:")
    result.notes += ["  " + line for line in summary["own_time"]]
    result.notes.append("Elenchus' own functions by cumulative time (coroutines: time running, not waiting):")
    result.notes += ["  " + line for line in summary["ours_cumulative"]]


def run(participants: int = 200, think: float = THINK, profile: bool = False, starts: int = 300) -> Result:
    started = time.perf_counter()
    result = asyncio.run(_run(participants, think, profile, starts))
    result.seconds = time.perf_counter() - started
    return result


def trace() -> None:
    """One participant, every bot request per step: to check that each step's expected text is the
    bot's last message for it."""

    async def go() -> None:
        workdir = Path(tempfile.mkdtemp(prefix="elenchus-bench-trace-"))
        try:
            with FakeTelegram() as fake:
                async with elenchus(fake, workdir / "bot.db"):
                    watch = ChatWatch(fake, asyncio.get_running_loop())
                    user = fake.user("Trace")
                    drive = Drive(1)
                    await play(fake, watch, user, list(STEPS), drive)
                    # Only here, to see whether anything trails the last expected message:
                    await asyncio.sleep(0.5)
                    for s in watch.seen[user.id]:
                        print(f"{s.method:22} {s.message_id!s:>5} {s.text[:70]!r}")
                    latencies = [round(x * 1000, 1) for x in drive.latencies]
                    print(f"late requests: {drive.late}; latencies (ms): {latencies}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    asyncio.run(go())


if __name__ == "__main__":
    trace()
