"""The operators' CLI: cohorts, exports, reports and the audit log (`elenchus cohort|export|report|audit`)."""

from __future__ import annotations

import argparse
import getpass
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings

if TYPE_CHECKING:  # the CLI parses arguments for every command; these load only when used
    from ..app.services import Services
    from ..content.prompts import Prompts
    from ..engine import Course


def add_parsers(sub: argparse._SubParsersAction) -> None:
    cohort = sub.add_parser(
        "cohort",
        help="create and list cohorts; renew or revoke their links; deadlines, time zone and quiet hours",
        description="`cohort due NAME` shows who is due, late or done; `cohort due NAME DIALOGUE YYYY-MM-DD` "
        "sets a deadline (`off` removes it); `cohort zone NAME Europe/Berlin` and `cohort quiet NAME 21:00-08:00` "
        "set when reminders may be sent.",
    )
    cohort.add_argument("action", choices=["create", "list", "links", "renew", "revoke", "due", "zone", "quiet"])
    cohort.add_argument("name", nargs="?")
    cohort.add_argument("values", nargs="*", help="for due: DIALOGUE YYYY-MM-DD|off; for zone and quiet: the value")
    cohort.add_argument("--kind", choices=["invite", "facilitator"], help="which link to renew or revoke")
    export = sub.add_parser("export", help="export a cohort's reflections")
    export.add_argument("--cohort", required=True, action="append", help="cohort name (repeat for several)")
    export.add_argument("--format", choices=["csv", "json", "xapi", "zip"], default="csv")
    export.add_argument("--dialogue", help="only this dialogue")
    export.add_argument("--participant", type=int, help="only this participant (the number in P<number>)")
    export.add_argument("--since", help="only records from this date on (YYYY-MM-DD)")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: a name from cohort and date)")
    export.add_argument("--lrs", metavar="URL", help="xapi only: send the statements to this LRS's xAPI endpoint")
    export.add_argument("--lrs-user", help="basic-auth user for --lrs (default: ELENCHUS_LRS_USER)")
    export.add_argument(
        "--lrs-password", help="basic-auth password for --lrs (better: ELENCHUS_LRS_PASSWORD, not seen by ps)"
    )
    export.add_argument("--batch-size", type=int, default=50, help="statements per request to the LRS (50)")
    export.add_argument(
        "--lrs-retries", type=int, default=3, help="retries of a request the LRS failed (5xx) or never answered (3)"
    )
    report = sub.add_parser("report", help="a cohort's overview as Markdown, with the stance chart as PNG")
    report.add_argument("--cohort", required=True)
    report.add_argument("-o", "--output", type=Path, default=Path("."), help="folder for the two files")
    report.add_argument("--lang", default="en", help="language of the overview's labels (en, de)")
    sub.add_parser("audit", help="list who exported or viewed what")


def run(args: argparse.Namespace, settings: Settings, course: Course, prompts: Prompts) -> int:
    global exporting
    from ..app import exporting  # the export stack (and its chart library) only when it is used
    from ..app.services import Services

    services = Services.open(
        settings.db, course, settings.admins, time_zone=settings.time_zone, quiet_hours=settings.quiet_hours
    )
    try:
        handler = {"cohort": _cohort, "export": _export, "report": _report, "audit": _audit}[args.command]
        return handler(args, settings, services, prompts)
    finally:
        services.close()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _fail(message: str) -> int:
    print(f"elenchus: {message}", file=sys.stderr)
    return 2


def _cohort(args, settings: Settings, services: Services, prompts) -> int:
    cohorts = services.cohorts
    if args.action == "list":
        for counted in cohorts.with_counts():
            row = counted.cohort
            print(
                f"{row.name}\t{counted.members} participant(s)\t{counted.facilitators} facilitator(s)"
                f"\tcreated {row.created[:10]}"
            )
        return 0
    if not args.name:
        return _fail(f"`elenchus cohort {args.action}` needs a cohort name.")
    if args.action == "create":
        try:
            row = cohorts.create(args.name, _actor())
        except ValueError as exc:
            reason = "it exists already" if str(exc) == "exists" else "use 1-40 letters, digits, . - or _"
            return _fail(f"cannot create cohort {args.name!r}: {reason}.")
        print(f"created cohort {row.name}")
        return _print_links(row, settings)
    row = cohorts.by_name(args.name)
    if row is None:
        return _fail(f"there is no cohort {args.name!r}. `elenchus cohort list` shows them.")
    if args.action in ("due", "zone", "quiet"):
        from .deadlines import deadlines

        return deadlines(args, row, services)
    if args.action in ("renew", "revoke"):
        kinds = [args.kind] if args.kind else ["invite", "facilitator"]
        for kind in kinds:
            row = cohorts.change_code(row, kind, renew=args.action == "renew")

        print(f"{args.action.removesuffix('e')}ed the {' and '.join(kinds)} link(s) of {row.name}")
    return _print_links(row, settings)


def _print_links(row, settings: Settings) -> int:
    from ..app.cohorts import deep_link

    bot = settings.bot_username or "<your_bot_username>"
    for label, code in (("participants", row.invite_code), ("facilitators", row.facilitator_code)):
        print(f"  invite {label}: {deep_link(bot, code) or '(revoked)'}")
    if not settings.bot_username:
        print("  (set ELENCHUS_BOT_USERNAME to print complete links)")
    return 0


def _export(args, settings: Settings, services: Services, prompts: Prompts) -> int:
    course = services.course
    rows = [services.cohorts.by_name(name) for name in args.cohort]
    missing = [name for name, row in zip(args.cohort, rows, strict=True) if row is None]
    if missing:
        return _fail(f"no such cohort: {', '.join(missing)}.")
    if args.dialogue and course.get(args.dialogue) is None:
        return _fail(f"no such dialogue: {args.dialogue}.")
    scope = exporting.Scope(
        tuple(r.id for r in rows), dialogue_id=args.dialogue, participant_id=args.participant, since=args.since
    )
    if args.lrs:
        return _send_to_lrs(args, settings, services, scope)
    output = args.output or Path(exporting.filename("+".join(r.name for r in rows), args.format, exporting.utc_now()))
    with output.open("wb") as out:
        count = services.exports.export(
            scope,
            args.format,
            out,
            actor=_actor(),
            t=partial(prompts.t, locale="en"),
            xapi_base=settings.xapi_base,
            translators=lambda locale: partial(prompts.t, locale=locale),
            templates=settings.portfolio_templates,
            xapi_homepage=settings.xapi_homepage,
        )
    print(f"wrote {count} record(s) to {output}")
    return 0


def _send_to_lrs(args, settings: Settings, services: Services, scope) -> int:
    """`export --format xapi --lrs URL`: the statements go to the LRS, none to a file."""
    from ..app.lrs import XapiSettings
    from ..exports.lrs import Client, Endpoint, LrsError

    if args.format != "xapi":
        return _fail("--lrs sends xAPI statements: use it with --format xapi.")
    if args.output:
        return _fail("--lrs sends the statements to the LRS; leave out -o.")
    if args.batch_size < 1 or args.lrs_retries < 0:
        return _fail("--batch-size must be at least 1, --lrs-retries at least 0.")
    try:
        endpoint = Endpoint.of(args.lrs, args.lrs_user or settings.lrs_user, args.lrs_password or settings.lrs_password)
    except LrsError as exc:
        return _fail(f"{exc}.")
    options = XapiSettings(settings.xapi_base, settings.xapi_homepage)
    try:
        done = services.exports.send_xapi(
            scope, options, Client(endpoint, batch=args.batch_size, retries=args.lrs_retries), actor=_actor()
        )
    except ValueError as exc:
        return _fail(str(exc))
    sent = done.sent
    print(f"the LRS at {endpoint.url} holds {sent.stored} statement(s) of this export ({sent.batches} batch(es))")
    if sent.conflicts:
        print(
            f"elenchus: {len(sent.conflicts)} statement(s) differ from the version the LRS already holds under the "
            "same id and were left as they are (xAPI statements cannot be changed): "
            + ", ".join(sent.conflicts[:10])
            + (" ..." if len(sent.conflicts) > 10 else ""),
            file=sys.stderr,
        )
    if done.error:
        print(f"elenchus: {done.error}", file=sys.stderr)
        return 1
    return 1 if sent.conflicts else 0


def _report(args, settings: Settings, services: Services, prompts: Prompts) -> int:
    row = services.cohorts.by_name(args.cohort)
    if row is None:
        return _fail(f"no such cohort: {args.cohort}.")
    locale = prompts.locale_for(args.lang)
    result = services.exports.cohort_report(row, actor=_actor(), t=partial(prompts.t, locale=locale), locale=locale)
    args.output.mkdir(parents=True, exist_ok=True)
    stem = exporting.filename(row.name, "csv", exporting.utc_now()).removesuffix(".csv")
    (args.output / f"{stem}-overview.md").write_text(result.markdown, encoding="utf-8")
    (args.output / f"{stem}-stances.png").write_bytes(result.chart)
    print(result.text)
    print(f"wrote {args.output / (stem + '-overview.md')} and {args.output / (stem + '-stances.png')}")
    return 0


def _audit(args, settings: Settings, services: Services, prompts) -> int:
    for row in reversed(services.cohorts.audit_log(1000)):
        print(f"{row.at}\t{row.actor}\t{row.action}\t{row.records}\t{row.scope}")
    return 0
