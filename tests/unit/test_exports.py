"""Cohort exports: CSV, JSON and the zip of portfolios, on records that try to break them (xAPI: test_xapi.py)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator

import jsonschema
import pytest

from bot.content.prompts import load_prompts
from bot.engine.probes import word_count
from bot.exports.bundle import safe_stem, write_portfolio_zip
from bot.exports.csv_export import BOM, COLUMNS
from bot.exports.records import Answer, PortfolioEntry, ReflectionRecord

from ..support.content import ROOT
from ..support.old_exports import write_csv, write_json
from ..support.records import LONG, fixture_records

FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


def stored_cells(r: ReflectionRecord) -> list[str]:
    """The cells of a record's row as stored, before neutralising."""
    values = [
        r.participant,
        r.cohort,
        r.dialogue_id,
        r.dialogue_title,
        r.dialogue_version,
        r.question,
        r.answer,
        r.move,
        "yes" if r.probe else "no",
        word_count(r.answer),
        r.stance_before,
        r.stance_after,
        r.group_session,
        r.created,
        r.edited,
        "",  # comments: the fixture's records have none (tests/unit/test_feedback.py has some)
    ]
    assert not r.comments
    return ["" if v is None else str(v) for v in values]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))


# ---- CSV -----------------------------------------------------------------------------------------


def test_csv_file_has_bom_header_and_every_cell_exactly(tmp_path):
    path = tmp_path / "reflections.csv"
    records = fixture_records()
    with path.open("w", encoding="utf-8", newline="") as out:
        assert write_csv(records, out) == len(records)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].startswith(",".join(COLUMNS).encode() + b"\r\n")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == len(records) + 1
    neutralised = 0
    for record, got in zip(records, rows[1:], strict=True):
        for stored, cell in zip(stored_cells(record), got, strict=True):
            if stored.startswith(FORMULA):
                assert cell == "'" + stored
                neutralised += 1
            else:
                assert cell == stored
    assert neutralised == 14  # the names and the answers of records 8 to 14


def test_csv_neutralises_only_formula_starts():
    rows = read_csv(_csv(fixture_records()))[1:]
    quoted = {(i, j) for i, row in enumerate(rows) for j, cell in enumerate(row) if cell.startswith("'")}
    stored = [stored_cells(r) for r in fixture_records()]
    expected = {
        (i, j) for i, row in enumerate(stored) for j, cell in enumerate(row) if cell.startswith((*FORMULA, "'"))
    }
    assert quoted == expected
    assert rows[16][0] == "'Quoted' Quinn"  # a leading quote that was typed is not doubled


def _csv(records) -> str:
    out = io.StringIO(newline="")
    write_csv(records, out)
    return out.getvalue()


def test_csv_columns_word_counts_and_flags():
    rows = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in read_csv(_csv(fixture_records()))[1:]}
    assert (
        rows["Laura Long"]["word_count"] == str(word_count(LONG)) == "429"
    )  # 142 whole "Micro-credentials, stacked; " and a part
    assert rows["Laura Long"]["answer"] == LONG and len(LONG) == 4000
    assert rows["Jürgen Ümlaut"]["word_count"] == "7"
    assert rows["Frieda Follow"]["follow_up"] == "yes" and rows["Sam Solo"]["follow_up"] == "no"
    assert rows["Frieda Follow"]["question"] == "Say more?"
    assert rows["Edith Edit"]["edited"] == "2025-03-02T08:00:00.000Z" and rows["Sam Solo"]["edited"] == ""
    assert rows["Sam Solo"]["cohort"] == "" and rows["Sam Solo"]["stance_before"] == ""
    assert rows["Sam Solo"]["stance_after"] == "4" and rows["Ελένη"]["group_session"] == ""
    assert rows["Nora Newline"]["answer"] == "first line\nsecond line\r\nthird line\rfourth"


def test_csv_empty_export_is_just_the_header():
    out = io.StringIO(newline="")
    assert write_csv([], out) == 0
    assert out.getvalue() == BOM + ",".join(COLUMNS) + "\r\n"


def test_csv_streams_row_by_row():
    out = io.StringIO(newline="")
    records = fixture_records()

    def produce() -> Iterator[ReflectionRecord]:
        for i, record in enumerate(records):
            assert len(read_csv(out.getvalue())) == 1 + i  # header and every earlier row already written
            yield record

    assert write_csv(produce(), out) == len(records)


# ---- JSON ----------------------------------------------------------------------------------------

SCOPE = {"cohort": "MC-2025 A", "dialogue": None, "since": "2025-01-01"}
GENERATED = "2025-03-05T12:00:00.000Z"


def _json(records) -> str:
    out = io.StringIO()
    write_json(records, out, scope=SCOPE, generated=GENERATED)
    return out.getvalue()


def schema() -> dict:
    return json.loads((ROOT / "docs" / "export-schema.json").read_text(encoding="utf-8"))


def test_json_is_valid_against_the_published_schema():
    jsonschema.Draft202012Validator.check_schema(schema())
    data = json.loads(_json(fixture_records()))
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    validator.validate(data)
    assert data["format"] == "elenchus.reflections" and data["version"] == 1
    assert data["generated"] == GENERATED and data["scope"] == SCOPE


def test_json_schema_rejects_what_it_should():
    validator = jsonschema.Draft202012Validator(schema())
    good = json.loads(_json(fixture_records()[:1]))
    for broken in (
        {**good, "version": 2},
        {**good, "reflections": [{**good["reflections"][0], "stance": {"before": 6, "after": None}}]},
        {**good, "reflections": [{**good["reflections"][0], "created": "yesterday"}]},
        {k: v for k, v in good.items() if k != "scope"},
    ):
        assert not validator.is_valid(broken)


def test_json_round_trips_every_answer_and_field():
    records = fixture_records()
    data = json.loads(_json(records))
    assert len(data["reflections"]) == len(records)
    for record, item in zip(records, data["reflections"], strict=True):
        assert set(item) == set(schema()["$defs"]["reflection"]["required"])
        assert item["answer"] == record.answer
        assert item["question"] == record.question
        assert item["participant"] == {"id": record.participant_id, "name": record.participant}
        assert item["cohort"] == (None if record.cohort_id is None else {"id": 7, "name": "MC-2025 A"})
        assert item["dialogue"] == {"id": "value-and-trust", "title": "Value and trust", "version": 2}
        assert item["stance"] == {"before": record.stance_before, "after": record.stance_after}
        assert item["follow_up"] is record.probe
        assert item["word_count"] == word_count(record.answer)
        assert (item["id"], item["run_id"], item["node"], item["move"]) == (
            record.reflection_id,
            record.run_id,
            record.node_id,
            record.move,
        )
        assert (item["created"], item["edited"], item["group_session"]) == (record.created, record.edited, None)


def test_json_writes_text_unescaped_and_empty_exports_parse():
    assert "王芳" in _json(fixture_records()) and "🎓" in _json(fixture_records())
    empty = json.loads(_json([]))
    assert empty["reflections"] == []
    jsonschema.validate(empty, schema())


def test_json_streams_record_by_record():
    out = io.StringIO()
    records = fixture_records()

    def produce() -> Iterator[ReflectionRecord]:
        for i, record in enumerate(records):
            assert out.getvalue().count('"run_id"') == i
            yield record

    assert write_json(produce(), out, scope={}, generated=GENERATED) == len(records)
    assert len(json.loads(out.getvalue())["reflections"]) == len(records)


# ---- zip of portfolios ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def t():
    prompts = load_prompts(ROOT / "prompts")
    return lambda key, **values: prompts.t(key, "en", **values)


def entry(answer: str) -> PortfolioEntry:
    return PortfolioEntry(
        dialogue_id="value-and-trust",
        title="Value & trust",
        version=2,
        started="2025-03-01T10:00:00.000Z",
        finished="2025-03-01T10:20:00.000Z",
        claim="Micro-credentials are worth it.",
        before=2,
        after=4,
        answers=(Answer("What do you mean?", answer, "clarification", False, "2025-03-01T10:05:00.000Z", None),),
        sources=(),
    )


LABELS = [
    "Alice",
    "Alice",
    "alice",
    "../evil",
    "..\\..\\win",
    "<script>alert(1)</script>",
    "王芳",
    "CON",
    "  ",
    "a/b:c*d",
]


def _zip(portfolios, t) -> tuple[int, zipfile.ZipFile]:
    out = io.BytesIO()
    count = write_portfolio_zip(portfolios, out, t, GENERATED)
    return count, zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_zip_has_one_markdown_one_html_and_one_leap2a_per_participant(t):
    portfolios = [(label, [entry(f"Answer of {label} <script>alert('x')</script>")]) for label in LABELS]
    count, archive = _zip(portfolios, t)
    assert count == len(LABELS)
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[-1] == "README.txt"
    md = [n for n in names if n.endswith(".md")]
    html = [n for n in names if n.endswith(".html")]
    leap = [n for n in names if n.endswith(".leap2a.zip")]
    assert len(md) == len(html) == len(leap) == len(LABELS)
    assert [n.removesuffix(".md") for n in md] == [n.removesuffix(".html") for n in html]
    assert [n.removesuffix(".md") for n in md] == [n.removesuffix(".leap2a.zip") for n in leap]
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert re.fullmatch(r"[\w][\w.-]*\.(md|html|txt|leap2a\.zip)", name), name
        assert ".." not in name and "/" not in name and "\\" not in name
    assert md[:3] == ["Alice.md", "Alice-2.md", "alice-3.md"]
    assert "evil.md" in md and "王芳.md" in md and "participant.md" in md and "participant-2.md" in md
    readme = archive.read("README.txt").decode("utf-8")
    assert all(name in readme for name in md + html + leap)
    assert "Portfolio of reflections" in readme


def test_zip_html_escapes_and_markdown_keeps_the_words(t):
    _, archive = _zip([("<script>alert(1)</script>", [entry("Größe <script>alert('x')</script> 🎓")])], t)
    html = archive.read("script-alert-1-script.html").decode("utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Größe &lt;script&gt;" in html
    markdown = archive.read("script-alert-1-script.md").decode("utf-8")
    assert "Participant: &lt;script&gt;alert(1)&lt;/script&gt;" in markdown and "🎓" in markdown


def test_zip_writes_participant_by_participant(t):
    out = io.BytesIO()

    def produce():
        for i, label in enumerate(["Ann", "Ben", "Cy"]):
            assert out.getvalue().count(b".html") >= i  # earlier participants' files are already in the stream
            yield label, [entry("An answer.")]

    assert write_portfolio_zip(produce(), out, t, GENERATED) == 3
    assert zipfile.ZipFile(io.BytesIO(out.getvalue())).testzip() is None


def test_zip_of_nobody_is_a_valid_zip_with_a_readme(t):
    count, archive = _zip([], t)
    assert count == 0 and archive.namelist() == ["README.txt"]


@pytest.mark.parametrize(
    ("label", "stem"),
    [
        ("../evil", "evil"),
        ("..", "participant"),
        ("nul.txt", "participant"),
        ("Anna-Lena O'Brien", "Anna-Lena-O-Brien"),
        ("x" * 200, "x" * 60),
        ("\u0000\u202etxt.exe", "txt.exe"),
    ],
)
def test_safe_stem(label, stem):
    assert safe_stem(label) == stem
