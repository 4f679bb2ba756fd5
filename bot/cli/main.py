"""The `elenchus` command: each subcommand is a few lines over a module."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from .. import __version__, paths
from ..config import Settings
from ..content.loader import check_content, load_course
from ..content.prompts import Prompts, check_prompts, load_prompts
from ..content.yamlpos import ContentError, Problem
from ..engine import Course


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="elenchus",
        description="Socratic dialogues on micro-credentials. Without a subcommand: "
        "the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the terminal mode.",
    )
    parser.add_argument("--version", action="version", version=f"elenchus {__version__}")
    sub = parser.add_subparsers(dest="command")
    play = sub.add_parser("play", help="play dialogues in the terminal")
    play.add_argument("dialogue", nargs="?", help="a dialogue id; without it, the menu (or the run in progress)")
    play.add_argument("--lang", help="en or de (default: from LANG)")
    play.add_argument("--user", help="whose answers these are (default: your login name)")
    check = sub.add_parser("check", help="validate dialogues and prompts")
    check.add_argument(
        "paths", nargs="*", type=Path, help="files or folders (default: the shipped content and prompts)"
    )
    check.add_argument("--quiet", action="store_true", help="print errors only, no warnings")
    graph = sub.add_parser("graph", help="print a dialogue as a Mermaid flowchart")
    graph.add_argument("dialogue")
    run = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN); long polling by default")
    run.add_argument("--webhook-url", dest="webhook_url", help="public HTTPS base URL: receive updates by webhook")
    run.add_argument("--webhook-path", dest="webhook_path", help="path of the webhook under that URL (telegram)")
    run.add_argument("--secret-token", dest="webhook_secret", help="secret Telegram sends with each webhook call")
    run.add_argument("--listen", help="address the webhook server listens on (127.0.0.1)")
    run.add_argument("--port", type=int, help="port the webhook server listens on (8443)")
    sub.add_parser("doctor", help="check the token, the database and the content, and say what was found")
    meta = sub.add_parser("datasette-metadata", help="print Datasette metadata (JSON) for the database")
    meta.add_argument("db", nargs="?", type=Path, help="the database file (default: ELENCHUS_DB, elenchus.db)")
    from .badge import add_parser as add_badge
    from .staff import add_parsers

    add_parsers(sub)
    add_badge(sub)

    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`elenchus graph x | head`): stop quietly, like other commands do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command is None:
        args = _parser().parse_args(["run" if settings.token else "play"])
    if args.command in STAFF_COMMANDS:
        return _staff(args, settings)
    handler = {
        "play": _play,
        "check": _check,
        "graph": _graph,
        "run": _run,
        "doctor": _doctor,
        "datasette-metadata": _datasette_metadata,
        "badge": _badge,
    }[args.command]
    return handler(args, settings)


STAFF_COMMANDS = ("cohort", "export", "report", "audit")


def _staff(args: argparse.Namespace, settings: Settings) -> int:
    from . import staff as cli_staff

    loaded = _load(settings)
    if loaded is None:
        return 1
    return cli_staff.run(args, settings, *loaded)


def _load(settings: Settings) -> tuple[Course, Prompts] | None:
    """The course and prompts, or None after printing why they cannot be used."""
    try:
        return load_course(settings.content), load_prompts(settings.prompts)
    except ContentError as exc:
        _print_problems(exc.problems)
        print("elenchus: the content has errors (above); fix them and start again.", file=sys.stderr)
        return None


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def _play(args: argparse.Namespace, settings: Settings) -> int:
    from ..app.services import Services
    from ..terminal import Terminal

    loaded = _load(settings)
    if loaded is None:
        return 1
    course, prompts = loaded
    services = Services.open(settings.db, course)
    try:
        locale = prompts.locale_for(args.lang, os.environ.get("LANG"))
        terminal = Terminal(
            services,
            prompts,
            sys.stdin,
            sys.stdout,
            locale=locale,
            user=args.user,
            db_label=str(settings.db.resolve()),
            out_dir=settings.db.resolve().parent,
            templates=settings.portfolio_templates,
        )
        return terminal.run(args.dialogue)
    finally:
        services.close()


def _datasette_metadata(args: argparse.Namespace, settings: Settings) -> int:
    from .datasette import print_metadata

    return print_metadata(args.db or settings.db)


def _badge(args: argparse.Namespace, settings: Settings) -> int:
    from . import badge

    if args.action == "verify":
        return badge.verify_file(args.file)
    loaded = _load(settings)
    if loaded is None:
        return 1
    return badge.draw_card(args, loaded[1]) if args.action == "card" else badge.issue(args, settings, loaded[0])


def _check(args: argparse.Namespace, settings: Settings) -> int:
    problems = _check_targets(args.paths or [settings.content, settings.prompts])
    shown = [p for p in problems if p.is_error or not args.quiet]
    _print_problems(shown)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _check_targets(targets: list[Path]) -> list[Problem]:
    """Sort each path into content or prompts by what lies beside it, and check it."""
    problems: list[Problem] = []
    for target in targets:
        folder = target if target.is_dir() else target.parent
        if not target.exists():
            problems.append(Problem(str(target), 1, 1, "error", "no such file or folder."))
        elif (folder / "course.yaml").exists() or (folder / "sources.yaml").exists():
            problems += check_content(folder, None if target.is_dir() else [target])
        elif (folder / "en.yaml").exists():
            code = paths.source_dir() if folder.resolve() == paths.prompts_dir().resolve() else None
            problems += check_prompts(folder, code)
        else:
            problems.append(
                Problem(
                    str(target),
                    1,
                    1,
                    "error",
                    "neither a content folder (with course.yaml and sources.yaml) nor a prompts folder (with en.yaml).",
                )
            )
    return sorted(set(problems))


def _graph(args: argparse.Namespace, settings: Settings) -> int:
    from .graph import mermaid

    loaded = _load(settings)
    if loaded is None:
        return 1
    dialogue = loaded[0].get(args.dialogue)
    if dialogue is None:
        print(f"elenchus: there is no dialogue '{args.dialogue}'.", file=sys.stderr)
        return 2
    sys.stdout.write(mermaid(dialogue))
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from telegram.error import InvalidToken, TelegramError

    from ..app.services import Services
    from ..telegram.app import run, setup_logging

    overrides = {k: v for k, v in vars(args).items() if k in _RUN_OPTIONS and v is not None}
    settings = replace(settings, **overrides)
    if not settings.token:
        print("elenchus: set TELEGRAM_BOT_TOKEN to run the Telegram bot, or use `elenchus play`.", file=sys.stderr)
        return 2
    loaded = _load(settings)
    if loaded is None:
        return 1
    if settings.webhook_url and not settings.webhook_secret:
        print(
            "elenchus: webhook mode needs a secret token (ELENCHUS_WEBHOOK_SECRET or --secret-token), so that "
            "only Telegram can post updates.",
            file=sys.stderr,
        )
        return 2
    setup_logging(settings)
    settings.configure_clock()
    try:
        services = Services.open(
            settings.db, loaded[0], settings.admins, time_zone=settings.time_zone, quiet_hours=settings.quiet_hours
        )
    except sqlite3.Error as exc:
        print(f"elenchus: cannot open the database {settings.db}: {_sqlite_error(exc)}", file=sys.stderr)
        return 1
    problem = services.write_problem()
    if problem is not None:
        services.close()
        print(
            f"elenchus: the database {settings.db} refuses writes ({problem}); nothing could be stored.",
            file=sys.stderr,
        )
        return 1
    try:
        run(settings, services, loaded[1])
    except InvalidToken:
        print("elenchus: Telegram refused TELEGRAM_BOT_TOKEN. Check it with @BotFather.", file=sys.stderr)
        return 1
    except (TelegramError, OSError) as exc:
        reason = str(exc).replace(settings.token, "<token>")
        print(f"elenchus: the bot stopped: {type(exc).__name__}: {reason}", file=sys.stderr)
        return 1
    finally:
        services.close()
    return 0


def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    from .doctor import examine

    findings = examine(settings)
    for finding in findings:
        print(finding)
    problems = sum(not f.ok for f in findings if f.what.strip())
    print(f"{problems} problem(s)")
    return 1 if problems else 0


def _sqlite_error(exc: Exception) -> str:
    return f"{getattr(exc, 'sqlite_errorname', type(exc).__name__)}: {exc}"


_RUN_OPTIONS = ("webhook_url", "webhook_path", "webhook_secret", "listen", "port")
