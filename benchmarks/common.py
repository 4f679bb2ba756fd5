"""What every benchmark shares: figures with their targets, the table, percentiles, memory, the machine."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
"""The repository (the benchmarks import bot/ and tests/ from here)."""


@dataclass
class Figure:
    """One measured figure; `met` is None for figures without a target (shown for context)."""

    name: str
    value: float | int | str
    unit: str = ""
    target: str = ""
    met: bool | None = None
    digits: int = 3
    """Significant digits shown in the table (the JSON keeps the full value)."""

    def shown(self) -> str:
        if isinstance(self.value, float):
            text = f"{self.value:,.{self.digits}g}" if abs(self.value) < 10**self.digits else f"{self.value:,.0f}"
        elif isinstance(self.value, int):
            text = f"{self.value:,}"
        else:
            text = str(self.value)
        return f"{text} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        return "-" if self.met is None else ("met" if self.met else "MISSED")


@dataclass
class Result:
    """A benchmark's figures, notes for the reader (how it was measured) and details for the JSON."""

    benchmark: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    """How long the benchmark took, wall clock."""

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        return figure

    @property
    def missed(self) -> list[Figure]:
        return [f for f in self.figures if f.met is False]


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), linearly interpolated between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    import telegram

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu_model(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "python_telegram_bot": telegram.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


@contextlib.contextmanager
def sql_counted(conn: sqlite3.Connection) -> Iterator[dict[str, int]]:
    """Count the statements a connection runs while the block runs: all, write transactions (COMMITs
    and writes outside a transaction, which SQLite commits by themselves), and schema look-ups
    (sqlite_master, table_info: what sqlite-utils does on every call)."""
    counts = {"statements": 0, "commits": 0, "schema": 0}
    writes = ("INSERT", "UPDATE", "DELETE", "REPLAC")

    def seen(sql: str) -> None:
        head = sql.lstrip()[:6].upper()
        counts["statements"] += 1
        counts["commits"] += head == "COMMIT" or (head in writes and not conn.in_transaction)
        counts["schema"] += "sqlite_master" in sql or "table_info" in sql

    conn.set_trace_callback(seen)
    try:
        yield counts
    finally:
        conn.set_trace_callback(None)


# ---- the two bots -------------------------------------------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a benchmark's child process: the repository importable, no bot settings
    leaking in from the caller's environment (a token would start the Telegram bot)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELENCHUS_", "TELEGRAM_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def print_table(results: list[Result], out=sys.stdout) -> None:
    rows = [("benchmark", "figure", "value", "target", "result")]
    for result in results:
        for f in result.figures:
            rows.append((result.benchmark, f.name, f.shown(), f.target or "-", f.verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    line = "+".join("-" * (w + 2) for w in widths)
    for n, row in enumerate(rows):
        print(" " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)), file=out)
        if n == 0:
            print(line, file=out)


def write_json(path: Path, results: list[Result], info: dict[str, Any]) -> None:
    data = {"machine": info, "results": [asdict(r) | {"missed": [f.name for f in r.missed]} for r in results]}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---- profiles ------------------------------------------------------------------------------------

_GROUPS = (
    # (prefix of the shortened file name, group)
    ("bot/", "Elenchus (bot/)"),
    ("tests/", "benchmark harness (drivers, fake's user side)"),
    ("benchmarks/", "benchmark harness (drivers, fake's user side)"),
    ("telegram/", "python-telegram-bot"),
    ("httpx/", "httpx / httpcore / anyio / h11"),
    ("httpcore/", "httpx / httpcore / anyio / h11"),
    ("anyio/", "httpx / httpcore / anyio / h11"),
    ("h11/", "httpx / httpcore / anyio / h11"),
    ("sqlite_utils/", "sqlite-utils (Python)"),
    ("yaml/", "PyYAML"),
    ("jsonschema/", "jsonschema / referencing"),
    ("referencing/", "jsonschema / referencing"),
    ("jsonschema_specifications/", "jsonschema / referencing"),
    ("re/", "regular expressions (compiling)"),
    ("asyncio/", "asyncio event loop"),
    ("selectors.py", "asyncio event loop"),
    ("<frozen importlib", "import machinery at run time"),
    ("logging/", "logging"),
    ("json/", "json"),
    ("csv.py", "csv module (C writer)"),
)


_C_GROUPS = (
    # (part of a C function's name, group)
    ("sqlite3", "SQLite (C library calls)"),
    ("socket", "socket and poll system calls"),
    ("select", "socket and poll system calls"),
    ("posix.stat", "import machinery at run time"),
    ("_csv", "csv module (C writer)"),
    ("re.Pattern", "regular expressions (C)"),
    ("_json", "json"),
    ("_io.", "file writes (io)"),
)


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/lib/python3.11/", "/lib/python3.12/", "/lib/python3.13/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.removeprefix(str(ROOT) + "/")


def _group(filename: str, name: str) -> str | None:
    """The group of a function; None for C functions ('~'), which count for their caller's group,
    except the ones worth seeing on their own."""
    if filename == "~":
        for marker, group in _C_GROUPS:
            if marker in name:
                return group
        return None
    short = _short(filename)
    for prefix, group in _GROUPS:
        if short.startswith(prefix):
            return group
    return "other Python standard library"


def profile_summary(profile: Any, top: int = 15, ours_prefix: str = "bot/") -> dict[str, list[str]]:
    """A cProfile as text: own time per group of code (C functions count for their caller's
    group), the top functions by own time, and our own functions by cumulative time."""
    import pstats

    stats = pstats.Stats(profile)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values()) or 1.0
    groups: dict[str, float] = {}
    rows = []
    for (filename, line, name), (_cc, calls, tt, ct, callers) in raw.items():
        rows.append((tt, ct, calls, _short(filename), line, name))
        group = _group(filename, name)
        if group is not None:
            groups[group] = groups.get(group, 0.0) + tt
            continue
        caller_time = sum(c[2] for c in callers.values()) or 1.0
        for (c_file, _c_line, c_name), c_stats in callers.items():
            c_group = _group(c_file, c_name) or "other C functions"
            groups[c_group] = groups.get(c_group, 0.0) + tt * c_stats[2] / caller_time
    by_group = [
        f"{seconds:7.2f} s {seconds / total:6.1%}  {group}"
        for group, seconds in sorted(groups.items(), key=lambda g: g[1], reverse=True)
    ]
    own = [
        f"{tt:7.2f} s own {tt / total:6.1%} {ct:7.2f} s cum {calls:>9} calls  {where}:{line} {name}"
        for tt, ct, calls, where, line, name in sorted(rows, reverse=True)[:top]
    ]
    ours = [
        f"{ct:7.2f} s cum {ct / total:6.1%} {calls:>9} calls  {where}:{line} {name}"
        for tt, ct, calls, where, line, name in sorted(rows, key=lambda r: r[1], reverse=True)
        if where.startswith(ours_prefix)
    ][:top]
    return {"total_seconds": [f"{total:.2f}"], "by_group": by_group, "own_time": own, "ours_cumulative": ours}
