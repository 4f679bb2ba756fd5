"""`python -m benchmarks [updates|export|startup|memory ...] [--participants N] [--rows N] [--json FILE]`.

Runs the chosen benchmarks (all by default) one after another, then prints one table of every
figure with its target and whether it was met, and the notes of each benchmark (how it was
measured; profiles where a target was missed). Exit status 1 if any target was missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .common import Result, machine, print_table, write_json

NAMES = ("updates", "export", "startup", "memory")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    parser.add_argument(
        "names", nargs="*", choices=(*NAMES, []), metavar="NAME", help=f"any of {', '.join(NAMES)} (default: all)"
    )
    parser.add_argument("--participants", type=int, default=200, help="updates: participants at once (200)")
    parser.add_argument(
        "--think", type=float, default=6.0, help="updates: mean think time (s) of the paced run; 0 skips it (6)"
    )
    parser.add_argument(
        "--starts", type=int, default=300, help="updates: people sending /start at once, limiter on; 0 skips (300)"
    )
    parser.add_argument("--rows", type=int, default=100_000, help="export: reflections exported (100000)")
    parser.add_argument(
        "--export-participants", type=int, default=1000, help="export: participants they come from (1000)"
    )
    parser.add_argument(
        "--memory-rows",
        type=int,
        nargs="+",
        default=None,
        help="export: row counts whose CSV export's peak memory is compared (default: rows/10 and rows)",
    )
    parser.add_argument(
        "--stall-participants",
        type=int,
        default=40,
        help="export: participants at human pace while the bot exports (40; 0 skips the p99 measurement)",
    )
    parser.add_argument("--stall-think", type=float, default=4.0, help="export: their mean think time in s (4)")
    parser.add_argument(
        "--memory-participants", type=int, default=10_000, help="memory: participants mid-dialogue (10000)"
    )
    parser.add_argument("--runs", type=int, default=5, help="startup: runs per command, the median counts (5)")
    parser.add_argument("--profile", action="store_true", help="profile even when every target is met")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON to FILE")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    names = list(dict.fromkeys(args.names)) or list(NAMES)
    info = machine()
    print(
        f"Elenchus benchmarks on {info['nproc']} CPU(s), {info['cpu']}; Python {info['python']}, "
        f"python-telegram-bot {info['python_telegram_bot']}, SQLite {info['sqlite']}",
        flush=True,
    )
    results: list[Result] = []
    for name in names:
        print(f"running {name} ...", flush=True)
        started = time.perf_counter()
        result = _run(name, args)
        result.seconds = time.perf_counter() - started
        print(f"  {name} took {result.seconds:.1f} s", flush=True)
        results.append(result)
    print()
    print_table(results)
    for result in results:
        if result.notes:
            print(f"\n{result.benchmark} ({result.seconds:.1f} s):")
            for note in result.notes:
                print(f"  {note}" if note.startswith("  ") else f"- {note}")
    missed = [f"{r.benchmark}: {f.name}" for r in results for f in r.missed]
    print(f"\n{len(missed)} target(s) missed" + (": " + "; ".join(missed) if missed else ""))
    if args.json:
        write_json(args.json, results, info | {"argv": sys.argv[1:]})
        print(f"results written to {args.json}")
    return 1 if missed else 0


def _run(name: str, args: argparse.Namespace) -> Result:
    if name == "updates":
        from . import updates

        return updates.run(args.participants, args.think, profile=args.profile, starts=args.starts)
    if name == "export":
        from . import export

        return export.run(
            args.rows,
            args.export_participants,
            args.memory_rows,
            profile=args.profile,
            stall_participants=args.stall_participants,
            stall_think=args.stall_think,
        )
    if name == "startup":
        from . import startup

        return startup.run(args.runs, profile=args.profile)
    from . import memory

    return memory.run(args.memory_participants)


if __name__ == "__main__":
    sys.exit(main())
