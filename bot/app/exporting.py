"""Exports and reports for a scope of cohorts: query storage, build records, write a format, audit.

The formats themselves are pure functions in bot/exports/ and bot/reports/; this module is the
thin imperative layer both the Telegram and the CLI shells call, so both audit the same way.
Rows stream from SQLite to the output, so a large export is never held in memory.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..clock import utc_now
from ..engine import Course
from ..exports import bundle, csv_export, json_export, xapi
from ..exports.lrs import Client
from ..exports.records import PortfolioEntry, ReflectionRecord, participant_label
from ..reports import chart, overview_text
from ..reports import overview as report
from ..reports.shift import paired_shifts
from ..storage import Storage
from ..storage.rows import Cohort, Reflection
from . import lrs
from .records import cohort_comments, portfolio_entries, reflection_record, run_record, with_comments

FORMATS = {"csv": ".csv", "json": ".json", "xapi": ".xapi.json", "zip": ".zip"}
DEFAULT_XAPI_BASE = "https://elenchus.invalid/xapi"


@dataclass(frozen=True)
class Scope:
    cohort_ids: tuple[int, ...]
    dialogue_id: str | None = None
    participant_id: int | None = None
    since: str | None = None
    """An ISO date (YYYY-MM-DD) or timestamp: records from then on."""

    def filters(self) -> dict[str, Any]:
        return {"dialogue_id": self.dialogue_id, "participant_id": self.participant_id, "since": self.since}


def filename(cohort: str, fmt: str, generated: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in cohort)
    return f"elenchus-{safe}-{generated[:10]}{FORMATS[fmt]}"


def records(storage: Storage, course: Course, scope: Scope, locale: str = "en") -> Iterator[ReflectionRecord]:
    comments = cohort_comments(storage, scope.cohort_ids)
    for row in storage.exports.answers(scope.cohort_ids, **scope.filters()):
        yield with_comments(reflection_record(row, course, locale), comments)


def export(
    storage: Storage,
    course: Course,
    scope: Scope,
    fmt: str,
    out: BinaryIO,
    *,
    actor: str,
    t: Callable[..., str],
    locale: str = "en",
    generated: str | None = None,
    xapi_base: str = DEFAULT_XAPI_BASE,
    translators: Callable[[str], Callable[..., str]] | None = None,
    templates: Path | None = None,
    xapi_homepage: str | None = None,
) -> int:
    """Write the scope's reflections in a format to a binary stream; returns how many records.

    `translators` gives the words of a locale: with it, each participant's portfolio in the zip
    is in that participant's language (else all are in `locale`)."""
    generated = generated or utc_now()
    if fmt == "zip":
        portfolios = _portfolios(storage, course, scope, locale)
        count = bundle.write_portfolio_zip(
            portfolios, out, t, generated, lang=locale, translators=translators, templates=templates
        )
    else:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        rows = records(storage, course, scope, locale)
        if fmt == "csv":
            count = csv_export.write_csv(rows, text)
        elif fmt == "json":
            count = json_export.write_json(rows, text, scope=_scope_dict(storage, scope), generated=generated)
        elif fmt == "xapi":
            options = lrs.XapiSettings(xapi_base, xapi_homepage)
            count = xapi.write_xapi(lrs.statements(storage, course, scope, options), text)
        else:
            raise ValueError(f"unknown format {fmt!r}")
        text.flush()
        text.detach()
    storage.cohorts.record_audit(actor, f"export:{fmt}", _scope_dict(storage, scope), count)
    return count


def _scope_dict(storage: Storage, scope: Scope) -> dict[str, Any]:
    names = [c.name for i in scope.cohort_ids if (c := storage.cohorts.get(i))]
    return {
        **{k: v for k, v in asdict(scope).items() if v is not None},
        "cohort_ids": list(scope.cohort_ids),
        "cohorts": names,
    }


def _portfolios(
    storage: Storage, course: Course, scope: Scope, locale: str
) -> Iterator[tuple[str, list[PortfolioEntry], str]]:
    """One participant at a time: their runs, answers and ratings within the scope, in their language
    (the one they chose, else that of their latest run in the scope, else `locale`)."""
    by_participant: dict[int, str] = {}
    for row in storage.exports.answers(scope.cohort_ids, **scope.filters()):
        by_participant.setdefault(row.participant_id, participant_label(row.participant_id, row.participant_name))
    for participant_id, label in by_participant.items():
        reflections = [
            r
            for r in storage.runs.reflections(participant_id)
            if r.cohort_id in scope.cohort_ids and _in_scope(r, scope)
        ]
        run_ids = {r.run_id for r in reflections}
        runs = [r for r in storage.runs.of(participant_id) if r.id in run_ids]
        stances = [s for s in storage.runs.stances(participant_id) if s.run_id in run_ids]
        person = storage.participants.get(participant_id)
        theirs = (person.locale if person else None) or (runs[-1].state.get("locale") if runs else None) or locale
        comments = storage.feedback.of(participant_id)
        yield label, portfolio_entries(course, runs, reflections, stances, theirs, comments=comments), theirs


def _in_scope(row: Reflection, scope: Scope) -> bool:
    if scope.dialogue_id is not None and row.dialogue_id != scope.dialogue_id:
        return False
    return scope.since is None or row.created >= scope.since


@dataclass(frozen=True)
class Report:
    overview: Any
    text: str
    markdown: str
    chart: bytes


def cohort_report(
    storage: Storage, course: Course, cohort: Cohort, *, actor: str, t: Callable[..., str], locale: str = "en"
) -> Report:
    """The overview of one cohort in the reader's language (`t`, `locale`), its chart, and the audit
    record that it was viewed."""
    scope = Scope((cohort.id,))
    runs = [run_record(r) for r in storage.exports.runs(scope.cohort_ids)]
    reflections = list(records(storage, course, scope, locale))
    view = report.overview(runs, reflections, course, locale)
    storage.cohorts.record_audit(actor, "report", _scope_dict(storage, scope), len(reflections))
    text, markdown = overview_text.overview_text(view, t), overview_text.overview_markdown(view, t)
    return Report(view, text, markdown, chart.stance_chart_png(view, t, paired_shifts(runs)))


class Exports:
    """The export use cases over one storage, for the shells (which never hold storage themselves)."""

    def __init__(self, storage: Storage, course: Course):
        self.storage = storage
        self.course = course

    def export(self, scope: Scope, fmt: str, out: BinaryIO, **options: Any) -> int:
        return export(self.storage, self.course, scope, fmt, out, **options)

    def send_xapi(self, scope: Scope, options: lrs.XapiSettings, client: Client, *, actor: str) -> lrs.Delivery:
        """Send the scope's xAPI statements to an LRS (bot/app/lrs.py), audited."""
        return lrs.send(
            self.storage, self.course, scope, options, client, actor=actor, audit_scope=_scope_dict(self.storage, scope)
        )

    def cohort_report(self, cohort: Cohort, *, actor: str, t: Callable[..., str], locale: str = "en") -> Report:
        return cohort_report(self.storage, self.course, cohort, actor=actor, t=t, locale=locale)
