"""Exports: a cohort of 1,000 participants with 100,000 reflections, exported to CSV and JSON by
bot/app/exporting.py, next to the sqlite3 command-line tool writing the same rows as CSV (targets:
CSV within 1.5x, JSON within 1.0x); the same export of one dialogue; the CSV export's peak memory
at two sizes, each in a fresh process; and participants' p99 while the bot makes such an export
(benchmarks/stall.py, target within 1.5x of their p99 without).

`python -m benchmarks.export --child DB OUT` is the child that exports once and reports its memory.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import functools
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

from bot.app import exporting
from bot.content.loader import load_course
from bot.content.prompts import Prompts, load_prompts
from bot.engine import Course
from bot.engine.step import localize
from bot.storage import Storage

from . import stall
from .common import ROOT, Result, child_env, peak_rss_mb, profile_summary, rss_mb
from .export_data import COHORT, build_db

CONTENT = ROOT / "content"
PROMPTS = ROOT / "prompts"
SQLITE3 = shutil.which("sqlite3") or "/usr/bin/sqlite3"
REPEATS = 3
"""Each timed export with the index runs this many times (after one warm-up); the median counts."""
TARGET_RATIO = 1.5
TARGET_JSON = 1.0
FLAT = 0.10
"""Peak memory counts as flat when the largest export's peak RSS is within 10% of the smallest's."""

# ---- exporting ----------------------------------------------------------------------------------


def cli_sql(course: Course, cohort_id: int) -> str:
    """The CSV's columns in SQL, over the rows of ExportQueries.answers (same joins, the same
    stance subqueries): titles from the course, the formula guard on question and answer, the word
    count approximated by counting spaces."""

    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    titles = " ".join(f"when {quoted(d.id)} then {quoted(localize(d.title, 'en'))}" for d in course.dialogues)

    def guarded(column: str) -> str:
        return (
            f"case when substr({column}, 1, 1) in ('=', '+', '-', '@', char(9), char(13), char(10)) "
            f"then '''' || {column} else {column} end"
        )

    return f"""select
        case when p.name is null then 'P' || r.participant_id
             else p.name || ' (P' || r.participant_id || ')' end as participant,
        c.name as cohort, r.dialogue_id as dialogue,
        case r.dialogue_id {titles} else r.dialogue_id end as dialogue_title,
        r.dialogue_version, {guarded("r.question")} as question, {guarded("r.answer")} as answer, r.move,
        case when r.probe then 'yes' else 'no' end as follow_up,
        length(trim(r.answer)) - length(replace(trim(r.answer), ' ', '')) + 1 as word_count,
        (select value from stances s where s.run_id = r.run_id and s.phase = 'before'
         order by s.id desc limit 1) as stance_before,
        (select value from stances s where s.run_id = r.run_id and s.phase = 'after'
         order by s.id desc limit 1) as stance_after,
        r.group_session_id as group_session, r.created, r.edited
    from reflections r join participants p on p.id = r.participant_id
    left join cohorts c on c.id = r.cohort_id
    where r.cohort_id in ({int(cohort_id)}) order by r.id"""


def export_once(
    db: Path,
    fmt: str,
    out: Path,
    course: Course,
    profile: cProfile.Profile | None = None,
    dialogue_id: str | None = None,
) -> tuple[float, float, int]:
    """exporting.export of the benchmark cohort to a file, as `elenchus export` calls it;
    (wall seconds, CPU seconds of this process, records)."""
    prompts = _prompts()
    storage = Storage(db)
    try:
        cohort = storage.cohorts.by_name(COHORT)
        scope = exporting.Scope((cohort.id,), dialogue_id=dialogue_id)
        with out.open("wb") as handle:
            if profile is not None:
                profile.enable()
            started, cpu = time.perf_counter(), time.process_time()
            count = exporting.export(
                storage, course, scope, fmt, handle, actor="benchmark", t=partial(prompts.t, locale="en")
            )
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            if profile is not None:
                profile.disable()
        return seconds, cpu, count
    finally:
        storage.close()


@functools.cache
def _prompts() -> Prompts:
    return load_prompts(PROMPTS)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_once(db: Path, sql: str, out: Path) -> tuple[float, float]:
    """The sqlite3 command-line tool writing the rows as CSV to a file; (wall seconds with its start,
    its CPU seconds)."""
    with out.open("wb") as handle:
        started, cpu = time.perf_counter(), _children_cpu()
        subprocess.run([SQLITE3, "-csv", "-header", str(db), sql], stdout=handle, check=True, timeout=1200)
        return time.perf_counter() - started, _children_cpu() - cpu


def csv_records(path: Path, encoding: str = "utf-8") -> int:
    with path.open(encoding=encoding, newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def child(db: Path, out: Path, traced: bool) -> dict[str, Any]:
    """In a fresh process: RSS after the imports and the course, the CSV export, its peak RSS; with
    `traced`, the export once more under tracemalloc for the peak of Python's own allocations."""
    course = load_course(CONTENT)
    _prompts()
    before = rss_mb()
    seconds, _, count = export_once(db, "csv", out, course)
    measured = {"records": count, "seconds": seconds, "rss_before_mb": before, "peak_rss_mb": peak_rss_mb()}
    if traced:
        tracemalloc.start()
        export_once(db, "csv", out, course)
        measured["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return measured


def in_child(db: Path, out: Path, traced: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.export", "--child", str(db), str(out)]
    completed = subprocess.run(
        command + (["--traced"] if traced else []),
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the export child failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---- the benchmark ---------------------------------------------------------------------------------


def run(
    rows: int = 100_000,
    participants: int = 1000,
    memory_rows: list[int] | None = None,
    profile: bool = False,
    stall_participants: int = stall.PARTICIPANTS,
    stall_think: float = stall.THINK,
) -> Result:
    result = Result("export")
    sizes = sorted(set(memory_rows or [rows // 10]) | {rows})
    workdir = Path(tempfile.mkdtemp(prefix="elenchus-bench-export-"))
    try:
        course = load_course(CONTENT)
        build_started = time.perf_counter()
        dbs = {size: workdir / f"export-{size}.db" for size in sizes}
        cohorts = {size: build_db(db, size, min(participants, size), course) for size, db in dbs.items()}
        build_seconds = time.perf_counter() - build_started
        db, sql = dbs[rows], cli_sql(course, cohorts[rows])

        cli_once(db, sql, workdir / "warm.csv")
        export_once(db, "csv", workdir / "warm-out.csv", course)
        times: dict[str, list[tuple[float, float]]] = {"csv": [], "json": [], "sqlite3": []}
        counts: dict[str, int] = {}
        for _ in range(REPEATS):  # interleaved, so a busy moment of the machine hits all three
            for fmt in ("csv", "json"):
                seconds, cpu, counts[fmt] = export_once(db, fmt, workdir / f"out.{fmt}", course)
                times[fmt].append((seconds, cpu))
            times["sqlite3"].append(cli_once(db, sql, workdir / "cli.csv"))
        wall = {k: statistics.median(t for t, _ in v) for k, v in times.items()}
        cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
        one = course.dialogues[0].id
        filtered = export_once(db, "csv", workdir / "one.csv", course, dialogue_id=one)
        memory = {size: in_child(path, workdir / f"memory-{size}.csv", traced=True) for size, path in dbs.items()}
        records = {
            "CSV": csv_records(workdir / "out.csv", "utf-8-sig"),
            "JSON": len(json.loads((workdir / "out.json").read_text(encoding="utf-8"))["reflections"]),
            "sqlite3": csv_records(workdir / "cli.csv"),
        }
        sizes_mib = {
            name: (workdir / file).stat().st_size / 2**20
            for name, file in (("csv", "out.csv"), ("json", "out.json"), ("sqlite3", "cli.csv"))
        }
        stalls = stall.measure(db, workdir, stall_participants, stall_think) if stall_participants else None
        _report(result, rows, sizes, wall, cpu, filtered, memory, records, stalls)
        result.notes += [
            f"Database: {rows:,} reflections from {min(participants, rows):,} participants in one cohort, in runs "
            f"of all {len(course.dialogues)} dialogues (about 15% follow-up answers, 3% edited, 1% starting like "
            f"a formula, some non-ASCII), built with sqlite-utils inserts in a few transactions "
            f"({build_seconds:.1f} s for all sizes); {db.stat().st_size / 2**20:.0f} MiB in {tempfile.gettempdir()}. "
            f"Output files: CSV {sizes_mib['csv']:.1f} MiB, JSON {sizes_mib['json']:.1f} MiB, sqlite3 "
            f"{sizes_mib['sqlite3']:.1f} MiB.",
            f'sqlite3: `{SQLITE3} -csv -header DB "select ..."` with the CSV\'s 15 columns over the same joins '
            "and stance subqueries (titles by CASE, the formula guard on question and answer by its first "
            "character, word count by counting spaces), process start included. exporting.export is timed as "
            "`elenchus export` calls it (its own read-only connection, audit record included), writing a file. "
            f"Medians of {REPEATS} interleaved runs after a warm-up; the CPU ratio (this process's CPU time "
            "against the sqlite3 child's) is the steadier figure on a shared machine.",
            f"One dialogue: the same CSV export filtered to `{one}` (the index on cohort and dialogue).",
            "Memory: each size exported in a fresh `python -m benchmarks.export --child` process; peak RSS is "
            "its VmHWM after the export; tracemalloc measures a second export in the same process (Python "
            "allocations only).",
        ]
        if stalls is not None:
            result.notes.append(_stall_note(stalls))
        result.details.update(
            times=times,
            median_wall=wall,
            median_cpu=cpu,
            one_dialogue=filtered,
            memory_children=memory,
            records=records,
            file_sizes_mib=sizes_mib,
            build_seconds=build_seconds,
            stalls=stalls,
        )
        if profile or result.missed:
            _profile(result, db, course, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def _report(
    result: Result,
    rows: int,
    sizes: list[int],
    wall: dict[str, float],
    cpu: dict[str, float],
    filtered: tuple[float, float, int],
    memory: dict[int, dict[str, Any]],
    records: dict[str, int],
    stalls: dict[str, Any] | None,
) -> None:
    def k(size: int) -> str:
        return f"{size / 1000:g}k"

    complete = all(count == rows for count in records.values())
    result.add(
        "records: CSV / JSON / sqlite3", " / ".join(f"{v:,}" for v in records.values()), "", f"all {rows:,}", complete
    )
    result.add(
        "CSV export / JSON export / sqlite3 -csv",
        f"{wall['csv']:.2f} / {wall['json']:.2f} / {wall['sqlite3']:.2f}",
        "s",
    )
    for fmt, target in (("csv", TARGET_RATIO), ("json", TARGET_JSON)):
        ratio = wall[fmt] / wall["sqlite3"]
        result.add(f"{fmt.upper()} export / sqlite3 -csv (wall)", ratio, "x", f"<= {target}x", ratio <= target)
        result.add(f"{fmt.upper()} export / sqlite3 -csv (CPU)", cpu[fmt] / cpu["sqlite3"], "x")
    result.add("CSV export rate", rows / wall["csv"], "rows/s")
    result.add(
        "CSV export of one dialogue: time / rows, share of the whole cohort's",
        f"{filtered[0] / wall['csv']:.0%} / {filtered[2] / rows:.0%}",
    )
    peaks = [memory[s]["peak_rss_mb"] for s in sizes]
    growth = peaks[-1] - peaks[0]
    shown = " / ".join(k(s) for s in sizes)
    result.add(f"CSV export peak RSS at {shown} rows", " / ".join(f"{p:.1f}" for p in peaks), "MiB")
    result.add(
        f"peak RSS growth {k(sizes[0])} -> {k(sizes[-1])} rows",
        growth,
        "MiB",
        f"flat (<= {FLAT:.0%})",
        growth <= FLAT * peaks[0],
    )
    result.add(
        "Python's peak allocations during the export",
        " / ".join(f"{memory[s]['traced_peak_mb']:.2f}" for s in sizes),
        "MiB",
    )
    if stalls is None:
        return
    quiet, _, making, sending = stalls["p99_ms"]
    ratio = making / quiet
    result.add("participants' p99 without exports / while a 100k export is made", f"{quiet:,.0f} / {making:,.0f}", "ms")
    result.add("p99 while the export is made / without", ratio, "x", f"<= {stall.TARGET}x", ratio <= stall.TARGET)
    result.add("p99 while the finished file is uploaded (context)", sending, "ms")


def _stall_note(stalls: dict[str, Any]) -> str:
    n_quiet, n_busy, n_making, n_sending = stalls["inputs"]
    p50 = stalls["p50_ms"]
    making = stalls["making_seconds"]
    sending = stalls["sending_seconds"]
    return (
        f"p99 during an export: the bot in its own process (`python -m bot run`, rate limiter on), "
        f"{stalls['participants']} participants playing the first nine steps of value-and-trust at human pace "
        f"(think time 0.5-1.5 x {stalls['think_seconds']:g} s), once without exports ({n_quiet} inputs) and "
        f"once while a facilitator exports the 100k cohort as CSV back to back ({stalls['exports']} exports, "
        f"{n_busy} inputs: {n_making} while an export was being made, {n_sending} while its "
        f"{stalls['export_mib']:.0f} MiB file was uploaded). Making an export took "
        f"{statistics.median(making):.1f} s (median), the upload {statistics.median(sending):.1f} s. "
        f"p50 without / making / uploading: {p50[0]:.0f} / {p50[2]:.0f} / {p50[3]:.0f} ms. The upload is "
        "python-telegram-bot sending one multipart body on the event loop (asyncio copies what the socket "
        "does not take at once); Telegram itself refuses uploads over 50 MB from bots."
    )


def _profile(result: Result, db: Path, course: Course, workdir: Path) -> None:
    for fmt in ("csv", "json"):
        profiler = cProfile.Profile()
        seconds, _, _ = export_once(db, fmt, workdir / f"profiled.{fmt}", course, profiler)
        summary = profile_summary(profiler, top=12)
        result.details[f"profile_{fmt}"] = summary
        result.notes.append(
            f"cProfile of one {fmt.upper()} export ({seconds:.1f} s under the profiler, "
            f"{summary['total_seconds'][0]} s profiled). Own time by code (C functions count for their caller; "
            "SQLite building the rows counts for the cursor's fetchmany):"
        )
        result.notes += ["  " + line for line in summary["by_group"] if " 0.0%" not in line]
        result.notes.append("Top functions by own time:")
        result.notes += ["  " + line for line in summary["own_time"]]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export")
    parser.add_argument("--child", nargs=2, type=Path, metavar=("DB", "OUT"), required=True)
    parser.add_argument("--traced", action="store_true")
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr):
        measured = child(*args.child, traced=args.traced)
    print(json.dumps(measured))
