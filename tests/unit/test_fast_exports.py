"""The fast exports (rows built in SQL, issue 15) against the record-based writers they replaced
(tests/support/old_exports.py): the same content when parsed, on a varied database with hostile
text, German and English; the overview from SQL aggregates against the one from records; the
stored word counts; the index a dialogue filter uses; the read-only connection."""

from __future__ import annotations

import csv
import io
import itertools
import json
import sqlite3
import unicodedata
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import exporting
from bot.app.records import run_record
from bot.engine import SaveReflection, SaveStance
from bot.engine.listening import word_count
from bot.exports import csv_export
from bot.exports.csv_export import BOM, COLUMNS, neutralise, restore
from bot.reports import overview as report
from bot.storage import Storage
from bot.storage.exports import Reader
from bot.storage.schema import MIGRATIONS

from ..support.content import ROOT
from ..support.old_exports import write_csv, write_json

GENERATED = "2026-12-01T09:00:00.000Z"
HOSTILE = [
    "=1+1",
    " =1+1",
    '=HYPERLINK("http://evil.example","x")',
    "\t=1+1",
    "+1",
    "-1+2",
    "@SUM(1)",
    "\u00a0=1+1",
    "\u200b=1+1",
    "\ufeff=1+1",
    "'=1+1",
    "'' =1+1",
    "'Quoted' Quinn",
    "\uff1d1+1",
    '"quoted", with a comma',
    'He said ""twice""',
    "Line one\nLine two\r\nLine three\r",
    "\n=leading newline",
    "Ärzte prüfen die Qualität, weil „Vertrauen“ zählt.",
    "Größe; ß; naïve café — 🎓📜👩‍🔬 🇪🇺",
    "微证书 شهادة Ελένη",
    "a NUL \x00 inside",
    "\x00=1",
    "",
    " ",
    "'",
    "plain answer, because it is plain",
    "x" * 4000,
]
NAMES = [None, "", "Anna", '=HYPERLINK("x")', " =1+1", 'Zoë "Z"', "'=1", "\u200b@x", "Müller, Jürgen", "a\x00b", "🎓"]


def clock():
    """Timestamps one second apart (so `since` filters cut somewhere)."""
    counter = itertools.count()
    return lambda: f"2026-03-01T09:{(n := next(counter)) // 60 % 60:02d}:{n % 60:02d}.000Z"


def populate(storage: Storage, course) -> dict[str, int]:
    """Two cohorts and answers outside any: every hostile text as answer, question and name; runs in
    English and German of course dialogues and of one the course no longer has; follow-ups, edits,
    ratings given twice, a group session, a negative version."""
    a = storage.cohorts.create("MC-A", "test").id
    b = storage.cohorts.create("MC-B", "test").id
    dialogues = [d.id for d in course.dialogues[:3]] + ["retired-dialogue"]
    texts = itertools.cycle(HOSTILE)
    for n, name in enumerate(NAMES * 2):
        pid = storage.participants.get_or_create(
            "telegram", str(1000 + n), name=name, locale="de" if n % 2 else "en"
        ).id
        cohort = (a, b, None)[n % 3]
        if cohort is not None:
            storage.cohorts.join(cohort, pid)
        for visit, dialogue_id in enumerate(dialogues[: 1 + n % len(dialogues)]):
            version = -1 if (n, visit) == (3, 0) else 1 + visit
            run = storage.runs.start(
                pid, dialogue_id, version, {"version": version}, chat=str(1000 + n), cohort_id=cohort
            )
            saved = [
                SaveReflection(
                    f"q{i}", next(texts), next(texts), ("clarification", "evidence")[i % 2], bool(i % 3 == 2)
                )
                for i in range(4)
            ]
            stances = [SaveStance("before", "before", "Claim „x“", 1 + (n + visit) % 5)]
            if visit % 2 == 0:
                stances += [SaveStance("before", "before", "Claim", 1 + n % 5), SaveStance("after", "after", "C", 5)]
            storage.runs.save_step(
                run, {"version": version}, finished=visit % 2 == 0, reflections=saved, stances=stances
            )
            if n % 4 == 0:
                storage.runs.start(
                    pid, dialogue_id, version, {"version": version}, chat=str(1000 + n), cohort_id=cohort
                )
    first = storage.database.execute("select min(id) from reflections").fetchone()[0]
    storage.runs.edit_reflection(first, "=edited later, " + HOSTILE[16])
    storage.database.execute("update reflections set group_session_id = 7 where id % 5 = 0")
    _comment(storage, texts)
    return {"a": a, "b": b}


def _comment(storage: Storage, texts) -> None:
    """Facilitators' comments with hostile texts and names (a forgotten author among them), some
    answered back, two on some answers."""
    ids = [r for (r,) in storage.database.execute("select id from reflections where id % 7 in (0, 3)").fetchall()]
    for k, reflection_id in enumerate(ids + ids[::3]):
        author = NAMES[k % len(NAMES)]
        reply = next(texts) if k % 2 else None
        storage.database.execute(
            """insert into comments (reflection_id, participant_id, cohort_id, author_id, author_name, text,
                                     created, reply, replied)
               select id, participant_id, cohort_id, ?, ?, ?, ?, ?, ? from reflections where id = ?""",
            [
                None if author is None else 900 + k,
                author,
                next(texts),
                f"2026-03-02T10:00:{k % 60:02d}.000Z",
                reply,
                None if reply is None else "2026-03-03T10:00:00.000Z",
                reflection_id,
            ],
        )


@pytest.fixture(scope="module")
def stored(tmp_path_factory, course) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("fast") / "fast.db"
    storage = Storage(path, clock=clock())
    try:
        return path, populate(storage, course)
    finally:
        storage.close()


@pytest.fixture
def prompts_t(prompts):
    return lambda key, **values: prompts.t(key, "en", **values)


def old_export(storage: Storage, course, scope: exporting.Scope, fmt: str, locale: str) -> str:
    out = io.StringIO(newline="")
    rows = exporting.records(storage, course, scope, locale)
    if fmt == "csv":
        write_csv(rows, out)
    else:
        write_json(rows, out, scope=exporting.scope_dict(storage, scope), generated=GENERATED)
    return out.getvalue()


def new_export(path: Path, course, scope: exporting.Scope, fmt: str, locale: str, t) -> bytes:
    out = io.BytesIO()
    reader = Reader(path)
    try:
        with reader.snapshot():
            count = exporting.write(reader, course, scope, fmt, out, t=t, locale=locale, generated=GENERATED)
    finally:
        reader.close()
    data = out.getvalue()
    assert count == (len(json.loads(data)["reflections"]) if fmt == "json" else len(parse_csv(data.decode())) - 1)
    return data


def parse_csv(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))


def scopes(ids: dict[str, int], course) -> list[exporting.Scope]:
    a, b = ids["a"], ids["b"]
    return [
        exporting.Scope((a,)),
        exporting.Scope((a, b)),
        exporting.Scope((b,), dialogue_id=course.dialogues[0].id),
        exporting.Scope((a, b), dialogue_id="retired-dialogue"),
        exporting.Scope((a,), participant_id=4),
        exporting.Scope((a, b), since="2026-03-01T09:01:30"),
        exporting.Scope(()),
    ]


@pytest.mark.parametrize("locale", ["en", "de"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_fast_exports_have_the_old_exports_content(stored, course, prompts_t, fmt, locale):
    path, ids = stored
    storage = Storage(path)
    try:
        for scope in scopes(ids, course):
            old = old_export(storage, course, scope, fmt, locale)
            new = new_export(path, course, scope, fmt, locale, prompts_t).decode("utf-8")
            if fmt == "csv":
                assert parse_csv(new) == parse_csv(old), scope
                assert new.count("\r\n") >= len(parse_csv(old)), "CRLF line endings"
            else:
                assert json.loads(new) == json.loads(old), scope
    finally:
        storage.close()


def test_the_dataset_is_as_varied_as_it_claims(stored, course, prompts_t):
    """The comparison above means something: both cohorts, every hostile text, both languages."""
    path, ids = stored
    rows = parse_csv(new_export(path, course, exporting.Scope((ids["a"], ids["b"])), "csv", "de", prompts_t).decode())
    body = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    texts = {restore(r["answer"]) for r in body} | {restore(r["question"]) for r in body}
    assert set(HOSTILE) <= texts
    assert {r["cohort"] for r in body} == {"MC-A", "MC-B"}
    assert {r["follow_up"] for r in body} == {"yes", "no"}
    assert any(r["edited"] for r in body) and any(r["group_session"] for r in body)
    assert any(r["dialogue_version"] == "'-1" for r in body), "a negative number is guarded too"
    assert any(r["dialogue_title"] == "retired-dialogue" for r in body)
    titles = {r["dialogue_title"] for r in body}
    assert titles & {localize_title(course, "de")} and not titles & {localize_title(course, "en")} - {
        localize_title(course, "de")
    }


def localize_title(course, locale: str) -> str:
    from bot.engine.step import localize

    return localize(course.dialogues[0].title, locale)


def could_run(cell: str) -> bool:
    """OWASP's reading, as tests/unit/test_export_hardening.py has it: a formula start, possibly
    after invisible characters."""
    if cell.startswith(("\t", "\r", "\n")):
        return True
    visible = "".join(itertools.dropwhile(lambda c: c.isspace() or unicodedata.category(c) in ("Cc", "Cf"), cell))
    return visible[:1] in tuple("=+-@")


def test_no_exported_cell_could_run_as_a_formula(stored, course, prompts_t):
    path, ids = stored
    rows = parse_csv(new_export(path, course, exporting.Scope((ids["a"], ids["b"])), "csv", "en", prompts_t).decode())
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if could_run(cell)]
    assert sum(could_run(restore(cell)) for cell in cells) > 20, "there were formulas to guard"


def test_json_export_matches_its_schema(stored, course, prompts_t):
    path, ids = stored
    document = json.loads(new_export(path, course, exporting.Scope((ids["b"],)), "json", "en", prompts_t))
    schema = json.loads((ROOT / "docs" / "export-schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert {r["follow_up"] for r in document["reflections"]} == {True, False}
    assert any(r["cohort"] is not None and r["stance"]["after"] is None for r in document["reflections"])


def test_an_empty_scope_writes_the_header_and_an_empty_array(stored, course, prompts_t):
    path, _ = stored
    assert parse_csv(new_export(path, course, exporting.Scope(()), "csv", "en", prompts_t).decode()) == [list(COLUMNS)]
    document = json.loads(new_export(path, course, exporting.Scope(()), "json", "en", prompts_t))
    assert document["reflections"] == []


# ---- one cell at a time: the SQL guard is neutralise() ---------------------------------------


@pytest.fixture(scope="module")
def one_row():
    conn = sqlite3.connect(":memory:")
    conn.create_function(csv_export.SQL_GUARD, 1, csv_export.sql_neutralise)
    sql = f"""select {csv_export.row_sql()} from (select ? as participant_name, 3 as participant_id, ? as cohort,
        'd' as dialogue_id, 'T' as dialogue_title, 1 as dialogue_version, ? as question, ? as answer, 'm' as move,
        0 as probe, 5 as word_count, null as stance_before, 2 as stance_after, null as group_session,
        '2026' as created, ? as edited, ? as comments)"""

    def cells(text: str) -> dict[str, str]:
        (line,) = conn.execute(sql, [text] * 6).fetchone()
        (row,) = list(csv.reader(io.StringIO(line, newline="")))
        return dict(zip(COLUMNS, row, strict=True))

    yield cells
    conn.close()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_every_text_cell_is_neutralised_exactly_as_before(one_row, text):
    cells = one_row(text)
    for column in ("cohort", "question", "answer", "edited", "comments"):
        assert cells[column] == neutralise(text), column
    label = f"{text} (P3)" if text else "P3"
    assert cells["participant"] == neutralise(label)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(" \t\u00a0\u200b\ufeff'=+-@a1\r\n\",\x00é"), max_size=8))
def test_the_awkward_characters_read_back_exactly(one_row, text):
    cells = one_row(text)
    assert cells["answer"] == neutralise(text) and restore(cells["answer"]) == text


# ---- the overview from SQL aggregates --------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_overview_from_sql_aggregates_is_the_one_from_records(stored, course, locale):
    path, ids = stored
    storage = Storage(path)
    try:
        for cohort_ids in ((ids["a"],), (ids["b"],), (ids["a"], ids["b"])):
            scope = exporting.Scope(cohort_ids)
            runs = [run_record(r) for r in storage.exports.runs(cohort_ids)]
            from_records = report.overview(
                runs, list(exporting.records(storage, course, scope, locale)), course, locale
            )
            assert exporting.overview(storage, course, cohort_ids, locale) == from_records
            assert from_records.participants and any(d.answers for d in from_records.dialogues)
    finally:
        storage.close()


def test_the_cohort_report_counts_the_answers_for_the_audit(stored, course, prompts_t):
    path, ids = stored
    storage = Storage(path)
    try:
        cohort = storage.cohorts.get(ids["a"])
        result = exporting.cohort_report(storage, course, cohort, actor="test", t=prompts_t)
        expected = storage.database.count("reflections where cohort_id = ?", [ids["a"]])
        assert result.answers == expected > 0
        assert storage.cohorts.audit_log()[0].records == expected
        assert result.chart.startswith(b"\x89PNG") and result.overview.participants
    finally:
        storage.close()


# ---- stored word counts, the index, the read-only connection ---------------------------------


def test_word_counts_are_stored_with_each_answer_and_edit(storage):
    pid = storage.participants.get_or_create("terminal", "w").id
    run = storage.runs.start(pid, "mini", 1, {"version": 1})
    storage.runs.save_step(
        run, {"version": 1}, finished=False, reflections=[SaveReflection("q", "Q", "one two, 3", "m", False)]
    )
    (row,) = storage.runs.reflections(pid)
    assert row.word_count == 3
    storage.runs.edit_reflection(row.id, "Größe zählt: „weil“ 🎓 ok")
    assert storage.runs.reflections(pid)[0].word_count == word_count("Größe zählt: „weil“ 🎓 ok") == 4


def test_the_migration_backfills_word_counts_with_the_same_function(tmp_path):
    import sqlite_utils

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    for number, migration in enumerate(MIGRATIONS[:7], start=1):
        migration(db)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("insert into participants (id, platform, external_id, created) values (1, 't', '1', 'x')")
    conn.execute(
        "insert into runs (id, participant_id, dialogue_id, dialogue_version, state, status, started, updated)"
        " values (1, 1, 'd', 1, '{}', 'active', 'x', 'x')"
    )
    for n, answer in enumerate(HOSTILE):
        conn.execute(
            "insert into reflections (run_id, participant_id, dialogue_id, node_id, question, answer, move, created)"
            " values (1, 1, 'd', ?, 'Q', ?, 'm', 'x')",
            [f"q{n}", answer],
        )
    conn.close()
    storage = Storage(path)
    try:
        assert storage.schema_version == len(MIGRATIONS)
        got = storage.database.execute("select answer, word_count from reflections order by id").fetchall()
        assert got == [(a, word_count(a)) for a in HOSTILE]
    finally:
        storage.close()


def test_an_export_of_one_dialogue_reads_only_that_dialogue(stored, course, prompts_t):
    path, ids = stored
    reader = Reader(path)
    statements: list[str] = []
    reader.database.conn.set_trace_callback(statements.append)
    try:
        scope = exporting.Scope((ids["a"],), dialogue_id=course.dialogues[0].id)
        exporting.write(reader, course, scope, "csv", io.BytesIO(), t=prompts_t)
        (query,) = [s for s in statements if "from reflections r" in s]
        plan = " ".join(row[3] for row in reader.database.conn.execute("explain query plan " + query))
    finally:
        reader.close()
    assert "SEARCH r USING INDEX idx_reflections_cohort_id_dialogue_id (cohort_id=? AND dialogue_id=?)" in plan, plan
    assert "TEMP B-TREE" not in plan, "in answer order without sorting"


def test_the_overview_counts_words_from_the_index_alone(stored):
    path, ids = stored
    reader = Reader(path)
    statements: list[str] = []
    reader.database.conn.set_trace_callback(statements.append)
    try:
        reader.exports.word_counts((ids["a"],))
        query = next(s for s in statements if "group by" in s)
        plan = " ".join(row[3] for row in reader.database.conn.execute("explain query plan " + query))
    finally:
        reader.close()
    assert "USING COVERING INDEX idx_reflections_cohort_id_dialogue_id_word_count" in plan, plan


def test_the_reader_cannot_write(stored):
    path, _ = stored
    reader = Reader(path)
    try:
        with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
            reader.database.execute("delete from reflections")
    finally:
        reader.close()
