"""Resident memory of a bot process: the Application as production builds it, and the Service with
10,000 participants each in the middle of a dialogue (made through the Service, no HTTP), measured
in a fresh process so that nothing else this benchmark run did counts. And the cohort overview's
peak Python allocations (tracemalloc) at 10,000 and 100,000 answers: flat, since it is computed
from SQL aggregates (issue 15).

`python -m benchmarks.memory --child N DB` is that process; it prints its measurements as JSON.
`python -m benchmarks.memory --overview DB` measures one overview the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import ROOT, Result, child_env, rss_mb

TARGET_MB = 150.0
"""Megabytes (10^6 bytes), as the target is stated; VmRSS is in KiB."""
BATCH = 500
"""Participants made per transaction (one commit each; the Service's own transactions join it)."""
ANSWER = (
    "It is taken seriously when an employer counts it, because a transparent assessment shows what was "
    "learned, for example a project with real data."
)


def child(participants: int, db: Path) -> dict[str, Any]:
    measured: dict[str, Any] = {"rss_interpreter_mb": rss_mb()}
    from bot.app.services import Services
    from bot.config import Settings
    from bot.content.loader import load_course
    from bot.content.prompts import load_prompts
    from bot.engine import StanceInput, TextInput
    from bot.storage import Storage
    from bot.telegram.app import build_application
    from bot.telegram.participant import CONSENT_VERSION
    from bot.telegram.plumbing import PLATFORM

    settings = Settings(db=db, token="123456:TEST-token", content=ROOT / "content", prompts=ROOT / "prompts")
    storage = Storage(settings.db)
    services = Services(load_course(settings.content), storage)
    service = services.dialogues
    application = build_application(settings, services, load_prompts(settings.prompts))
    handlers = application.bot_data["shell"]
    dialogue = service.dialogue("value-and-trust")
    assert dialogue is not None
    gc.collect()
    measured["rss_before_mb"] = rss_mb()

    started = time.perf_counter()
    for first in range(0, participants, BATCH):
        with storage.transaction():
            for n in range(first, min(first + BATCH, participants)):
                user = 10_000_000 + n
                chat = str(user)
                pid = storage.participants.get_or_create(PLATFORM, str(user), name=f"P{n}").id
                storage.participants.record_consent(pid, f"{CONSENT_VERSION}-en", True)
                handlers.flood.check(user, time.monotonic())  # what each update of theirs leaves in memory
                service.start(pid, dialogue, locale="en", chat=chat)
                service.send(pid, service.current(pid, chat=chat), StanceInput(3))
                service.send(pid, service.current(pid, chat=chat), TextInput(ANSWER))
    measured["create_seconds"] = time.perf_counter() - started
    gc.collect()
    measured["rss_after_mb"] = rss_mb()
    measured["participants"] = storage.db["participants"].count
    measured["active_runs"] = storage.db["runs"].count_where("status = 'active'")
    measured["reflections"] = storage.db["reflections"].count
    measured["flood_tracked"] = len(handlers.flood._buckets)
    measured["unkept_states"] = len(service._unkept)
    storage.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    measured["db_mb"] = db.stat().st_size / 2**20
    storage.close()
    del application
    return measured


OVERVIEW_SIZES = (10_000, 100_000)
OVERVIEW_FLAT = 0.10
"""The overview's peak counts as flat when the largest cohort's is within 10% (or 1 MiB) of the smallest's."""


def overview_child(db: Path) -> dict[str, Any]:
    """In a fresh process: the benchmark cohort's overview (exporting.cohort_report, as /cohort and
    `elenchus report` make it) under tracemalloc; its peak of Python allocations."""
    import tracemalloc

    from bot.app import exporting
    from bot.content.loader import load_course
    from bot.storage import Storage

    from .export_data import COHORT

    course = load_course(ROOT / "content")
    storage = Storage(db)
    try:
        cohort = storage.cohorts.by_name(COHORT)
        exporting.cohort_report(storage, course, cohort, actor="benchmark")  # warm: imports, fonts
        gc.collect()
        tracemalloc.start()
        started = time.perf_counter()
        report = exporting.cohort_report(storage, course, cohort, actor="benchmark")
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        answers = sum(d.answers for d in report.overview.dialogues)
        return {"peak_mib": peak, "seconds": seconds, "answers": answers, "rss_peak_mb": rss_mb()}
    finally:
        storage.close()


def overview_memory(result: Result, workdir: Path) -> None:
    from bot.content.loader import load_course

    from .export_data import build_db

    course = load_course(ROOT / "content")
    measured = {}
    for size in OVERVIEW_SIZES:
        db = workdir / f"overview-{size}.db"
        build_db(db, size, min(1000, size), course)
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", "--overview", str(db)],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"the overview child failed:\n{completed.stderr}")
        measured[size] = json.loads(completed.stdout.strip().splitlines()[-1])
    small, large = (measured[s]["peak_mib"] for s in OVERVIEW_SIZES)
    result.add(
        "cohort overview: peak Python allocations at 10k / 100k answers",
        f"{small:.2f} / {large:.2f}",
        "MiB",
        f"flat (<= {OVERVIEW_FLAT:.0%} or 1 MiB more)",
        large - small <= max(OVERVIEW_FLAT * small, 1.0),
    )
    result.add(
        "cohort overview: time at 10k / 100k answers",
        " / ".join(f"{measured[s]['seconds']:.2f}" for s in OVERVIEW_SIZES),
        "s",
    )
    result.notes.append(
        "Cohort overview: exporting.cohort_report (as /cohort and `elenchus report` make it: overview, text, "
        "Markdown, chart) on the export benchmark's database (1,000 participants in one cohort, runs of all "
        "dialogues) at 10,000 and 100,000 answers, each in a fresh process after one warm-up call; "
        "tracemalloc's peak of Python allocations during the second call."
    )
    result.details["overview"] = measured


def run(participants: int = 10_000) -> Result:
    result = Result("memory")
    workdir = Path(tempfile.mkdtemp(prefix="elenchus-bench-memory-"))
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", "--child", str(participants), str(workdir / "memory.db")],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"the memory child failed:\n{completed.stderr}")
        m = json.loads(completed.stdout.strip().splitlines()[-1])
        overview_memory(result, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    per = (m["rss_after_mb"] - m["rss_before_mb"]) * 1024 / max(participants, 1)
    result.add("RSS of the interpreter (before importing the bot)", m["rss_interpreter_mb"], "MiB")
    result.add("RSS with the Application built, before participants", m["rss_before_mb"], "MiB")
    result.add(
        f"RSS with {participants:,} participants mid-dialogue",
        m["rss_after_mb"],
        "MiB",
        f"< {TARGET_MB:.0f} MB ({TARGET_MB * 1e6 / 2**20:.0f} MiB)",
        m["rss_after_mb"] * 2**20 < TARGET_MB * 1e6,
    )
    result.add("RSS growth per participant", per, "KiB")
    result.add(
        "participants / active runs / reflections stored",
        f"{m['participants']:,} / {m['active_runs']:,} / {m['reflections']:,}",
        "",
        "all",
        m["participants"] == m["active_runs"] == m["reflections"] == participants,
    )
    result.add("time to make them (Service, no HTTP)", m["create_seconds"], "s")
    result.notes += [
        "A fresh process: settings with a token (no network), Storage on a temporary SQLite file, the "
        "Service, build_application() as in production (rate limiter, handlers); RSS from "
        "/proc/self/status VmRSS after gc.collect().",
        f"Each participant: created, consent given, 'value-and-trust' started, the stance rated and the "
        f"first question answered, through the Service ({BATCH} participants per transaction), and one "
        "entry in the flood guard as a Telegram update of theirs would leave. In memory afterwards: "
        f"{m['flood_tracked']:,} flood-guard entries, {m['unkept_states']} run states without consent; "
        f"the database file is {m['db_mb']:.1f} MiB.",
    ]
    result.details.update(m)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("--child", nargs=2, metavar=("PARTICIPANTS", "DB"))
    parser.add_argument("--overview", type=Path, metavar="DB")
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr):
        measured = overview_child(args.overview) if args.overview else child(int(args.child[0]), Path(args.child[1]))
    print(json.dumps(measured))
