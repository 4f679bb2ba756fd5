"""Exports: a cohort of 1,000 participants with 100,000 reflections, exported to CSV and JSON by
bot/app/exporting.py, next to the sqlite3 command-line tool writing the same rows as CSV; and the
CSV export's peak memory at three sizes, each in a fresh process.

`python -m benchmarks.export --child DB OUT` is the child that exports once and reports its memory.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import functools
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bot.app import exporting
from bot.content.loader import load_course
from bot.content.prompts import Prompts, load_prompts
from bot.engine import Course
from bot.engine.listening import word_count
from bot.engine.step import localize
from bot.storage import Storage

from .common import ROOT, Result, child_env, peak_rss_mb, profile_summary, rss_mb

CONTENT = ROOT / "content"
PROMPTS = ROOT / "prompts"
SQLITE3 = shutil.which("sqlite3") or "/usr/bin/sqlite3"
REPEATS = 3
"""Each timed export with the index runs this many times (after one warm-up); the median counts."""
TARGET_RATIO = 1.5
FLAT = 0.10
"""Peak memory counts as flat when the largest export's peak RSS is within 10% of the smallest's."""
SLOW = 30.0
"""Seconds: when the sqlite3 query as shipped takes longer, the JSON export as shipped is not run too."""
INDEX = "idx_stances_run_id_phase"
COHORT = "MC-bench"

WORDS = (  # noqa: SIM905  (a paragraph of words reads better than a list literal)
    "the issuer employer assessment evidence credential certificate degree skills learning outcome "
    "workload quality trust value because since however although therefore example project portfolio "
    "university course short transparent recognised employer's hiring manager would should could "
    "lab data analysis shows what learned weeks years time full part study work colleague seriously "
    "standards describe feedback reputation accreditation stackable unbundling vocational human capital"
).split()
SPICE = ("Ärzte prüfen Qualität", "naïve café", "— a dash", "🎓", "“quoted”", "€ 300")
FORMULA_STARTS = ("=SUM(A1:A3)", "-1 point", "+ more", "@mention")


# ---- building the database ---------------------------------------------------------------------


def _answer(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(15, 90))]
    for _ in range(rng.randint(0, 4)):
        words[rng.randrange(len(words))] += ","
    if rng.random() < 0.05:
        words.insert(rng.randrange(len(words)), rng.choice(SPICE))
    if rng.random() < 0.02:
        words.insert(rng.randrange(len(words)), '"like this"')
    text = " ".join(words).capitalize() + "."
    if rng.random() < 0.03:
        text = text.replace(", ", ".\n", 1)
    if rng.random() < 0.01:
        text = rng.choice(FORMULA_STARTS) + " " + text
    return text


def _stamp(base: datetime, seconds: int) -> str:
    return (base + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_db(path: Path, rows: int, participants: int, course: Course, seed: int = 2026) -> int:
    """A database with one cohort of `participants`, each with dialogue runs (answers and stances)
    until the cohort has `rows` reflections; a few transactions. Returns the cohort's id."""
    rng = random.Random(seed)
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    storage = Storage(path)
    try:
        db = storage.db
        cohort_id = storage.cohorts.create(COHORT, "benchmark").id
        names = ("Anna", "Ben", "Chloé", "Dmitri", "Eva", "Farah", "Götz", "Hana", "Ivan", "Jo")
        with db.atomic():
            db["participants"].insert_all(
                (
                    {
                        "id": n + 1,
                        "platform": "telegram",
                        "external_id": str(10_000 + n),
                        "name": names[n % len(names)] if n % 7 else None,
                        "locale": "en" if n % 3 else "de",
                        "created": _stamp(base, n),
                        "cohort_id": cohort_id,
                    }
                    for n in range(participants)
                ),
                batch_size=1000,
            )
            db["memberships"].insert_all(
                (
                    {"cohort_id": cohort_id, "participant_id": n + 1, "since": _stamp(base, n)}
                    for n in range(participants)
                ),
                batch_size=1000,
            )
            db["consents"].insert_all(
                (
                    {"participant_id": n + 1, "version": "2-en", "given": 1, "at": _stamp(base, n)}
                    for n in range(participants)
                ),
                batch_size=1000,
            )
        runs: list[dict[str, Any]] = []
        stances: list[dict[str, Any]] = []
        reflections: list[dict[str, Any]] = []
        quota = [rows // participants + (1 if n < rows % participants else 0) for n in range(participants)]
        dialogues = course.dialogues
        clock = participants
        for n in range(participants):
            pid = n + 1
            given = 0
            visit = 0
            while given < quota[n]:
                truncated = False
                dialogue = dialogues[visit % len(dialogues)]
                visit += 1
                run_id = len(runs) + 1
                started = clock = clock + rng.randint(30, 600)
                answers = []
                for node in dialogue.asks:
                    for probe in (False, True):
                        if probe and (node.probe is None or rng.random() > 0.15):
                            continue
                        if given >= quota[n]:
                            truncated = True
                            break
                        clock += rng.randint(20, 300)
                        question = localize(node.probe if probe else node.variants[0], "en")
                        answer = _answer(rng)
                        edited = rng.random() < 0.03
                        reflections.append(
                            {
                                "id": len(reflections) + 1,
                                "run_id": run_id,
                                "participant_id": pid,
                                "dialogue_id": dialogue.id,
                                "dialogue_version": dialogue.version,
                                "node_id": node.id,
                                "question": question,
                                "answer": answer,
                                "word_count": word_count(answer),
                                "move": node.move,
                                "probe": int(probe),
                                "created": _stamp(base, clock),
                                "edited": _stamp(base, clock + 60) if edited else None,
                                "history": json.dumps([{"answer": "first try", "until": _stamp(base, clock + 60)}])
                                if edited
                                else None,
                                "chat": str(10_000 + n),
                                "message_id": len(reflections) + 1,
                                "cohort_id": cohort_id,
                                "group_session_id": None,
                            }
                        )
                        answers.append([question, answer, probe])
                        given += 1
                finished = not truncated
                claim = localize(dialogue.claim, "en")
                for phase in ("before", "after") if finished else ("before",):
                    stances.append(
                        {
                            "run_id": run_id,
                            "participant_id": pid,
                            "dialogue_id": dialogue.id,
                            "node_id": phase,
                            "phase": phase,
                            "claim": claim,
                            "value": rng.randint(1, 5),
                            "created": _stamp(base, started if phase == "before" else clock),
                            "cohort_id": cohort_id,
                        }
                    )
                state = {
                    "dialogue": dialogue.id,
                    "version": dialogue.version,
                    "node": "end" if finished else dialogue.asks[-1].id,
                    "locale": "en",
                    "visit": 1 + (visit - 1) // len(dialogues),
                    "vars": {},
                    "answers": answers,
                    "stances": {},
                    "steps": len(answers) + 2,
                    "probing": False,
                    "finished": finished,
                }
                runs.append(
                    {
                        "id": run_id,
                        "participant_id": pid,
                        "dialogue_id": dialogue.id,
                        "dialogue_version": dialogue.version,
                        "chat": str(10_000 + n),
                        "visit": state["visit"],
                        "state": json.dumps(state, ensure_ascii=False),
                        "status": "finished" if finished else "active",
                        "started": _stamp(base, started),
                        "updated": _stamp(base, clock),
                        "finished": _stamp(base, clock) if finished else None,
                        "cohort_id": cohort_id,
                    }
                )
        with db.atomic():
            db["runs"].insert_all(runs, batch_size=1000)
            db["stances"].insert_all(stances, batch_size=1000)
            db["reflections"].insert_all(reflections, batch_size=1000)
        return cohort_id
    finally:
        storage.close()


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
    db: Path, fmt: str, out: Path, course: Course, profile: cProfile.Profile | None = None
) -> tuple[float, int]:
    """exporting.export of the benchmark cohort to a file, as `elenchus export` calls it; (seconds, records)."""
    prompts = _prompts()
    storage = Storage(db)
    try:
        cohort = storage.cohorts.by_name(COHORT)
        scope = exporting.Scope((cohort.id,))
        with out.open("wb") as handle:
            if profile is not None:
                profile.enable()
            started = time.perf_counter()
            count = exporting.export(
                storage, course, scope, fmt, handle, actor="benchmark", t=partial(prompts.t, locale="en")
            )
            seconds = time.perf_counter() - started
            if profile is not None:
                profile.disable()
        return seconds, count
    finally:
        storage.close()


@functools.cache
def _prompts() -> Prompts:
    return load_prompts(PROMPTS)


def cli_once(db: Path, sql: str, out: Path) -> float:
    """The sqlite3 command-line tool writing the rows as CSV to a file; seconds, its start included."""
    with out.open("wb") as handle:
        started = time.perf_counter()
        subprocess.run([SQLITE3, "-csv", "-header", str(db), sql], stdout=handle, check=True, timeout=1200)
        return time.perf_counter() - started


def query_only(db: Path) -> float:
    """Iterating ExportQueries.answers (the export's query, typed rows), nothing else."""
    storage = Storage(db)
    try:
        cohort = storage.cohorts.by_name(COHORT)
        started = time.perf_counter()
        for _ in storage.exports.answers([cohort.id]):
            pass
        return time.perf_counter() - started
    finally:
        storage.close()


def add_index(db: Path) -> None:
    """The fix proposed for the stance subqueries: an index on stances(run_id, phase)."""
    storage = Storage(db)
    try:
        storage.db["stances"].create_index(["run_id", "phase"], index_name=INDEX, if_not_exists=True)
    finally:
        storage.close()


def csv_records(path: Path, encoding: str = "utf-8") -> int:
    with path.open(encoding=encoding, newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def child(db: Path, out: Path, traced: bool) -> dict[str, Any]:
    """In a fresh process: RSS after the imports and the course, the CSV export, its peak RSS; with
    `traced`, the export once more under tracemalloc for the peak of Python's own allocations."""
    course = load_course(CONTENT)
    _prompts()
    before = rss_mb()
    seconds, count = export_once(db, "csv", out, course)
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
    rows: int = 100_000, participants: int = 1000, memory_rows: list[int] | None = None, profile: bool = False
) -> Result:
    result = Result("export")
    sizes = sorted(set(memory_rows or [rows // 4, rows // 2]) | {rows})
    workdir = Path(tempfile.mkdtemp(prefix="elenchus-bench-export-"))
    try:
        course = load_course(CONTENT)
        build_started = time.perf_counter()
        dbs = {size: workdir / f"export-{size}.db" for size in sizes}
        cohorts = {size: build_db(db, size, min(participants, size), course) for size, db in dbs.items()}
        build_seconds = time.perf_counter() - build_started
        db, sql = dbs[rows], cli_sql(course, cohorts[rows])

        # 1. As shipped: the schema Storage makes. Each CSV export in a fresh process (its peak RSS too).
        shipped = {size: in_child(path, workdir / f"shipped-{size}.csv", traced=False) for size, path in dbs.items()}
        shipped_cli = cli_once(db, sql, workdir / "shipped-cli.csv")
        shipped_json = None
        if shipped_cli <= SLOW:
            shipped_json = export_once(db, "json", workdir / "shipped.json", course)[0]

        # 2. With the index the stance subqueries need (the proposed migration), medians of REPEATS.
        for path in dbs.values():
            add_index(path)
        cli_once(db, sql, workdir / "warm.csv")
        times: dict[str, list[float]] = {"csv": [], "json": [], "sqlite3": []}
        counts: dict[str, int] = {}
        for _ in range(REPEATS):
            for fmt in ("csv", "json"):
                seconds, counts[fmt] = export_once(db, fmt, workdir / f"out.{fmt}", course)
                times[fmt].append(seconds)
            times["sqlite3"].append(cli_once(db, sql, workdir / "cli.csv"))
        median = {k: statistics.median(v) for k, v in times.items()}
        query = query_only(db)
        indexed = {size: in_child(path, workdir / f"indexed-{size}.csv", traced=True) for size, path in dbs.items()}

        records = {
            "CSV": csv_records(workdir / "out.csv", "utf-8-sig"),
            "JSON": len(json.loads((workdir / "out.json").read_text(encoding="utf-8"))["reflections"]),
            "sqlite3": csv_records(workdir / "cli.csv"),
            "CSV as shipped": csv_records(workdir / f"shipped-{rows}.csv", "utf-8-sig"),
            "sqlite3 as shipped": csv_records(workdir / "shipped-cli.csv"),
        }
        sizes_mib = {
            name: (workdir / file).stat().st_size / 2**20
            for name, file in (("csv", "out.csv"), ("json", "out.json"), ("sqlite3", "cli.csv"))
        }
        _report(result, rows, participants, sizes, shipped, shipped_cli, shipped_json, median, query, indexed, records)
        result.notes += [
            f"Database: {rows:,} reflections from {min(participants, rows):,} participants in one cohort, in runs "
            f"of all {len(course.dialogues)} dialogues (about 15% follow-up answers, 3% edited, 1% starting like "
            f"a formula, some non-ASCII), built with sqlite-utils inserts in a few transactions "
            f"({build_seconds:.1f} s for all sizes); {db.stat().st_size / 2**20:.0f} MiB in {tempfile.gettempdir()}. "
            f"Output files: CSV {sizes_mib['csv']:.1f} MiB, JSON {sizes_mib['json']:.1f} MiB, sqlite3 "
            f"{sizes_mib['sqlite3']:.1f} MiB.",
            "'as shipped': the schema bot/storage.py creates (since migration 5 with an index on "
            "stances(run_id, phase) for the stance subqueries; before it, 100,000 rows took 114 s). Measured "
            "once each; the CSV exports as shipped ran in fresh processes, which also give the peak RSS.",
            f"'with index': the same databases with `create index {INDEX} on stances(run_id, phase)` added "
            f"(now the same as shipped); times are medians of {REPEATS} runs after a warm-up.",
            f'sqlite3: `{SQLITE3} -csv -header DB "select ..."` with the CSV\'s 15 columns over the same joins '
            "and stance subqueries as ExportQueries.answers (titles by CASE, the formula guard on question "
            "and answer, word count by counting spaces), process start included. exporting.export is timed "
            "as `elenchus export` calls it (audit record included), writing a file.",
            "Memory: each size exported in a fresh `python -m benchmarks.export --child` process; peak RSS is "
            "its VmHWM after the export; 'before' is its RSS after imports and loading the course; "
            "tracemalloc measures a second export in the same process (Python allocations only).",
        ]
        if shipped_json is None:
            result.notes.append(
                f"JSON as shipped was not run: the sqlite3 query alone took {shipped_cli:.0f} s (> {SLOW:.0f} s) "
                "and the JSON export runs the same query."
            )
        result.details.update(
            times_with_index=times,
            median_with_index=median,
            as_shipped={"csv_by_rows": shipped, "sqlite3": shipped_cli, "json": shipped_json},
            with_index_children=indexed,
            records=records,
            file_sizes_mib=sizes_mib,
            build_seconds=build_seconds,
        )
        if profile or result.missed:
            _profile(result, db, course, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def _report(
    result: Result,
    rows: int,
    participants: int,
    sizes: list[int],
    shipped: dict[int, dict[str, Any]],
    shipped_cli: float,
    shipped_json: float | None,
    median: dict[str, float],
    query: float,
    indexed: dict[int, dict[str, Any]],
    records: dict[str, int],
) -> None:
    def k(size: int) -> str:
        return f"{size / 1000:g}k"

    shown = " / ".join(k(s) for s in sizes)
    shipped_csv = shipped[rows]["seconds"]
    complete = all(count == rows for count in records.values())
    result.add("reflections exported (participants)", f"{rows:,} ({min(participants, rows):,})")
    result.add(
        "records: CSV / JSON / sqlite3 / CSV and sqlite3 as shipped",
        " / ".join(f"{v:,}" for v in records.values()),
        "",
        f"all {rows:,}",
        complete,
    )
    result.add(
        f"as shipped: CSV export at {shown} rows", " / ".join(f"{shipped[s]['seconds']:.3g}" for s in sizes), "s"
    )
    result.add("as shipped: sqlite3, same rows and columns", shipped_cli, "s")
    ratio = shipped_csv / shipped_cli
    result.add("as shipped: CSV export / sqlite3", ratio, "x", f"<= {TARGET_RATIO}x", ratio <= TARGET_RATIO)
    if shipped_json is not None:
        result.add("as shipped: JSON export", shipped_json, "s")
        ratio = shipped_json / shipped_cli
        result.add("as shipped: JSON export / sqlite3", ratio, "x", f"<= {TARGET_RATIO}x", ratio <= TARGET_RATIO)
    else:
        result.add("as shipped: JSON export / sqlite3", "not run (see notes)")
    result.add("with index: CSV export", median["csv"], "s")
    result.add("with index: JSON export", median["json"], "s")
    result.add("with index: sqlite3, same rows and columns", median["sqlite3"], "s")
    result.add("with index: query alone (iterating reflection_rows)", query, "s")
    for fmt in ("csv", "json"):
        ratio = median[fmt] / median["sqlite3"]
        result.add(
            f"with index: {fmt.upper()} export / sqlite3", ratio, "x", f"<= {TARGET_RATIO}x", ratio <= TARGET_RATIO
        )
    result.add("with index: CSV export rate", rows / median["csv"], "rows/s")
    for label, measured in (("as shipped", shipped), ("with index", indexed)):
        peaks = [measured[s]["peak_rss_mb"] for s in sizes]
        befores = [measured[s]["rss_before_mb"] for s in sizes]
        growth = peaks[-1] - peaks[0]
        result.add(f"{label}: CSV export peak RSS at {shown} rows", " / ".join(f"{p:.1f}" for p in peaks), "MiB")
        result.add(f"{label}: RSS before the export", " / ".join(f"{b:.1f}" for b in befores), "MiB")
        result.add(
            f"{label}: peak RSS growth {k(sizes[0])} -> {k(sizes[-1])} rows",
            growth,
            "MiB",
            f"flat (<= {FLAT:.0%})",
            growth <= FLAT * peaks[0],
        )
    result.add(
        "with index: Python's peak allocations during the export",
        " / ".join(f"{indexed[s]['traced_peak_mb']:.2f}" for s in sizes),
        "MiB",
    )


def _profile(result: Result, db: Path, course: Course, workdir: Path) -> None:
    for fmt in ("csv", "json"):
        profiler = cProfile.Profile()
        seconds, _ = export_once(db, fmt, workdir / f"profiled.{fmt}", course, profiler)
        summary = profile_summary(profiler, top=12)
        result.details[f"profile_{fmt}_with_index"] = summary
        result.notes.append(
            f"cProfile of one {fmt.upper()} export with the index ({seconds:.1f} s under the profiler, "
            f"{summary['total_seconds'][0]} s profiled). Own time by code (C functions count for their caller; "
            "sqlite-utils' row generator includes SQLite stepping through the rows):"
        )
        result.notes += ["  " + line for line in summary["by_group"] if " 0.0%" not in line]
        result.notes.append("Top functions by own time:")
        result.notes += ["  " + line for line in summary["own_time"]]
        result.notes.append("Elenchus' functions by cumulative time:")
        result.notes += ["  " + line for line in summary["ours_cumulative"][:8]]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export")
    parser.add_argument("--child", nargs=2, type=Path, metavar=("DB", "OUT"), required=True)
    parser.add_argument("--traced", action="store_true")
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr):
        measured = child(*args.child, traced=args.traced)
    print(json.dumps(measured))
