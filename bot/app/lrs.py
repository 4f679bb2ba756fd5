"""xAPI for a scope of cohorts: the statements (for a file or an LRS), and sending them to an LRS.

The statements are made from what storage holds, streamed: answers, every rating (the opening
rating of an unfinished run too) and finished runs, each in its run's language, with this
installation's identity (storage/schema.py makes it once) in the ids and the actors' pseudonyms.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine import Course
from ..exports import xapi
from ..exports.lrs import Client, LrsError, Sent
from ..storage import Storage
from .records import cohort_comments, reflection_record, run_record, stance_record, with_comments

if TYPE_CHECKING:
    from .exporting import Scope


@dataclass(frozen=True)
class XapiSettings:
    """The operator's IRIs (ELENCHUS_XAPI_BASE, ELENCHUS_XAPI_HOMEPAGE)."""

    activity_base: str
    homepage: str | None = None
    """The home page of the actors' accounts; the activity base when not set."""


def statements(storage: Storage, course: Course, scope: Scope, options: XapiSettings) -> Iterator[dict[str, Any]]:
    """The scope's statements, lazily (ValueError at once for an IRI that is not absolute)."""
    filters = scope.filters()
    installation = storage.exports.installation()
    site = xapi.Site(
        installation=installation.uuid,
        secret=installation.secret,
        activity_base=options.activity_base,
        homepage=options.homepage or options.activity_base,
    )
    comments = cohort_comments(storage, scope.cohort_ids)
    records = (
        with_comments(reflection_record(r, course, r.locale or "en"), comments)
        for r in storage.exports.answers(scope.cohort_ids, **filters, with_locale=True)
    )
    stances = (stance_record(s) for s in storage.exports.stances(scope.cohort_ids, **filters))
    runs = (run_record(r) for r in storage.exports.runs(scope.cohort_ids, **filters))
    dialogues = (*course.dialogues, *course.extra.values())
    titles = {d.id: dict(d.title) for d in dialogues}
    return xapi.statements(records, runs, stances, site=site, titles=titles)


@dataclass(frozen=True)
class Delivery:
    sent: Sent
    error: str | None
    """Why sending stopped early; None when every statement was offered to the LRS."""


def send(
    storage: Storage,
    course: Course,
    scope: Scope,
    options: XapiSettings,
    client: Client,
    *,
    actor: str,
    audit_scope: dict[str, Any],
) -> Delivery:
    """Send the scope's statements to an LRS and audit how many it holds (also after a failure)."""
    error = None
    try:
        sent = client.send(statements(storage, course, scope, options))
    except LrsError as exc:
        sent, error = exc.sent or Sent(), str(exc)
    storage.cohorts.record_audit(actor, "export:xapi-lrs", {**audit_scope, "lrs": client.endpoint.url}, sent.stored)
    return Delivery(sent, error)
