"""Reflections and finished runs as xAPI 1.0.3 statements, for a Learning Record Store.

Choices, and why:

- Actors are pseudonymous: an Agent identified only by an account on ``homepage`` whose name is
  the participant's internal number. No names and no e-mail addresses leave in this format.
- Statement ids are UUIDs (version 5) computed from ``activity_base`` and the reflection or run, so
  exporting twice gives the same ids and an LRS does not store a statement twice. Statements are
  immutable in xAPI, so an answer edited after an export gets a new id (its edit time is part of the
  name): the LRS then holds both versions rather than refusing the export as a conflict.
- A facilitator's comment on an answer, and the participant's reply to it, use the verb
  "commented" with a StatementRef to the statement commented on (see ``commented``).
- Every answer uses the verb "responded": reflections are open questions without a right answer,
  and one verb for one kind of act keeps LRS queries simple. A follow-up is a different question,
  so it is its own Activity (``.../questions/<node>/follow-up``, with the main question under
  ``contextActivities.other``) and is flagged by the ``follow-up`` context extension.
- No property is ever null (an LRS must reject nulls outside extensions): absent values are left out.
- ``context.language`` is set only when the caller passes ``language``: the xAPI rules forbid it when
  unknown, and a record does not say which language its participant used. Language maps of
  activity names then use the tag "und" (undetermined, RFC 5646).
- The question "as shown" becomes the question Activity's description. Variants and placeholders mean
  participants can see different wordings of one question; an LRS keeps one description per Activity.

Extensions (IRIs under ``activity_base``): ``/extensions/socratic-move`` (string),
``/extensions/follow-up`` (boolean), ``/extensions/dialogue-version`` (integer) in the context of
answers; ``/extensions/stance-before`` and ``/extensions/stance-after`` (integer 1-5) in the
result of completions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

from .records import ReflectionRecord, RunRecord

RESPONDED = {"id": "http://adlnet.gov/expapi/verbs/responded", "display": {"en-US": "responded"}}
COMMENTED = {"id": "http://adlnet.gov/expapi/verbs/commented", "display": {"en-US": "commented"}}
COMPLETED = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
LESSON = "http://adlnet.gov/expapi/activities/lesson"
COURSE = "http://adlnet.gov/expapi/activities/course"
UNDETERMINED = "und"


def _absolute(iri: str, what: str) -> str:
    parts = urlsplit(iri)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"{what} must be an absolute IRI such as https://example.org/elenchus, not {iri!r}")
    return iri.rstrip("/")


def _segment(value: object) -> str:
    return quote(str(value), safe="")


def timestamp(value: str) -> str:
    """An ISO 8601 timestamp in UTC with milliseconds and "Z"; a stored time without a zone is UTC."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Builder:
    """The IRIs, ids and shared parts of the statements of one export."""

    def __init__(self, activity_base: str, homepage: str, platform: str, language: str | None, titles: Mapping):
        self.base = _absolute(activity_base, "activity_base")
        self.homepage = _absolute(homepage, "homepage")
        self.platform = platform
        self.language = language
        self.lang_key = language or UNDETERMINED
        self.titles = titles
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, self.base)

    def statement_id(self, name: str) -> str:
        return str(uuid.uuid5(self.namespace, name))

    def extension(self, name: str) -> str:
        return f"{self.base}/extensions/{name}"

    def actor(self, participant_id: int | str) -> dict[str, Any]:
        return {"objectType": "Agent", "account": {"homePage": self.homepage, "name": str(participant_id)}}

    def dialogue(self, dialogue_id: str, title: str | None = None) -> dict[str, Any]:
        definition: dict[str, Any] = {"type": LESSON}
        if title := title or self.titles.get(dialogue_id):
            definition["name"] = {self.lang_key: title}
        return {
            "objectType": "Activity",
            "id": f"{self.base}/dialogues/{_segment(dialogue_id)}",
            "definition": definition,
        }

    def cohort(self, cohort_id: int, name: str | None) -> dict[str, Any]:
        definition: dict[str, Any] = {"type": COURSE}
        if name:
            definition["name"] = {self.lang_key: name}
        return {"objectType": "Activity", "id": f"{self.base}/cohorts/{_segment(cohort_id)}", "definition": definition}

    def question_id(self, record: ReflectionRecord) -> str:
        return f"{self.base}/dialogues/{_segment(record.dialogue_id)}/questions/{_segment(record.node_id)}"

    def context(self, parent: list[dict] | None, cohort: dict | None, extensions: dict | None = None) -> dict:
        activities: dict[str, list[dict]] = {}
        if parent:
            activities["parent"] = parent
        if cohort:
            activities["grouping"] = [cohort]
        context: dict[str, Any] = {"platform": self.platform}
        if self.language:
            context["language"] = self.language
        if activities:
            context["contextActivities"] = activities
        if extensions:
            context["extensions"] = extensions
        return context

    def answered(self, record: ReflectionRecord) -> dict[str, Any]:
        question = self.question_id(record)
        name = f"{record.dialogue_title}: {record.node_id}"
        object_id = f"{question}/follow-up" if record.probe else question
        cohort = None if record.cohort_id is None else self.cohort(record.cohort_id, record.cohort)
        context = self.context(
            [self.dialogue(record.dialogue_id, record.dialogue_title)],
            cohort,
            {
                self.extension("socratic-move"): record.move,
                self.extension("follow-up"): record.probe,
                self.extension("dialogue-version"): record.dialogue_version,
            },
        )
        if record.probe:
            context.setdefault("contextActivities", {})["other"] = [{"objectType": "Activity", "id": question}]
        edited = f"/edited/{record.edited}" if record.edited else ""
        return {
            "id": self.statement_id(f"reflection/{record.reflection_id}{edited}"),
            "actor": self.actor(record.participant_id),
            "verb": RESPONDED,
            "object": {
                "objectType": "Activity",
                "id": object_id,
                "definition": {
                    "name": {self.lang_key: f"{name} (follow-up)" if record.probe else name},
                    "description": {self.lang_key: record.question},
                    "type": INTERACTION,
                    "interactionType": "long-fill-in",
                },
            },
            "result": {"response": record.answer},
            "context": context,
            "timestamp": timestamp(record.edited or record.created),
        }

    def completed(self, run: RunRecord) -> dict[str, Any]:
        stances = {"stance-before": run.stance_before, "stance-after": run.stance_after}
        result: dict[str, Any] = {"completion": True}
        if extensions := {self.extension(k): v for k, v in stances.items() if v is not None}:
            result["extensions"] = extensions
        cohort = None if run.cohort_id is None else self.cohort(run.cohort_id, run.cohort)
        statement = {
            "id": self.statement_id(f"run/{run.run_id}/completed"),
            "actor": self.actor(run.participant_id),
            "verb": COMPLETED,
            "object": self.dialogue(run.dialogue_id),
            "result": result,
            "context": self.context(None, cohort),
        }
        if run.finished:
            statement["timestamp"] = timestamp(run.finished)
        return statement


def statements(
    records: Iterable[ReflectionRecord],
    runs: Iterable[RunRecord],
    *,
    activity_base: str,
    homepage: str,
    platform: str = "Elenchus",
    language: str | None = None,
    titles: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """One "responded" statement per reflection, then one "completed" statement per finished run.

    activity_base and homepage are absolute IRIs (ValueError otherwise). titles maps dialogue ids to
    the names given to dialogue Activities in completions (answers carry their own title).
    """
    build = _Builder(activity_base, homepage, platform, language, titles or {})  # raises here, not when iterated
    return _generate(build, records, runs)


def _generate(build: _Builder, records: Iterable[ReflectionRecord], runs: Iterable[RunRecord]) -> Iterator[dict]:
    for record in records:
        answered = build.answered(record)
        yield answered
        yield from commented(build, record, answered["id"])
    for run in runs:
        if run.status == "finished":
            yield build.completed(run)


def commented(build: _Builder, record: ReflectionRecord, answered_id: str) -> Iterator[dict[str, Any]]:
    """A facilitator's comment: "commented" on the answer's statement (a StatementRef), with the
    comment as the response; the participant's reply: "commented" on the comment's statement.

    The facilitator is an account like a participant (their internal number), or "facilitator" once
    they were forgotten. No context.platform: xAPI allows it only when the object is an Activity."""
    cohort = None if record.cohort_id is None else build.cohort(record.cohort_id, record.cohort)
    context = {k: v for k, v in build.context(None, cohort).items() if k != "platform"}
    for comment in record.comments:
        comment_id = build.statement_id(f"comment/{comment.id}")
        author = build.actor(comment.author_id) if comment.author_id is not None else build.actor("facilitator")
        yield {
            "id": comment_id,
            "actor": author,
            "verb": COMMENTED,
            "object": {"objectType": "StatementRef", "id": answered_id},
            "result": {"response": comment.text},
            "context": context,
            "timestamp": timestamp(comment.created),
        }
        if comment.reply is not None:
            yield {
                "id": build.statement_id(f"comment/{comment.id}/reply"),
                "actor": build.actor(record.participant_id),
                "verb": COMMENTED,
                "object": {"objectType": "StatementRef", "id": comment_id},
                "result": {"response": comment.reply},
                "context": context,
                "timestamp": timestamp(comment.replied or comment.created),
            }


def write_xapi(records: Iterable[ReflectionRecord], runs: Iterable[RunRecord], out: TextIO, **kw: Any) -> int:
    """Write the statements as one JSON array, one statement per line as made; return how many.

    The keyword arguments are those of statements(). The array can be POSTed to an LRS's
    statements resource as it is.
    """
    out.write("[")
    count = 0
    for statement in statements(records, runs, **kw):
        out.write(("," if count else "") + "\n  " + json.dumps(statement, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
