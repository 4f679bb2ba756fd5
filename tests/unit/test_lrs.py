"""Sending xAPI to an LRS (`elenchus export --format xapi --lrs URL`), against a faithful fake of the
statements resource: two installations in one LRS, a re-export, a failure mid-way, conflicts."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from bot.app.dialogues import Dialogues
from bot.cli.main import main
from bot.content.loader import load_course
from bot.engine import Buttons, ChoiceInput, Question, StanceInput, StanceQuestion, TextInput
from bot.exports.lrs import Client, Endpoint, LrsError
from bot.storage import Storage

from ..support import xapi_check
from ..support.content import CONTENT
from ..support.fake_lrs import FakeLRS
from ..support.records import fixture_records

ANSWER_EN = "Because the outcomes are listed, for example in the EU format, I trust it more."
ANSWER_DE = "Weil die Lernergebnisse genannt sind, zum Beispiel im EU-Format, vertraue ich ihm mehr."
COURSE = load_course(CONTENT)


def play(storage: Storage, pid: int, locale: str, *, to_the_end: bool) -> None:
    """A run of the first dialogue: the opening rating and one answer, or everything to the end."""
    service = Dialogues(COURSE, storage)
    turn = service.start(pid, COURSE.dialogues[0], locale=locale)
    outputs = list(turn.outputs)
    answered = rated = 0
    while not turn.state.finished:
        pending = next(o for o in reversed(outputs) if isinstance(o, (Question, Buttons, StanceQuestion)))
        if isinstance(pending, StanceQuestion):
            event = StanceInput(4 if rated else 2)  # before 2, after 4
            rated += 1
        elif isinstance(pending, Buttons):
            event = ChoiceInput(0)
        else:
            if answered and not to_the_end:
                return
            event = TextInput(ANSWER_DE if locale == "de" else ANSWER_EN)
            answered += 1
        turn = service.send(pid, storage.runs.get(turn.run_id), event)
        outputs += turn.outputs


def installation(db: Path) -> dict[str, str]:
    """A database with a cohort MC-A: an English participant who finished the first dialogue, a
    German one who finished it, and one who gave only the opening rating and one answer."""
    storage = Storage(db)
    cohort = storage.cohorts.create("MC-A", "test")
    for person, locale, whole in (("Alice", "en", True), ("Gerda", "de", True), ("Uwe", "en", False)):
        pid = storage.participants.get_or_create("telegram", person, name=person, locale=locale).id
        storage.participants.record_consent(pid, f"1-{locale}", True)
        storage.cohorts.join(cohort.id, pid)
        play(storage, pid, locale, to_the_end=whole)
    storage.close()
    return {"ELENCHUS_DB": str(db), "ELENCHUS_XAPI_HOMEPAGE": "https://elenchus.uni.example"}


@pytest.fixture
def lrs():
    validator = xapi_check.problems if xapi_check.missing() is None else None
    with FakeLRS(validator=validator) as fake:
        yield fake


def cli(capsys, monkeypatch, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    for key, value in {"ELENCHUS_LRS_USER": "lrs-user", "ELENCHUS_LRS_PASSWORD": "lrs-secret", **env}.items():
        monkeypatch.setenv(key, value)
    code = main(["export", "--cohort", "MC-A", "--format", "xapi", *args])
    out, err = capsys.readouterr()
    return code, out, err


def export_file(capsys, monkeypatch, env, tmp_path: Path) -> list[dict]:
    path = tmp_path / f"{uuid.uuid4()}.json"
    code, _, err = cli(capsys, monkeypatch, env, "-o", str(path))
    assert code == 0, err
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_export_of_a_real_database_is_valid_and_in_each_runs_language(tmp_path, capsys, monkeypatch):
    env = installation(tmp_path / "one.db")
    made = export_file(capsys, monkeypatch, env, tmp_path)
    verbs = [s["verb"]["display"]["en-US"] for s in made]
    assert verbs.count("completed") == 2 and verbs.count("answered") >= 5  # 2 x 2 ratings + Uwe's opening one
    languages = {s["result"].get("response"): s["context"].get("language") for s in made if "response" in s["result"]}
    assert languages[ANSWER_DE] == "de" and languages[ANSWER_EN] == "en"
    for s in made:
        if s["context"].get("language") == "de" and "description" in s["object"].get("definition", {}):
            assert set(s["object"]["definition"]["description"]) == {"de"}
            assert set(s["object"]["definition"]["name"]) == {"de"}
    german = next(s for s in made if s["result"].get("response") == ANSWER_DE)
    title = COURSE.dialogues[0].title
    assert german["object"]["definition"]["name"]["de"].startswith(title["de"])
    assert german["context"]["contextActivities"]["parent"][0]["definition"]["name"] == dict(title)
    assert {s["actor"]["account"]["homePage"] for s in made} == {"https://elenchus.uni.example"}
    assert len({s["actor"]["account"]["name"] for s in made}) == 3
    unfinished = [
        s
        for s in made
        if s["context"].get("registration")
        not in {c["context"]["registration"] for c in made if c["verb"]["display"]["en-US"] == "completed"}
    ]
    assert [s["result"]["score"]["raw"] for s in unfinished if "score" in s["result"]] == [2]
    if xapi_check.missing() is None:
        assert xapi_check.problems(made) == [[] for _ in made]


def test_two_installations_one_lrs_a_re_export_and_no_duplicates(tmp_path, capsys, monkeypatch, lrs):
    first, second = installation(tmp_path / "one.db"), installation(tmp_path / "two.db")
    expected = {s["id"] for env in (first, second) for s in export_file(capsys, monkeypatch, env, tmp_path)}
    code, out, err = cli(capsys, monkeypatch, first, "--lrs", lrs.endpoint, "--batch-size", "7")
    assert code == 0, err
    first_count = len(lrs.statements)
    assert f"holds {first_count} statement(s)" in out and first_count > 7
    code, out, err = cli(capsys, monkeypatch, second, "--lrs", lrs.endpoint)
    assert code == 0, err
    assert len(lrs.statements) == len(expected) == 2 * first_count, "the same play on two installations: no id shared"
    assert len({json.dumps(s["actor"]) for s in lrs.statements.values()}) == 6
    before = {i: s["stored"] for i, s in lrs.statements.items()}
    code, out, err = cli(capsys, monkeypatch, first, "--lrs", lrs.endpoint)
    assert code == 0, err
    assert {i: s["stored"] for i, s in lrs.statements.items()} == before, "re-export: nothing stored again"
    assert f"holds {first_count} statement(s)" in out
    assert all(status in (200, 204) for _, status in lrs.requests)
    assert "lrs-secret" not in out + err


def test_a_failure_mid_way_is_resumed_without_duplicates(tmp_path, capsys, monkeypatch, lrs):
    env = installation(tmp_path / "one.db")
    total = len(export_file(capsys, monkeypatch, env, tmp_path))
    lrs.fail_next(0)
    original = lrs.handle
    calls = []

    def crash_after_two_batches(method, query, body):
        calls.append(method)
        if len(calls) == 3:
            lrs.fail_next(1, 503)  # the third batch fails
        return original(method, query, body)

    lrs.handle = crash_after_two_batches
    code, _, err = cli(capsys, monkeypatch, env, "--lrs", lrs.endpoint, "--batch-size", "3", "--lrs-retries", "0")
    assert code == 1
    assert (
        "answered 503" in err and "6 statement(s) had been stored before" in err and "Run the same export again" in err
    )
    assert len(lrs.statements) == 6
    lrs.handle = original
    code, _, err = cli(capsys, monkeypatch, env, "--lrs", lrs.endpoint, "--batch-size", "3")
    assert code == 0, err
    assert len(lrs.statements) == total
    assert sorted(lrs.statements) == sorted({s["id"] for s in export_file(capsys, monkeypatch, env, tmp_path)})


def test_a_differing_statement_under_a_known_id_is_a_reported_conflict(tmp_path, capsys, monkeypatch, lrs):
    env = installation(tmp_path / "one.db")
    assert cli(capsys, monkeypatch, env, "--lrs", lrs.endpoint)[0] == 0
    total = len(lrs.statements)
    moved = {**env, "ELENCHUS_XAPI_HOMEPAGE": "https://moved.uni.example"}  # every actor differs now
    code, _, err = cli(capsys, monkeypatch, moved, "--lrs", lrs.endpoint, "--batch-size", "100")
    assert code == 1
    assert f"{total} statement(s) differ from the version the LRS already holds" in err
    assert ("POST", 409) in lrs.requests and lrs.requests.count(("PUT", 409)) == total
    assert len(lrs.statements) == total
    assert {s["actor"]["account"]["homePage"] for s in lrs.statements.values()} == {"https://elenchus.uni.example"}


def test_wrong_credentials_and_bad_urls_are_clear_errors(tmp_path, capsys, monkeypatch, lrs):
    env = installation(tmp_path / "one.db")
    code, out, err = cli(capsys, monkeypatch, {**env, "ELENCHUS_LRS_PASSWORD": "wrong-password"}, "--lrs", lrs.endpoint)
    assert code == 1 and "refused the credentials" in err and "wrong-password" not in out + err
    assert lrs.statements == {}
    code, _, err = cli(capsys, monkeypatch, env, "--lrs", "http://lrs.example.org/xapi")
    assert code == 2 and "in clear" in err
    code, _, err = cli(capsys, monkeypatch, env, "--lrs", "https://user:pw@lrs.example.org/xapi")
    assert code == 2 and "not in the URL" in err and "pw" not in err.replace("ELENCHUS_LRS_PASSWORD", "")
    code, _, err = cli(capsys, monkeypatch, env, "--lrs", lrs.endpoint.replace("/xapi", "/nothing"))
    assert code == 1 and "no statements resource" in err
    code, _, err = cli(capsys, monkeypatch, env, "--lrs", lrs.endpoint, "--format", "csv")
    assert code == 2 and "--format xapi" in err
    lrs.server.server_close()
    code, _, err = cli(capsys, monkeypatch, env, "--lrs", lrs.endpoint, "--lrs-retries", "0")
    assert code == 1 and "could not be reached" in err


def test_the_fake_lrs_behaves_as_the_specification_says(lrs):
    """The fake is only worth what its fidelity is: PUT, POST, 204, 409, 400 and 401 as xAPI says."""
    from bot.exports.xapi import Site, statements

    site = Site(str(uuid.uuid4()), "s", "https://elenchus.example.org/xapi", "https://elenchus.example.org")
    made = list(statements(fixture_records()[:3], [], site=site))
    endpoint = Endpoint.of(lrs.endpoint, "lrs-user", "lrs-secret")
    assert lrs.handle("PUT", {"statementId": [made[0]["id"]]}, made[0]) == (204, None)
    assert lrs.handle("PUT", {"statementId": [made[0]["id"]]}, made[0]) == (204, None)
    changed = {**made[0], "result": {"response": "changed"}}
    assert lrs.handle("PUT", {"statementId": [made[0]["id"]]}, changed)[0] == 409
    assert lrs.handle("PUT", {"statementId": [made[1]["id"]]}, made[0])[0] == 400
    assert lrs.handle("POST", {}, [made[1], made[1]])[0] == 400
    assert lrs.handle("POST", {}, [made[1], changed])[0] == 409 and len(lrs.statements) == 1, "all or nothing"
    waited: list[float] = []
    lrs.fail_next(2, 503)
    sent = Client(endpoint, batch=2, retries=2, wait=waited.append).send(made)
    assert sent.stored == 3 and sent.conflicts == [] and len(lrs.statements) == 3
    assert waited == [1.0, 2.0], "a failed request is retried, waiting longer each time"
    assert lrs.statements[made[0]["id"]]["version"] == "1.0.3"
    if xapi_check.missing() is None:
        assert lrs.handle("POST", {}, [{**made[2], "id": str(uuid.uuid4()), "verb": {"id": "x"}}])[0] == 400
    lrs.handle = lambda method, query, body: (200, {"welcome": "to a web page"})
    with pytest.raises(LrsError, match="not with the statements' ids"):
        Client(endpoint, retries=0).send(made)
    del lrs.handle
    with pytest.raises(LrsError, match="refused the credentials"):
        Client(Endpoint.of(lrs.endpoint, "lrs-user", "nope"), retries=0).send(made)
    import urllib.request

    bare = urllib.request.Request(f"{lrs.endpoint}/statements", data=b"[]", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(bare, timeout=10)
    assert refused.value.code == 400 and refused.value.headers["X-Experience-API-Version"] == "1.0.3"


def test_a_group_members_statements_carry_the_group_sessions_language(sessions, mini, storage):
    """A member's run of a group session has no language of its own: it is the session's."""
    from bot.app.exporting import Scope
    from bot.app.lrs import XapiSettings, statements
    from bot.engine import Course, Question

    cohort = storage.cohorts.create("MC-G", "test")
    ada = storage.participants.get_or_create("telegram", "ada", name="ada").id
    storage.participants.record_consent(ada, "2-de", True)
    storage.cohorts.join(cohort.id, ada)
    session, _ = sessions.start("-100", None, mini, cohort.id, started_by=1, locale="de")
    session, outputs = sessions.next(session)
    question = next(o for o in outputs if isinstance(o, Question))
    sessions.posted(session.id, session.chat, 10, "question", node_id=question.node, question=question.text)
    assert sessions.answer(session, sessions.asked_by("-100", 10)[1], ada, ANSWER_DE, ("-100", 11)).stored
    course = Course("t", {"en": "T"}, {"en": "S"}, (), (mini,))
    made = list(statements(storage, course, Scope((cohort.id,)), XapiSettings("https://elenchus.example.org/xapi")))
    assert [s["result"]["response"] for s in made] == [ANSWER_DE]
    assert made[0]["context"]["language"] == "de" and set(made[0]["object"]["definition"]["description"]) == {"de"}


def test_numbers_given_again_after_forget_make_new_statements_not_conflicts(tmp_path, capsys, monkeypatch, lrs):
    """SQLite gives the newest row's number again once it is deleted: after /forget of the newest
    participant, a newcomer's runs, answers and ratings get that participant's numbers."""
    from bot.app.services import Services

    env = installation(tmp_path / "one.db")
    assert cli(capsys, monkeypatch, env, "--lrs", lrs.endpoint)[0] == 0
    sent = len(lrs.statements)
    storage = Storage(env["ELENCHUS_DB"])
    uwe = storage.participants.find("telegram", "Uwe")
    runs, reflections = storage.runs.of(uwe.id), storage.runs.reflections(uwe.id)
    Services(COURSE, storage).rights.forget(uwe.id)
    cohort = storage.cohorts.by_name("MC-A")
    vera = storage.participants.get_or_create("telegram", "Vera", name="Vera", locale="en").id
    storage.participants.record_consent(vera, "1-en", True)
    storage.cohorts.join(cohort.id, vera)
    play(storage, vera, "en", to_the_end=False)
    assert vera == uwe.id and [r.id for r in storage.runs.of(vera)] == [r.id for r in runs]
    assert [r.id for r in storage.runs.reflections(vera)] == [r.id for r in reflections]
    storage.close()
    code, _, err = cli(capsys, monkeypatch, env, "--lrs", lrs.endpoint)
    assert code == 0, err
    assert len(lrs.statements) == sent + 2  # Vera's opening rating and answer, beside Uwe's
    actors = {s["actor"]["account"]["name"] for s in lrs.statements.values()}
    assert len(actors) == 4, "Vera is not Uwe, although she has his number"


def test_the_command_as_an_operator_runs_it(tmp_path, lrs):
    """`elenchus export --lrs` as a separate process, credentials from the environment only."""
    from ..support.cli import run_cli

    env = {**installation(tmp_path / "one.db"), "ELENCHUS_LRS_USER": "lrs-user", "ELENCHUS_LRS_PASSWORD": "lrs-secret"}
    args = ("export", "--cohort", "MC-A", "--format", "xapi", "--lrs", lrs.endpoint)
    done = run_cli(*args, env=env)
    assert done.returncode == 0, done.stderr
    assert f"the LRS at {lrs.endpoint}/statements holds {len(lrs.statements)} statement(s)" in done.stdout
    assert "lrs-secret" not in done.stdout + done.stderr
    refused = run_cli(*args, env={**env, "ELENCHUS_LRS_PASSWORD": "typo-secret"})
    assert refused.returncode == 1 and "refused the credentials" in refused.stderr
    assert "typo-secret" not in refused.stdout + refused.stderr
    audit = [line.split("\t") for line in run_cli("audit", env=env).stdout.splitlines()]
    sent = [(row[2], int(row[3]), json.loads(row[4])["lrs"]) for row in audit if row[2] == "export:xapi-lrs"]
    where = f"{lrs.endpoint}/statements"
    assert sent == [("export:xapi-lrs", len(lrs.statements), where), ("export:xapi-lrs", 0, where)]  # the refused one
