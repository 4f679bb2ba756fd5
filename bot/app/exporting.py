"""Exports and reports for a scope of cohorts: read storage, write a format, audit.

The formats themselves are in bot/exports/ and bot/reports/; this module is the thin imperative
layer both the Telegram and the CLI shells call, so both audit the same way.

No stalls (issue 15): an export or a report reads through a `Reader`, a read-only connection of
its own, in one snapshot. The bot runs it in a worker thread (`Exports.export_in_worker`,
`Exports.report_in_worker`) so the event loop keeps serving participants; only the audit record
is written on the bot's own connection, afterwards. The CSV and JSON rows are built by SQLite
and streamed to the output; the overview is computed from SQL aggregates, so neither holds a
cohort's answers in memory.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from ..clock import utc_now
from ..engine import Course
from ..engine.step import localize
from ..exports import bundle, csv_export, json_export, xapi
from ..exports.lrs import Client
from ..exports.records import PortfolioEntry, ReflectionRecord, participant_label
from ..reports import chart, overview_text
from ..reports import overview as report
from ..reports.shift import paired_shifts
from ..storage import Storage
from ..storage.exports import Reader
from ..storage.rows import Cohort, Reflection
from . import lrs
from .records import cohort_comments, portfolio_entries, reflection_record, run_record, with_comments

FORMATS = {"csv": ".csv", "json": ".json", "xapi": ".xapi.json", "zip": ".zip"}
XAPI_HOMEPAGE = "https://t.me"
DEFAULT_XAPI_BASE = "https://elenchus.invalid/xapi"
WORKERS = 2
"""Exports and reports at once in worker threads; more wait their turn (each holds a connection)."""


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


def records(source: Storage | Reader, course: Course, scope: Scope, locale: str = "en") -> Iterator[ReflectionRecord]:
    comments = cohort_comments(source, scope.cohort_ids)
    for row in source.exports.answers(scope.cohort_ids, **scope.filters()):
        yield with_comments(reflection_record(row, course, locale), comments)


@contextmanager
def reading(storage: Storage) -> Iterator[Storage | Reader]:
    """A read-only connection of its own to the storage's database, in one snapshot (the storage
    itself for an in-memory database, which no second connection can open)."""
    if storage.path == ":memory:":
        yield storage
        return
    reader = Reader(storage.path)
    try:
        with reader.snapshot():
            yield reader
    finally:
        reader.close()


def write(
    source: Storage | Reader,
    course: Course,
    scope: Scope,
    fmt: str,
    out: BinaryIO,
    *,
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
        portfolios = _portfolios(source, course, scope, locale)
        return bundle.write_portfolio_zip(
            portfolios, out, t, generated, lang=locale, translators=translators, templates=templates
        )
    if fmt in ("csv", "json"):
        titles = {d.id: localize(d.title, locale) for d in course.dialogues}
        select = csv_export.row_sql() if fmt == "csv" else json_export.object_sql()
        lines = source.exports.lines(
            select,
            scope.cohort_ids,
            titles=titles,
            functions={csv_export.SQL_GUARD: csv_export.sql_neutralise},
            extra={"comments": csv_export.COMMENTS_SQL if fmt == "csv" else json_export.COMMENTS_SQL},
            **scope.filters(),
        )
        if fmt == "csv":
            return csv_export.write_lines(lines, out)
        return json_export.write_lines(lines, out, scope=scope_dict(source, scope), generated=generated)
    if fmt != "xapi":
        raise ValueError(f"unknown format {fmt!r}")
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    count = xapi.write_xapi(lrs.statements(source, course, scope, lrs.XapiSettings(xapi_base, xapi_homepage)), text)
    text.flush()
    text.detach()
    return count


def export(
    storage: Storage, course: Course, scope: Scope, fmt: str, out: BinaryIO, *, actor: str, **options: Any
) -> int:
    """Write an export here and now (the CLI), reading through a connection of its own; audit it."""
    count, scope_seen = _export(storage, course, scope, fmt, out, **options)
    storage.cohorts.record_audit(actor, f"export:{fmt}", scope_seen, count)
    return count


def _export(
    storage: Storage, course: Course, scope: Scope, fmt: str, out: BinaryIO, **options: Any
) -> tuple[int, dict[str, Any]]:
    """What a worker runs: the export and the scope as the audit records it, from one snapshot."""
    with reading(storage) as source:
        return write(source, course, scope, fmt, out, **options), scope_dict(source, scope)


def scope_dict(source: Storage | Reader, scope: Scope) -> dict[str, Any]:
    names = [c.name for i in scope.cohort_ids if (c := source.cohorts.get(i))]
    return {
        **{k: v for k, v in asdict(scope).items() if v is not None},
        "cohort_ids": list(scope.cohort_ids),
        "cohorts": names,
    }


def _portfolios(
    source: Storage | Reader, course: Course, scope: Scope, locale: str
) -> Iterator[tuple[str, list[PortfolioEntry], str]]:
    """One participant at a time: their runs, answers and ratings within the scope, in their language
    (the one they chose, else that of their latest run in the scope, else `locale`)."""
    by_participant: dict[int, str] = {}
    for row in source.exports.answers(scope.cohort_ids, **scope.filters()):
        by_participant.setdefault(row.participant_id, participant_label(row.participant_id, row.participant_name))
    for participant_id, label in by_participant.items():
        reflections = [
            r
            for r in source.runs.reflections(participant_id)
            if r.cohort_id in scope.cohort_ids and _in_scope(r, scope)
        ]
        run_ids = {r.run_id for r in reflections}
        runs = [r for r in source.runs.of(participant_id) if r.id in run_ids]
        stances = [s for s in source.runs.stances(participant_id) if s.run_id in run_ids]
        person = source.participants.get(participant_id)
        theirs = (person.locale if person else None) or (runs[-1].state.get("locale") if runs else None) or locale
        comments = source.feedback.of(participant_id)
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
    answers: int = 0
    """Answers the overview counts (the audit record's count)."""


def overview(source: Storage | Reader, course: Course, cohort_ids: tuple[int, ...], locale: str = "en") -> Any:
    """The cohort overview from SQL aggregates: counts per dialogue, word count and rating, and one
    row per participant and dialogue; never one per answer."""
    queries = source.exports
    counts = report.Counts(
        runs=queries.run_counts(cohort_ids),
        words=queries.word_counts(cohort_ids),
        before=queries.latest_stances(cohort_ids, "before"),
        after=queries.latest_stances(cohort_ids, "after"),
        progress=(
            (p.participant_id, participant_label(p.participant_id, p.participant_name), p.dialogue_id, bool(p.finished))
            for p in queries.progress(cohort_ids)
        ),
    )
    return report.summarise(counts, course, locale)


def build_report(storage: Storage, course: Course, cohort: Cohort, t: Callable[..., str], locale: str = "en") -> Report:
    """The overview of one cohort and its chart in the reader's language (`t`, `locale`), read
    through a connection of its own."""
    with reading(storage) as source:
        view = overview(source, course, (cohort.id,), locale)
        answers = source.exports.answer_count((cohort.id,))
        shifts = paired_shifts([run_record(r) for r in source.exports.runs((cohort.id,))])
    text, markdown = overview_text.overview_text(view, t), overview_text.overview_markdown(view, t)
    return Report(view, text, markdown, chart.stance_chart_png(view, t, shifts), answers)


def _audit_report(storage: Storage, cohort: Cohort, actor: str, result: Report) -> None:
    storage.cohorts.record_audit(actor, "report", scope_dict(storage, Scope((cohort.id,))), result.answers)


def cohort_report(
    storage: Storage, course: Course, cohort: Cohort, *, actor: str, t: Callable[..., str], locale: str = "en"
) -> Report:
    """The overview of one cohort, its chart, and the audit record that it was viewed."""
    result = build_report(storage, course, cohort, t, locale)
    _audit_report(storage, cohort, actor, result)
    return result


class Exports:
    """The export use cases over one storage, for the shells (which never hold storage themselves)."""

    def __init__(self, storage: Storage, course: Course):
        self.storage = storage
        self.course = course
        self._pool: ThreadPoolExecutor | None = None

    def export(self, scope: Scope, fmt: str, out: BinaryIO, **options: Any) -> int:
        return export(self.storage, self.course, scope, fmt, out, **options)

    def send_xapi(self, scope: Scope, options: lrs.XapiSettings, client: Client, *, actor: str) -> lrs.Delivery:
        """Send the scope's xAPI statements to an LRS (bot/app/lrs.py), audited."""
        return lrs.send(
            self.storage, self.course, scope, options, client, actor=actor, audit_scope=scope_dict(self.storage, scope)
        )

    def cohort_report(self, cohort: Cohort, *, actor: str, t: Callable[..., str], locale: str = "en") -> Report:
        return cohort_report(self.storage, self.course, cohort, actor=actor, t=t, locale=locale)

    async def export_in_worker(self, scope: Scope, fmt: str, out: BinaryIO, *, actor: str, **options: Any) -> int:
        """`export`, with the reading and writing in a worker thread: the event loop goes on serving
        participants meanwhile. The audit record is written here, on the loop, once it is done."""
        count, scope_seen = await self._in_worker(_export, self.storage, self.course, scope, fmt, out, **options)
        self.storage.cohorts.record_audit(actor, f"export:{fmt}", scope_seen, count)
        return count

    async def report_in_worker(
        self, cohort: Cohort, *, actor: str, t: Callable[..., str], locale: str = "en"
    ) -> Report:
        """`cohort_report`, with the overview and its chart made in a worker thread."""
        result = await self._in_worker(build_report, self.storage, self.course, cohort, t, locale)
        _audit_report(self.storage, cohort, actor, result)
        return result

    async def _in_worker(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.storage.path == ":memory:":  # no second connection can see it: here and now
            return function(*args, **kwargs)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="elenchus-export")
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(function, *args, **kwargs))

    def close(self) -> None:
        """Wait for exports still running, then let their threads go."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
