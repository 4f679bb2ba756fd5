"""`elenchus cohort due|zone|quiet`: a cohort's deadlines, time zone and quiet hours for reminders,
and who is due, late or done (the same rules as /due in Telegram, bot/app/reminders.py)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from .. import clock

if TYPE_CHECKING:
    from ..app.cohorts import Cohort
    from ..app.services import Services

PROBLEMS = {
    "dialogue": "there is no such dialogue (`elenchus play` lists them).",
    "date": "give the date as YYYY-MM-DD.",
    "zone": "that is not a time zone this system knows; use a name like Europe/Berlin.",
    "quiet": "give quiet hours like 21:00-08:00.",
}


def deadlines(args: argparse.Namespace, cohort: Cohort, services: Services) -> int:
    reminders, values = services.reminders, list(args.values)
    try:
        if args.action == "zone" and len(values) == 1:
            reminders.set_time_zone(cohort, values[0])
        elif args.action == "quiet" and len(values) == 1:
            reminders.set_quiet_hours(cohort, values[0])
        elif args.action == "due" and len(values) == 2 and values[1] == "off":
            if not reminders.clear_deadline(cohort, values[0]):
                return _fail(f"{cohort.name} has no deadline for {values[0]}.")
            print(f"removed the deadline of {values[0]} for {cohort.name}")
        elif args.action == "due" and len(values) == 2:
            dialogue = reminders.set_deadline(cohort, values[0], values[1], f"cli:{getpass.getuser()}")
            print(f"{cohort.name} is to finish {dialogue.id} by {values[1]}")
        elif values or args.action != "due":
            return _fail(f"usage: elenchus cohort {args.action} NAME " + _usage(args.action))
    except ValueError as exc:
        return _fail(PROBLEMS[str(exc)])
    _print_overview(cohort, services)
    return 0


def _usage(action: str) -> str:
    return {"due": "[DIALOGUE YYYY-MM-DD|off]", "zone": "ZONE", "quiet": "HH:MM-HH:MM"}[action]


def _print_overview(cohort: Cohort, services: Services) -> None:
    zone, quiet = services.reminders.zone_and_quiet(cohort.id)
    print(f"{cohort.name}: time zone {zone}, quiet hours {quiet}")
    views = services.reminders.overview(cohort, clock.now())
    if not views:
        print("  no deadlines")
    for view in views:
        counts = {s: sum(m.status == s for m in view.members) for s in ("done", "late", "due")}
        print(f"  {view.dialogue.id} by {view.due}: {counts['done']} done, {counts['late']} late, {counts['due']} due")
        for member in view.members:
            started = ", started" if member.active and member.status != "done" else ""
            print(f"    {member.name or '?'} (P{member.participant_id}): {member.status}{started}")


def _fail(message: str) -> int:
    print(f"elenchus: {message}", file=sys.stderr)
    return 2
