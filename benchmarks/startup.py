"""Start-up: `python -m bot play value-and-trust` until its first prompt, and `python -m bot check`
on the whole course, each as a fresh process; plus `python -X importtime` of the check and, when a
target is missed, a cProfile of it."""

from __future__ import annotations

import os
import re
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import Result, child_env, profile_summary

PROMPT = b"Type 1-5:"
PLAY_TARGET = 0.5
CHECK_TARGET = 0.2
TIMEOUT = 30.0
"""Seconds any one start may take before the benchmark gives up on it."""


def time_play(workdir: Path, run: int) -> float:
    """Seconds from starting `python -m bot play value-and-trust` (empty database, stdin a pipe)
    to the first prompt on its stdout; then stdin is closed and the process ends by itself."""
    env = child_env(ELENCHUS_DB=str(workdir / f"play-{run}.db"))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "play", "value-and-trust", "--user", "benchmark"],
        cwd=workdir,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    seen = b""
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            deadline = started + TIMEOUT
            while PROMPT not in seen:
                remaining = deadline - time.perf_counter()
                if remaining <= 0 or not selector.select(remaining):
                    raise RuntimeError(f"no prompt within {TIMEOUT} s; output so far: {seen[-300:]!r}")
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError(f"play ended before its first prompt; output: {seen[-300:]!r}")
                seen += chunk
        elapsed = time.perf_counter() - started
        process.stdin.close()  # end of input: the terminal keeps the place and exits
        process.stdout.read()
        process.wait(timeout=TIMEOUT)
        return elapsed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def time_check(workdir: Path) -> float:
    env = child_env(ELENCHUS_DB=str(workdir / "unused.db"))
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "check"], cwd=workdir, env=env, capture_output=True, timeout=TIMEOUT, check=False
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"`python -m bot check` failed:\n{completed.stderr.decode(errors='replace')}")
    return elapsed


def time_bare(workdir: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], cwd=workdir, env=child_env(), check=True, timeout=TIMEOUT)
    return time.perf_counter() - started


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_times(workdir: Path) -> list[tuple[int, int, int, str]]:
    """`python -X importtime -m bot check`: (self µs, cumulative µs, depth, module) per import."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "check"],
        cwd=workdir,
        env=child_env(ELENCHUS_DB=str(workdir / "unused.db")),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    found = []
    for line in completed.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            own, cumulative, indent, name = match.groups()
            found.append((int(own), int(cumulative), len(indent) // 2, name))
    return found


def profile_check(workdir: Path) -> dict[str, list[str]]:
    """cProfile of `python -m bot check` (imports included), in a fresh process."""
    output = workdir / "check.prof"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(output), "-m", "bot", "check"],
        cwd=workdir,
        env=child_env(ELENCHUS_DB=str(workdir / "unused.db")),
        capture_output=True,
        timeout=TIMEOUT * 4,
        check=False,
    )
    return profile_summary(str(output), top=12)


def run(runs: int = 5, profile: bool = False) -> Result:
    result = Result("startup")
    workdir = Path(tempfile.mkdtemp(prefix="elenchus-bench-startup-"))
    try:
        time_play(workdir, -1)  # warm-up: byte-compiled files and the page cache, for every later run
        time_check(workdir)
        play = [time_play(workdir, n) for n in range(runs)]
        check = [time_check(workdir) for _ in range(runs)]
        bare = statistics.median(time_bare(workdir) for _ in range(runs))
        imports = import_times(workdir)
        play_median, check_median = statistics.median(play), statistics.median(check)
        result.add(
            "play value-and-trust: start to first prompt (median)",
            play_median * 1000,
            "ms",
            f"< {PLAY_TARGET * 1000:.0f} ms",
            play_median < PLAY_TARGET,
        )
        result.add(
            "check (whole course and prompts): start to exit (median)",
            check_median * 1000,
            "ms",
            f"< {CHECK_TARGET * 1000:.0f} ms",
            check_median < CHECK_TARGET,
        )
        result.add(f"play, all {runs} runs", " / ".join(f"{t * 1000:.0f}" for t in play), "ms")
        result.add(f"check, all {runs} runs", " / ".join(f"{t * 1000:.0f}" for t in check), "ms")
        result.add("bare interpreter (python -c pass, median)", bare * 1000, "ms")
        total_imports = sum(own for own, _, _, _ in imports) / 1000
        result.add("check: all imports (-X importtime, sum of self)", total_imports, "ms")
        top = sorted(imports, key=lambda i: i[1], reverse=True)[:10]
        result.notes += [
            f"Each command as a fresh `{Path(sys.executable).name} -m bot ...` process from a temporary folder "
            f"(no .env), after one warm-up run; median of {runs}. play: an empty ELENCHUS_DB, stdin a pipe, "
            "timed until 'Type 1-5:' is on its stdout; then stdin is closed and it exits by itself.",
            "python -X importtime -m bot check, top 10 by cumulative time (depth 0 = imported by the program itself):",
        ]
        result.notes += [
            f"  {cumulative / 1000:7.1f} ms cum {own / 1000:7.1f} ms self  depth {depth}  {name}"
            for own, cumulative, depth, name in top
        ]
        by_self = sorted(imports, key=lambda i: i[0], reverse=True)[:10]
        result.notes.append("... and top 10 by own (self) time:")
        result.notes += [
            f"  {own / 1000:7.1f} ms self {cumulative / 1000:7.1f} ms cum  depth {depth}  {name}"
            for own, cumulative, depth, name in by_self
        ]
        result.details.update(
            play_seconds=play,
            check_seconds=check,
            bare_seconds=bare,
            importtime_top_cumulative=[
                {"module": n, "cumulative_ms": c / 1000, "self_ms": o / 1000, "depth": d} for o, c, d, n in top
            ],
        )
        if profile or result.missed:
            summary = profile_check(workdir)
            result.details["profile_check"] = summary
            result.notes.append(
                f"cProfile of `python -m bot check` ({summary['total_seconds'][0]} s profiled, imports included; "
                "the profiler slows it). Own time by code:"
            )
            result.notes += ["  " + line for line in summary["by_group"] if " 0.0%" not in line]
            result.notes.append("Top functions by own time:")
            result.notes += ["  " + line for line in summary["own_time"]]
            result.notes.append("Elenchus' functions by cumulative time:")
            result.notes += ["  " + line for line in summary["ours_cumulative"][:10]]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result
