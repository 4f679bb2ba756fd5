"""The xAPI export: every statement valid under the rules and under Learning Locker's validator,
ids and actors unique per installation, each run's language, ratings as statements of their own."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from bot.exports.records import ReflectionRecord, StanceRecord
from bot.exports.xapi import Site, pseudonym, statements, write_xapi

from ..support import xapi_check
from ..support.records import fixture_records, fixture_runs, reflection

BASE = "https://elenchus.example.org/xapi"
HOME = "https://elenchus.example.org"
SITE = Site("0f6b2d7e-3c1a-4e7b-9a53-6f2d8c1e4b90", "secret-of-site-one", BASE, HOME)
OTHER = Site("7c9e6679-7425-40de-944b-e07fc1f90ae7", "secret-of-site-two", BASE, HOME)
TITLES = {"value-and-trust": {"en": "Value and trust", "de": "Wert und Vertrauen"}}
RESPONDED = "http://adlnet.gov/expapi/verbs/responded"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"

# ---- the rules, written out from xAPI 1.0.3 (Part Two, sections 2.2 to 2.4 and 4) ---------------

STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version"}
STATEMENT_KEYS |= {"attachments"}
AGENT_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}
IFIS = {"mbox", "mbox_sha1sum", "openid", "account"}
DEFINITION_KEYS = {"name", "description", "type", "moreInfo", "extensions", "interactionType"}
DEFINITION_KEYS |= {"correctResponsesPattern", "choices", "scale", "source", "target", "steps"}
INTERACTION_TYPES = {"true-false", "choice", "fill-in", "long-fill-in", "matching", "performance"}
INTERACTION_TYPES |= {"sequencing", "likert", "numeric", "other"}
RESULT_KEYS = {"score", "success", "completion", "response", "duration", "extensions"}
CONTEXT_KEYS = {"registration", "instructor", "team", "contextActivities", "revision", "platform", "language"}
CONTEXT_KEYS |= {"statement", "extensions"}
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,}(Z|[+-]\d{2}:\d{2})$")


def absolute_iri(value) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme and parts.netloc) and not re.search(r"\s", value)


def check_uuid(value, where: str) -> None:
    parsed = uuid.UUID(value)
    assert str(parsed) == value and parsed.variant == uuid.RFC_4122, where


def check_language_map(value, where: str) -> None:
    assert isinstance(value, dict) and value, f"{where}: a language map"
    for tag, text in value.items():
        assert LANGUAGE_TAG.match(tag), f"{where}: {tag!r} is not an RFC 5646 tag"
        assert isinstance(text, str), where


def check_extensions(value, where: str) -> None:
    assert isinstance(value, dict), where
    assert all(absolute_iri(k) for k in value), f"{where}: extension keys must be IRIs"


def check_no_nulls(value, where: str = "statement") -> None:
    """xAPI forbids null anywhere except inside extensions."""
    assert value is not None, f"{where} is null"
    if isinstance(value, dict):
        for key, inner in value.items():
            if key != "extensions":
                check_no_nulls(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            check_no_nulls(inner, f"{where}[{i}]")


def check_activity(activity, where: str) -> None:
    assert set(activity) <= {"objectType", "id", "definition"}, where
    assert activity.get("objectType", "Activity") == "Activity", where
    assert absolute_iri(activity["id"]), f"{where}.id"
    definition = activity.get("definition", {})
    assert set(definition) <= DEFINITION_KEYS, where
    for key in ("name", "description"):
        if key in definition:
            check_language_map(definition[key], f"{where}.definition.{key}")
    if "type" in definition:
        assert absolute_iri(definition["type"]), where
    if "interactionType" in definition:
        assert definition["interactionType"] in INTERACTION_TYPES, where
    if "extensions" in definition:
        check_extensions(definition["extensions"], where)


def check_agent(agent) -> None:
    assert set(agent) <= AGENT_KEYS
    assert agent.get("objectType", "Agent") == "Agent"
    assert len(IFIS & set(agent)) == 1, "exactly one inverse functional identifier"
    if "account" in agent:
        assert set(agent["account"]) == {"homePage", "name"}
        assert absolute_iri(agent["account"]["homePage"]) and isinstance(agent["account"]["name"], str)


def check_score(score) -> None:
    assert set(score) <= {"scaled", "raw", "min", "max"}
    assert -1 <= score.get("scaled", 0) <= 1
    if "min" in score and "max" in score:
        assert score["min"] < score["max"]
        assert score["min"] <= score.get("raw", score["min"]) <= score["max"]


def validate_statement(s: dict) -> None:
    assert set(s) <= STATEMENT_KEYS, f"unknown properties {set(s) - STATEMENT_KEYS}"
    assert {"actor", "verb", "object"} <= set(s)
    check_no_nulls(s)
    check_uuid(s["id"], "id")
    check_agent(s["actor"])
    assert set(s["verb"]) <= {"id", "display"} and absolute_iri(s["verb"]["id"])
    check_language_map(s["verb"]["display"], "verb.display")
    if s["object"].get("objectType") == "StatementRef":  # 2.4.4.3: an id of another statement, nothing else
        assert set(s["object"]) == {"objectType", "id"}
        check_uuid(s["object"]["id"], "object.id")
        assert not {"revision", "platform"} & set(s.get("context", {})), "only when the object is an Activity"
    else:
        check_activity(s["object"], "object")
    result = s.get("result", {})
    assert set(result) <= RESULT_KEYS
    if "response" in result:
        assert isinstance(result["response"], str)
    if "completion" in result:
        assert isinstance(result["completion"], bool)
    if "score" in result:
        check_score(result["score"])
    if "extensions" in result:
        check_extensions(result["extensions"], "result.extensions")
    context = s.get("context", {})
    assert set(context) <= CONTEXT_KEYS
    if "registration" in context:
        check_uuid(context["registration"], "context.registration")
    if "language" in context:
        assert LANGUAGE_TAG.match(context["language"])
    for kind, activities in context.get("contextActivities", {}).items():
        assert kind in {"parent", "grouping", "category", "other"}
        assert isinstance(activities, list) and activities
        for i, activity in enumerate(activities):
            check_activity(activity, f"context.contextActivities.{kind}[{i}]")
    if "extensions" in context:
        check_extensions(context["extensions"], "context.extensions")
    assert TIMESTAMP.match(s["timestamp"]), s["timestamp"]
    assert datetime.fromisoformat(s["timestamp"]).tzinfo is not None


# ---- fixtures ------------------------------------------------------------------------------------


def german() -> list[ReflectionRecord]:
    return [
        reflection(
            19,
            "Gerda Grün",
            "Weil Arbeitgeber den Nachweis kennen müssen, sonst zählt er nicht.",
            question="Was meinen Sie mit „Wert“?",
            dialogue_title="Wert und Vertrauen",
            locale="de",
        ),
        reflection(20, "Gerda Grün", "Weiß nicht.", probe=True, question="Woran denken Sie?", locale="de"),
    ]


def stances() -> list[StanceRecord]:
    """Ratings: an English run's before and after, a German run's before, and the opening rating
    of a run that was never finished (run 103 is active in fixture_runs)."""

    def stance(n: int, run_id: int, phase: str, value: int, locale: str | None, **kw) -> StanceRecord:
        values = {
            "stance_id": n,
            "run_id": run_id,
            "participant_id": run_id - 100,
            "cohort_id": 7,
            "cohort": "MC-2025 A",
            "dialogue_id": "value-and-trust",
            "dialogue_version": 2,
            "phase": phase,
            "claim": "A micro-credential is worth what employers trust it to be worth.",
            "value": value,
            "created": f"2025-03-01T09:{n:02d}:00.000Z",
            "locale": locale,
            "run_started": f"2025-03-01T10:{run_id - 100:02d}:00.000Z",  # as the record's, as in fixture_runs
        }
        return StanceRecord(**{**values, **kw})

    return [
        stance(1, 101, "before", 2, "en"),
        stance(2, 101, "after", 4, "en"),
        stance(3, 119, "before", 5, "de", claim="Ein Microcredential ist so viel wert, wie Arbeitgeber ihm zutrauen."),
        stance(4, 103, "before", 1, None, claim=None, cohort_id=None, cohort=None),
    ]


def export(site: Site = SITE, **kw) -> list[dict]:
    records = [replace(r, run_started=r.created) for r in fixture_records() + german()]  # as in fixture_runs
    return list(statements(records, fixture_runs(), stances(), site=site, titles=TITLES, **kw))


def by_verb(made: list[dict], verb: str) -> list[dict]:
    return [s for s in made if s["verb"]["id"] == verb]


# ---- tests ---------------------------------------------------------------------------------------


def test_every_statement_meets_the_written_rules():
    made = export() + export(OTHER) + list(statements(fixture_records(), fixture_runs(), site=SITE))
    assert len(by_verb(made, ANSWERED)) == 2 * len(stances())
    for statement in made:
        validate_statement(statement)


@xapi_check.needs_validator
def test_every_statement_is_valid_for_learning_lockers_validator():
    made = export() + list(statements(fixture_records(), fixture_runs(), site=SITE))
    assert {s["verb"]["id"] for s in made} == {RESPONDED, ANSWERED, COMPLETED}
    assert xapi_check.problems(made) == [[] for _ in made]


@xapi_check.needs_validator
def test_both_validators_catch_broken_statements():
    good = export()[0]
    rated = by_verb(export(), ANSWERED)[0]
    broken = [
        {**good, "id": "not-a-uuid"},
        {**good, "timestamp": "yesterday"},
        {**good, "verb": {"id": "responded", "display": {"en-US": "responded"}}},
        {**good, "result": {"response": 42}},
        {**good, "context": {**good["context"], "language": "not a tag!"}},
        {**good, "context": {**good["context"], "registration": "run-101"}},
        {**rated, "result": {**rated["result"], "score": {**rated["result"]["score"], "scaled": 1.5}}},
        {k: v for k, v in good.items() if k != "actor"},
    ]
    for i, problems in enumerate(xapi_check.problems(broken)):
        assert problems, f"Learning Locker's validator let broken statement {i} pass"
        with pytest.raises((AssertionError, KeyError, ValueError)):
            validate_statement(broken[i])


def test_answers_carry_the_answer_a_pseudonymous_actor_and_the_run():
    records = fixture_records()
    made = export()[: len(records)]
    for record, s in zip(records, made, strict=True):
        name = pseudonym(SITE.secret, record.participant_id)
        assert s["actor"] == {"objectType": "Agent", "account": {"homePage": HOME, "name": name}}
        assert re.fullmatch(r"[0-9a-f]{32}", name) and name != str(record.participant_id)
        assert s["result"] == {"response": record.answer}
        assert s["context"]["platform"] == "Elenchus"
        assert s["context"]["registration"] == str(
            uuid.uuid5(uuid.uuid5(uuid.UUID(SITE.installation), BASE), f"run/{record.run_id}/{record.created}")
        )
        assert s["context"]["extensions"][f"{BASE}/extensions/socratic-move"] == record.move
        parent = s["context"]["contextActivities"]["parent"][0]
        assert parent["id"] == f"{BASE}/dialogues/value-and-trust"
        assert parent["definition"]["name"] == TITLES["value-and-trust"]  # every language the course has
        grouping = s["context"]["contextActivities"].get("grouping")
        assert grouping == (None if record.cohort_id is None else [grouping[0]])
        if grouping:
            assert grouping[0]["id"] == f"{BASE}/cohorts/7"
        question = f"{BASE}/dialogues/value-and-trust/questions/{record.node_id}"
        assert s["object"]["id"] == (f"{question}/follow-up" if record.probe else question)
        assert s["object"]["definition"]["description"] == {"und": record.question}  # no language stored
        assert "language" not in s["context"]
        assert s["object"]["definition"]["interactionType"] == "long-fill-in"
        assert s["verb"] == {"id": RESPONDED, "display": {"en-US": "responded", "de": "antwortete"}}
        assert s["timestamp"] == (record.edited or record.created)
    assert made[14]["context"]["contextActivities"]["other"] == [
        {"objectType": "Activity", "id": f"{BASE}/dialogues/value-and-trust/questions/q1"}
    ]


def test_a_german_run_gives_german_language_maps_and_context_language():
    made = export()
    answer, follow_up = made[len(fixture_records())], made[len(fixture_records()) + 1]
    for s in (answer, follow_up):
        assert s["context"]["language"] == "de"
        assert set(s["object"]["definition"]["name"]) == set(s["object"]["definition"]["description"]) == {"de"}
    assert answer["object"]["definition"]["description"] == {"de": "Was meinen Sie mit „Wert“?"}
    assert answer["object"]["definition"]["name"] == {"de": "Wert und Vertrauen: q1"}
    assert follow_up["object"]["definition"]["name"] == {"de": "Wert und Vertrauen: q1 (Nachfrage)"}
    rated = by_verb(made, ANSWERED)[2]
    assert rated["context"]["language"] == "de"
    assert rated["object"]["definition"]["name"] == {"de": "Wert und Vertrauen: Einschätzung vor dem Dialog"}
    assert rated["object"]["definition"]["description"] == {
        "de": "Ein Microcredential ist so viel wert, wie Arbeitgeber ihm zutrauen."
    }
    english = replace(german()[0], locale="en", question="What do you mean by “value”?")
    again = next(statements([english], [], site=SITE, titles=TITLES))
    assert again["context"]["language"] == "en" and again["object"]["definition"]["name"] == {
        "en": "Value and trust: q1"
    }


def test_each_rating_is_a_statement_with_its_score_even_in_an_unfinished_run():
    made = by_verb(export(), ANSWERED)
    assert len(made) == len(stances())
    for stance, s in zip(stances(), made, strict=True):
        assert s["object"]["id"] == f"{BASE}/dialogues/value-and-trust/stance/{stance.phase}"
        assert s["object"]["definition"]["interactionType"] == "likert"
        low, high = 1, 5
        assert s["result"] == {
            "response": str(stance.value),
            "score": {"scaled": (stance.value - low) / (high - low), "raw": stance.value, "min": low, "max": high},
        }
        assert s["context"]["extensions"][f"{BASE}/extensions/stance-phase"] == stance.phase
        assert s["timestamp"] == stance.created
    unfinished = made[3]
    assert [r.status for r in fixture_runs() if r.run_id == 103] == ["active"]
    assert unfinished["result"]["score"] == {"scaled": 0.0, "raw": 1, "min": 1, "max": 5}
    assert "language" not in unfinished["context"] and "description" not in unfinished["object"]["definition"]
    assert "grouping" not in unfinished["context"]["contextActivities"]
    assert made[0]["object"]["definition"]["name"] == {"en": "Value and trust: rating before the dialogue"}
    # a run's answers, ratings and completion share its registration
    runs = {
        s["context"]["registration"] for s in export() if s["actor"]["account"]["name"] == pseudonym(SITE.secret, 1)
    }
    assert len(runs) == 1


def test_ids_are_stable_unique_and_differ_between_installations():
    first, second = export(), export()
    assert [s["id"] for s in first] == [s["id"] for s in second]
    assert len({s["id"] for s in first}) == len(first)
    other = export(OTHER)
    assert not {s["id"] for s in other} & {s["id"] for s in first}, "two installations, one LRS: no collision"
    actors = {json.dumps(s["actor"]) for s in first}
    assert not actors & {json.dumps(s["actor"]) for s in other}, "participant 1 here is not participant 1 there"
    assert not {s["id"] for s in export(replace(SITE, activity_base="https://other.example/x"))} & {
        s["id"] for s in first
    }
    record = replace(fixture_records()[0], run_started=fixture_records()[0].created)
    original = next(statements([record], [], site=SITE))
    assert original["id"] == first[0]["id"]
    edited = replace(record, edited="2025-04-01T00:00:00.000Z")
    assert next(statements([edited], [], site=SITE))["id"] != original["id"]
    # SQLite gives the newest row's number again once it is deleted (/forget): a new answer under
    # an old number is a new statement in a new run
    reused = replace(record, created="2025-05-01T00:00:00.000Z", run_started="2025-05-01T00:00:00.000Z")
    again = next(statements([reused], [], site=SITE))
    assert again["id"] != original["id"]
    assert again["context"]["registration"] != original["context"]["registration"]


def test_completed_only_for_finished_runs():
    runs = fixture_runs()
    completed = by_verb(export(), COMPLETED)
    finished = [r for r in runs if r.status == "finished"]
    assert len(completed) == len(finished) == 12
    for run, s in zip(finished, completed, strict=True):
        assert s["object"]["id"] == f"{BASE}/dialogues/{run.dialogue_id}"
        assert s["result"]["completion"] is True
        assert s["timestamp"] == run.finished
        assert "parent" not in s["context"].get("contextActivities", {})
        extensions = s["result"].get("extensions", {})
        expected = {"stance-before": run.stance_before, "stance-after": run.stance_after}
        assert extensions == {f"{BASE}/extensions/{k}": v for k, v in expected.items() if v is not None}
    assert completed[-1]["object"]["definition"]["name"] == TITLES["value-and-trust"]


def test_the_output_names_nobody_and_numbers_nobody():
    out = io.StringIO()
    count = write_xapi(export(), out)
    made = json.loads(out.getvalue())
    assert count == len(made) == len(fixture_records()) + len(german()) + len(stances()) + 12

    def strings(value) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    texts = list(strings(made))
    for name in {r.participant for r in fixture_records() + german()}:
        assert not any(name.strip() in text for text in texts), name
    assert "mbox" not in out.getvalue()
    assert {s["actor"]["account"]["name"] for s in made}.isdisjoint({str(r.participant_id) for r in fixture_records()})


def test_streams_and_refuses_relative_iris():
    out = io.StringIO()
    records = fixture_records()

    def produce() -> Iterator[ReflectionRecord]:
        for i, record in enumerate(records):
            assert out.getvalue().count('"actor"') == i
            yield record

    assert write_xapi(statements(produce(), [], site=SITE), out) == len(records)
    with pytest.raises(ValueError, match="activity_base"):
        statements([], [], site=replace(SITE, activity_base="elenchus/xapi"))
    with pytest.raises(ValueError, match="homepage"):
        statements([], [], site=replace(SITE, homepage="t.me"))
    empty = io.StringIO()
    assert write_xapi(statements([], [], site=SITE), empty) == 0
    assert json.loads(empty.getvalue()) == []


COMMENTED = "http://adlnet.gov/expapi/verbs/commented"


def commented_export() -> list[dict]:
    """The fixture with a facilitator's comment (answered back) and a forgotten facilitator's one."""
    from bot.exports.records import CommentRecord

    first, second, *rest = [replace(r, run_started=r.created) for r in fixture_records()]
    first = replace(
        first,
        comments=(
            CommentRecord(
                1, "Fiona", 42, "Which employer?", "2025-03-02T09:00:00Z", "A hospital lab.", "2025-03-02T10:00:00Z"
            ),
            CommentRecord(2, "", None, "Say more about trust.", "2025-03-03T09:00:00Z"),
        ),
    )
    return list(statements([first, second, *rest], fixture_runs(), site=SITE, titles=TITLES))


def test_comments_and_replies_are_statements_about_the_answer():
    made = commented_export()
    comments = by_verb(made, COMMENTED)
    assert len(comments) == 3
    answered = {s["id"] for s in by_verb(made, RESPONDED)}
    first, reply, forgotten = comments
    assert first["object"] == {"objectType": "StatementRef", "id": first["object"]["id"]}
    assert first["object"]["id"] in answered and forgotten["object"]["id"] in answered
    assert reply["object"]["id"] == first["id"] and reply["result"]["response"] == "A hospital lab."
    assert forgotten["actor"]["account"]["name"] == "facilitator"
    assert "42" not in json.dumps(first["actor"]) and "platform" not in first["context"]
    for statement in comments:
        validate_statement(statement)


@xapi_check.needs_validator
def test_comment_statements_are_valid_for_learning_lockers_validator():
    made = commented_export()
    assert xapi_check.problems(made) == [[] for _ in made]
