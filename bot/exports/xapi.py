"""Answers, ratings and finished runs as xAPI 1.0.3 statements, for a Learning Record Store.

Choices, and why:

- Statement ids are UUIDs (version 5) derived from this installation's random id, the activity
  base and the answer, rating or run (its number and creation time: SQLite gives the number of the
  newest row again once it is deleted, as /forget does). Exporting twice gives the same ids, so an LRS stores nothing
  twice; two installations never make the same id, so one LRS can take the exports of both (ids
  derived from the activity base alone collided there). Statements are immutable in xAPI, so an
  answer edited after an export gets a new id (its edit time is part of the name): the LRS then
  holds both versions rather than refusing the export as a conflict.
- Actors are pseudonymous: an Agent identified only by an account on the home page the operator
  configures, named by an HMAC of the installation's secret and the participant's number (with
  the time they first came, as numbers of forgotten participants are given again). The
  name is stable for one installation (all of a participant's statements have one actor), differs
  between installations, and cannot be turned back into the number without the secret. No names,
  numbers or e-mail addresses leave in this format.
- The run is the xAPI registration (``context.registration``): a UUID derived like the ids, so an
  LRS can group a run's answers, ratings and completion.
- A facilitator's comment on an answer, and the participant's reply to it, use the verb
  "commented" with a StatementRef to the statement commented on (see ``commented``).
- Every answer uses the verb "responded": reflections are open questions without a right answer,
  and one verb for one kind of act keeps LRS queries simple. A follow-up is a different question,
  so it is its own Activity (``.../questions/<node>/follow-up``, with the main question under
  ``contextActivities.other``) and is flagged by the ``follow-up`` context extension.
- A rating of the dialogue's claim is its own "answered" statement on a likert Activity
  (``.../dialogues/<id>/stance/before`` or ``/after``), with ``result.score`` (raw 1-5, min 1, max
  5, scaled 0-1) and the rating as ``result.response``: the opening rating of a run that was never
  finished reaches the LRS too.
- ``context.language`` and the language maps of what the participant was shown (the question, the
  claim) come from the run's language: a German run says "de". A run stored without a language
  gets no ``context.language`` (the xAPI rules forbid it when unknown) and maps under "und"
  (undetermined, RFC 5646). Dialogue names carry every language the course has.
- No property is ever null (an LRS must reject nulls outside extensions): absent values are left out.
- The question "as shown" becomes the question Activity's description. Variants and placeholders mean
  participants can see different wordings of one question; an LRS keeps one description per Activity.

Extensions (IRIs under ``activity_base``): ``/extensions/socratic-move`` (string),
``/extensions/follow-up`` (boolean), ``/extensions/dialogue-version`` (integer) in the context of
answers; ``/extensions/stance-phase`` ("before" or "after") in the context of ratings;
``/extensions/stance-before`` and ``/extensions/stance-after`` (integer 1-5) in the result of
completions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

from ..engine.model import STANCE_MAX, STANCE_MIN
from .records import ReflectionRecord, RunRecord, StanceRecord

RESPONDED = {
    "id": "http://adlnet.gov/expapi/verbs/responded",
    "display": {"en-US": "responded", "de": "antwortete"},
}
ANSWERED = {
    "id": "http://adlnet.gov/expapi/verbs/answered",
    "display": {"en-US": "answered", "de": "beantwortete"},
}
COMPLETED = {
    "id": "http://adlnet.gov/expapi/verbs/completed",
    "display": {"en-US": "completed", "de": "schloss ab"},
}
COMMENTED = {
    "id": "http://adlnet.gov/expapi/verbs/commented",
    "display": {"en-US": "commented", "de": "kommentierte"},
}
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
LESSON = "http://adlnet.gov/expapi/activities/lesson"
COURSE = "http://adlnet.gov/expapi/activities/course"
UNDETERMINED = "und"
LABELS = {
    "en": {"follow-up": "follow-up", "before": "rating before the dialogue", "after": "rating after the dialogue"},
    "de": {"follow-up": "Nachfrage", "before": "Einschätzung vor dem Dialog", "after": "Einschätzung nach dem Dialog"},
}
"""Names of the Activities Elenchus makes up itself, in the run's language (English otherwise)."""


@dataclass(frozen=True)
class Site:
    """Where the statements come from: this installation and the IRIs its operator configured."""

    installation: str
    """The installation's random UUID (made once, stored in the database)."""
    secret: str = field(repr=False)
    """The installation's secret the actors' pseudonyms are derived from."""
    activity_base: str
    homepage: str
    """The home page of the actors' accounts."""
    platform: str = "Elenchus"


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


def pseudonym(secret: str, participant_id: int, since: str | None = None) -> str:
    """The account name of a participant: stable for one installation, meaningless without its secret.

    `since` (when they first came) goes with the number, since SQLite gives the newest
    participant's number again once they are forgotten: the newcomer is someone else."""
    name = f"participant/{participant_id}/{since}" if since else f"participant/{participant_id}"
    return hmac.new(secret.encode(), name.encode(), hashlib.sha256).hexdigest()[:32]


class _Builder:
    """The IRIs, ids and shared parts of the statements of one export."""

    def __init__(self, site: Site, titles: Mapping[str, Mapping[str, str]]):
        self.base = _absolute(site.activity_base, "activity_base")
        self.homepage = _absolute(site.homepage, "homepage")
        self.site = site
        self.titles = titles
        self.namespace = uuid.uuid5(uuid.UUID(site.installation), self.base)

    def uuid(self, name: str) -> str:
        return str(uuid.uuid5(self.namespace, name))

    def extension(self, name: str) -> str:
        return f"{self.base}/extensions/{name}"

    def actor(self, participant_id: int, since: str | None) -> dict[str, Any]:
        name = pseudonym(self.site.secret, participant_id, since)
        return {"objectType": "Agent", "account": {"homePage": self.homepage, "name": name}}

    def facilitator(self, author_id: int | None) -> dict[str, Any]:
        """A comment's author: a pseudonym of their number, or "facilitator" once they were forgotten."""
        name = pseudonym(self.site.secret, author_id) if author_id is not None else "facilitator"
        return {"objectType": "Agent", "account": {"homePage": self.homepage, "name": name}}

    def title(self, dialogue_id: str, locale: str | None, fallback: str | None = None) -> str:
        titles = self.titles.get(dialogue_id, {})
        return titles.get(locale or "en") or fallback or titles.get("en") or dialogue_id

    def dialogue(self, dialogue_id: str, locale: str | None, shown: str | None = None) -> dict[str, Any]:
        """A dialogue Activity, named in every language the course has (or as shown, without titles)."""
        name = dict(self.titles.get(dialogue_id) or ({_key(locale): shown} if shown else {}))
        definition: dict[str, Any] = {"type": LESSON}
        if name:
            definition["name"] = name
        return {
            "objectType": "Activity",
            "id": f"{self.base}/dialogues/{_segment(dialogue_id)}",
            "definition": definition,
        }

    def cohort(self, cohort_id: int | None, name: str | None) -> dict[str, Any] | None:
        if cohort_id is None:
            return None
        definition: dict[str, Any] = {"type": COURSE}
        if name:
            definition["name"] = {UNDETERMINED: name}  # a name the operator chose, in no particular language
        return {"objectType": "Activity", "id": f"{self.base}/cohorts/{_segment(cohort_id)}", "definition": definition}

    def run(self, run_id: int, started: str | None) -> str:
        """The name of a run in ids: SQLite gives a deleted row's id again (after /forget of the
        newest participant), so the start time goes with it."""
        return f"run/{run_id}/{started}" if started else f"run/{run_id}"

    def context(
        self, run: str, locale: str | None, parent: dict | None, cohort: dict | None, extensions: dict | None = None
    ) -> dict[str, Any]:
        context: dict[str, Any] = {"registration": self.uuid(run), "platform": self.site.platform}
        if locale:
            context["language"] = locale
        activities = {kind: [a] for kind, a in (("parent", parent), ("grouping", cohort)) if a}
        if activities:
            context["contextActivities"] = activities
        if extensions:
            context["extensions"] = extensions
        return context

    def answered(self, record: ReflectionRecord) -> dict[str, Any]:
        lang = _key(record.locale)
        question = f"{self.base}/dialogues/{_segment(record.dialogue_id)}/questions/{_segment(record.node_id)}"
        name = f"{self.title(record.dialogue_id, record.locale, record.dialogue_title)}: {record.node_id}"
        if record.probe:
            name += f" ({_label(record.locale, 'follow-up')})"
        context = self.context(
            self.run(record.run_id, record.run_started),
            record.locale,
            self.dialogue(record.dialogue_id, record.locale, record.dialogue_title),
            self.cohort(record.cohort_id, record.cohort),
            {
                self.extension("socratic-move"): record.move,
                self.extension("follow-up"): record.probe,
                self.extension("dialogue-version"): record.dialogue_version,
            },
        )
        if record.probe:
            context["contextActivities"]["other"] = [{"objectType": "Activity", "id": question}]
        edited = f"/edited/{record.edited}" if record.edited else ""
        return {
            "id": self.uuid(f"reflection/{record.reflection_id}/{record.created}{edited}"),
            "actor": self.actor(record.participant_id, record.participant_since),
            "verb": RESPONDED,
            "object": {
                "objectType": "Activity",
                "id": f"{question}/follow-up" if record.probe else question,
                "definition": {
                    "name": {lang: name},
                    "description": {lang: record.question},
                    "type": INTERACTION,
                    "interactionType": "long-fill-in",
                },
            },
            "result": {"response": record.answer},
            "context": context,
            "timestamp": timestamp(record.edited or record.created),
        }

    def rated(self, stance: StanceRecord) -> dict[str, Any]:
        lang = _key(stance.locale)
        low, high = STANCE_MIN, STANCE_MAX
        definition: dict[str, Any] = {
            "name": {lang: f"{self.title(stance.dialogue_id, stance.locale)}: {_label(stance.locale, stance.phase)}"},
            "type": INTERACTION,
            "interactionType": "likert",
        }
        if stance.claim:
            definition["description"] = {lang: stance.claim}
        extensions: dict[str, Any] = {self.extension("stance-phase"): stance.phase}
        if stance.dialogue_version is not None:
            extensions[self.extension("dialogue-version")] = stance.dialogue_version
        return {
            "id": self.uuid(f"stance/{stance.stance_id}/{stance.created}"),
            "actor": self.actor(stance.participant_id, stance.participant_since),
            "verb": ANSWERED,
            "object": {
                "objectType": "Activity",
                "id": f"{self.base}/dialogues/{_segment(stance.dialogue_id)}/stance/{_segment(stance.phase)}",
                "definition": definition,
            },
            "result": {
                "response": str(stance.value),
                "score": {"scaled": (stance.value - low) / (high - low), "raw": stance.value, "min": low, "max": high},
            },
            "context": self.context(
                self.run(stance.run_id, stance.run_started),
                stance.locale,
                self.dialogue(stance.dialogue_id, stance.locale),
                self.cohort(stance.cohort_id, stance.cohort),
                extensions,
            ),
            "timestamp": timestamp(stance.created),
        }

    def completed(self, run: RunRecord) -> dict[str, Any]:
        stances = {"stance-before": run.stance_before, "stance-after": run.stance_after}
        result: dict[str, Any] = {"completion": True}
        if extensions := {self.extension(k): v for k, v in stances.items() if v is not None}:
            result["extensions"] = extensions
        name = self.run(run.run_id, run.started)
        context = self.context(name, run.locale, None, self.cohort(run.cohort_id, run.cohort))
        statement = {
            "id": self.uuid(f"{name}/completed"),
            "actor": self.actor(run.participant_id, run.participant_since),
            "verb": COMPLETED,
            "object": self.dialogue(run.dialogue_id, run.locale),
            "result": result,
            "context": context,
        }
        if run.finished:
            statement["timestamp"] = timestamp(run.finished)
        return statement


def _key(locale: str | None) -> str:
    return locale or UNDETERMINED


def _label(locale: str | None, what: str) -> str:
    return LABELS.get(locale or "en", LABELS["en"])[what]


def statements(
    records: Iterable[ReflectionRecord],
    runs: Iterable[RunRecord],
    stances: Iterable[StanceRecord] = (),
    *,
    site: Site,
    titles: Mapping[str, Mapping[str, str]] | None = None,
) -> Iterator[dict[str, Any]]:
    """One "responded" statement per answer, one "answered" per rating, then one "completed" per
    finished run.

    The site's activity_base and homepage are absolute IRIs (ValueError otherwise). titles maps
    dialogue ids to their titles by language, for the names of dialogue Activities.
    """
    build = _Builder(site, titles or {})  # raises here, not when iterated
    return _generate(build, records, runs, stances)


def _generate(
    build: _Builder, records: Iterable[ReflectionRecord], runs: Iterable[RunRecord], stances: Iterable[StanceRecord]
) -> Iterator[dict]:
    for record in records:
        answered = build.answered(record)
        yield answered
        yield from commented(build, record, answered["id"])
    for stance in stances:
        yield build.rated(stance)
    for run in runs:
        if run.status == "finished":
            yield build.completed(run)


def commented(build: _Builder, record: ReflectionRecord, answered_id: str) -> Iterator[dict[str, Any]]:
    """A facilitator's comment: "commented" on the answer's statement (a StatementRef), with the
    comment as the response; the participant's reply: "commented" on the comment's statement.

    The facilitator is an account like a participant (a pseudonym of their number), or
    "facilitator" once they were forgotten. No context.platform: xAPI allows it only when the
    object is an Activity."""
    cohort = build.cohort(record.cohort_id, record.cohort)
    run = build.run(record.run_id, record.run_started)
    context = {k: v for k, v in build.context(run, record.locale, None, cohort).items() if k != "platform"}
    for comment in record.comments:
        comment_id = build.uuid(f"comment/{comment.id}/{comment.created}")
        yield {
            "id": comment_id,
            "actor": build.facilitator(comment.author_id),
            "verb": COMMENTED,
            "object": {"objectType": "StatementRef", "id": answered_id},
            "result": {"response": comment.text},
            "context": context,
            "timestamp": timestamp(comment.created),
        }
        if comment.reply is not None:
            yield {
                "id": build.uuid(f"comment/{comment.id}/{comment.created}/reply"),
                "actor": build.actor(record.participant_id, record.participant_since),
                "verb": COMMENTED,
                "object": {"objectType": "StatementRef", "id": comment_id},
                "result": {"response": comment.reply},
                "context": context,
                "timestamp": timestamp(comment.replied or comment.created),
            }


def write_xapi(made: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write statements as one JSON array, one statement per line as made; return how many.

    The array can be POSTed to an LRS's statements resource as it is (or sent by bot/exports/lrs.py).
    """
    out.write("[")
    count = 0
    for statement in made:
        out.write(("," if count else "") + "\n  " + json.dumps(statement, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
