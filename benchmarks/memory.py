"""Resident memory of a bot process: the Application as production builds it, and the Service with
10,000 participants each in the middle of a dialogue (made through the Service, no HTTP), measured
in a fresh process so that nothing else this benchmark run did counts.

`python -m benchmarks.memory --child N DB` is that process; it prints its measurements as JSON.
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
    parser.add_argument("--child", nargs=2, metavar=("PARTICIPANTS", "DB"), required=True)
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr):
        measured = child(int(args.child[0]), Path(args.child[1]))
    print(json.dumps(measured))
