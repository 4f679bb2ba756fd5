"""Hardened exports: formula injection in the CSV, HTML and Markdown injection in the portfolios.

Where an independent implementation is at hand the attack is played against it: LibreOffice Calc
imports the CSV (skipped when soffice is not installed), markdown-it-py renders the Markdown.

The CSV rows here are made by the record-based writer the exports used before their rows were built
in SQL (tests/support/old_exports.py); tests/unit/test_fast_exports.py holds the SQL-built export
to the same cells, and plays the hostile cells against it from a database.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.content.prompts import load_prompts
from bot.engine.model import Source
from bot.exports.csv_export import BOM, COLUMNS, neutralise, restore
from bot.exports.portfolio import to_html, to_markdown
from bot.exports.records import Answer, PortfolioEntry, ReflectionRecord

from ..support.content import ROOT
from ..support.old_exports import row, write_csv

GENERATED = "2025-03-05T09:00:00.000Z"
TRIGGERS = "=+-@"


def record(n: int, text: str, **kw: object) -> ReflectionRecord:
    """A record whose every text field is `text`."""
    values: dict[str, object] = {
        "reflection_id": n,
        "run_id": 100 + n,
        "participant_id": n,
        "participant": text,
        "cohort_id": 7,
        "cohort": text,
        "dialogue_id": text,
        "dialogue_title": text,
        "dialogue_version": 2,
        "node_id": text,
        "question": text,
        "answer": text,
        "move": text,
        "probe": False,
        "group_session": None,
        "stance_before": 2,
        "stance_after": 4,
        "created": text,
        "edited": text,
    }
    return ReflectionRecord(**{**values, **kw})


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def could_run(cell: str) -> bool:
    """This test's own reading of OWASP: a formula start, possibly after invisible characters."""
    if cell.startswith(("\t", "\r", "\n")):
        return True
    visible = cell.lstrip("".join(c for c in cell if _invisible(c)))
    return visible[:1] in tuple(TRIGGERS)


# ---- CSV: the guard ------------------------------------------------------------------------------

INVISIBLE_PREFIXES = [
    " ",
    "   ",
    " \t",
    "\u00a0",  # no-break space
    "\u2003",  # em space
    "\u3000",  # ideographic space
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark / zero-width no-break space
    "\u202e",  # right-to-left override
    "\u2028",  # line separator
    "\x0b",
    " \u200b\u00a0 ",
]


@pytest.mark.parametrize("prefix", INVISIBLE_PREFIXES, ids=ascii)
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_a_formula_after_leading_whitespace_is_guarded(prefix, trigger):
    cell = prefix + trigger + "1+1"
    assert neutralise(cell) == "'" + cell
    assert restore(neutralise(cell)) == cell


@pytest.mark.parametrize("cell", ["\uff1d1+1", "\uff0b1", "\uff0d1+2", "\uff20SUM(1)", "\u2212 1", " \uff1d1+1"])
def test_fullwidth_lookalikes_are_left_alone(cell):
    """LibreOffice does not evaluate them (see the soffice test below), so they stay as typed."""
    assert neutralise(cell) == cell


@pytest.mark.parametrize(
    "cell", ["Ordinary prose.", "It's fine", " plain", "'Quoted' Quinn", "a=b", "x-1", "2025-03-01"]
)
def test_ordinary_text_is_unchanged(cell):
    assert neutralise(cell) == cell


def test_every_text_column_is_guarded():
    hostile = " =1+1"
    cells = dict(zip(COLUMNS, row(record(1, hostile)), strict=True))
    text_columns = {"participant", "cohort", "dialogue", "dialogue_title", "question", "answer", "move"}
    text_columns |= {"created", "edited"}
    for column in text_columns:
        assert cells[column] == "'" + hostile, column
    for column in set(COLUMNS) - text_columns:
        assert not could_run(cells[column]), column


def test_a_typed_quote_before_a_formula_still_reads_back_exactly():
    """A stored "'=1" gets a second quote, so that stripping the one added quote is never ambiguous."""
    for stored in ("'=1+1", "'' =1+1", "'\tTabby", "'Quoted' Quinn"):
        assert restore(neutralise(stored)) == stored
    assert neutralise("'=1+1") == "''=1+1"


@given(st.text())
def test_restore_undoes_neutralise(text):
    assert restore(neutralise(text)) == text


@given(st.text())
def test_a_neutralised_cell_never_starts_a_formula(text):
    assert not could_run(neutralise(text))


@given(st.text(alphabet=st.sampled_from(" \t\u00a0\u200b\ufeff'=+-@a1\r\n"), max_size=8))
def test_restore_undoes_neutralise_on_the_awkward_characters(text):
    assert restore(neutralise(text)) == text
    assert not could_run(neutralise(text))


HOSTILE_CELLS = [
    " =1+1",
    "  =1+1",
    '=HYPERLINK("http://evil.example","x")',
    '=HYPERLINK("http://evil.example";"x")',
    "\t=1+1",
    "+1",
    "-1+2",
    "@SUM(1)",
    "=1+1",
    "\u00a0=1+1",
    "\u200b=1+1",
    "\ufeff=1+1",
    "'=1+1",
    "\uff1d1+1",
    "\uff0b1",
]


def _csv_text(records: list[ReflectionRecord]) -> str:
    out = io.StringIO(newline="")
    write_csv(records, out)
    return out.getvalue()


def test_csv_file_reads_back_exactly_after_restoring():
    records = [record(i, cell) for i, cell in enumerate(HOSTILE_CELLS)]
    rows = list(csv.reader(io.StringIO(_csv_text(records).removeprefix(BOM), newline="")))[1:]
    for cell, got in zip(HOSTILE_CELLS, rows, strict=True):
        values = dict(zip(COLUMNS, got, strict=True))
        for column in ("participant", "cohort", "question", "answer"):
            assert not could_run(values[column])
            assert restore(values[column]) == cell


# ---- CSV: LibreOffice as the independent judge ---------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

# LibreOffice's CSV import options, token by token (counted from 0 as sc/source/ui/dbgui/asciiopt.cxx does):
# 0 separator "," (44), 1 text delimiter '"' (34), 2 charset UTF-8 (76), 3 first line 1, 4 column formats
# (none: all "Standard"), 5 language en-US (1033), 6 quoted field as text: false, 7 detect special
# numbers: true, 8 and 9 export only, 10 trim spaces: true, 11 sheet (export only), 12 evaluate formulas: true.
# The most trusting import a user can choose: trimmed, and every formula evaluated.
CSV_IMPORT = "44,34,76,1,,1033,false,true,false,false,true,,true"
ODS = "urn:oasis:names:tc:opendocument:xmlns:"
TABLE, OFFICE, TEXT = f"{{{ODS}table:1.0}}", f"{{{ODS}office:1.0}}", f"{{{ODS}text:1.0}}"


def soffice_command(profile: Path, outdir: Path, *files: Path) -> list[str]:
    return [
        str(SOFFICE),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        f"--infilter=Text - txt - csv (StarCalc):{CSV_IMPORT}",
        "--convert-to",
        "fods",
        "--outdir",
        str(outdir),
        *map(str, files),
    ]


def read_fods(path: Path) -> list[list[tuple[str | None, str | None, str]]]:
    """Each row's cells as (formula, value type, shown text), from a flat OpenDocument spreadsheet."""
    rows = []
    for table_row in ET.parse(path).getroot().iter(TABLE + "table-row"):
        cells = []
        for cell in table_row.iter(TABLE + "table-cell"):
            shown = "\n".join("".join(p.itertext()) for p in cell.iter(TEXT + "p"))
            repeat = min(int(cell.get(TABLE + "number-columns-repeated", "1")), 32)
            cells += [(cell.get(TABLE + "formula"), cell.get(OFFICE + "value-type"), shown)] * repeat
        rows.append(cells)
    return rows


def squash(text: str) -> str:
    """The visible characters only: ODF writes runs of spaces and tabs as elements that read_fods skips."""
    return "".join(c for c in text if not _invisible(c))


@pytest.fixture(scope="module")
def calc(tmp_path_factory) -> dict[str, list[list[tuple[str | None, str | None, str]]]]:
    """The exported CSV and an unguarded control CSV of the same cells, as Calc imported them."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    work = tmp_path_factory.mktemp("soffice")
    exported, control = work / "exported.csv", work / "control.csv"
    exported.write_text(_csv_text([record(i, c) for i, c in enumerate(HOSTILE_CELLS)]), "utf-8", newline="")
    with control.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows([["answer"], *([c] for c in HOSTILE_CELLS)])
    done = subprocess.run(
        soffice_command(work / "profile", work / "out", exported, control),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {name: read_fods(work / "out" / f"{name}.fods") for name in ("exported", "control")}


def test_calc_evaluates_the_unguarded_control(calc):
    """Proof that this setup sees a formula: the raw cells are run, " =1+1" too, once trimmed."""
    shown = {cell: calc["control"][1 + i][0] for i, cell in enumerate(HOSTILE_CELLS)}
    assert shown[" =1+1"] == ("of:=1+1", "float", "2")
    assert shown["=1+1"] == ("of:=1+1", "float", "2")
    assert shown['=HYPERLINK("http://evil.example";"x")'][0] == 'of:=HYPERLINK("http://evil.example";"x")'
    assert shown["+1"][1:] == ("float", "1")
    # LibreOffice 7.4 leaves these as text even unguarded; Excel runs them, so they are guarded anyway.
    assert shown["\uff1d1+1"] == (None, "string", "\uff1d1+1")
    assert shown["\u00a0=1+1"][0] is None


def test_calc_evaluates_no_exported_cell(calc):
    header, *rows = calc["exported"]
    assert [text for _, _, text in header[: len(COLUMNS)]] == list(COLUMNS)
    assert len(rows) >= len(HOSTILE_CELLS)
    formulas = [cell for r in rows for cell in r if cell[0] is not None]
    assert formulas == []
    for cell, cells in zip(HOSTILE_CELLS, rows[: len(HOSTILE_CELLS)], strict=True):
        for column in ("participant", "cohort", "question", "answer"):
            _, kind, shown = cells[COLUMNS.index(column)]
            assert kind == "string", (cell, column, kind, shown)
            assert squash(shown) == squash(neutralise(cell)), (cell, column, shown)


# ---- portfolios: Markdown and HTML ---------------------------------------------------------------


@pytest.fixture(scope="module")
def t():
    prompts = load_prompts(ROOT / "prompts")
    return lambda key, **values: prompts.t(key, "en", **values)


HOSTILE_LINES = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "# Forged heading",
    "## Fake dialogue",
    "### Question: a forged question",
    "- list item",
    "* star item",
    "+ plus item",
    "1. ordered item",
    "2) ordered item",
    "| a | b |",
    "|---|---|",
    "```",
    "~~~",
    "[link](http://evil.example)",
    "![pixel](http://evil.example/p.png)",
    "<http://evil.example>",
    "---",
    "***",
    "___",
    "some text",
    "===",
    "> nested quote",
    "    indented code",
    "   # heading after three spaces",
    "&lt;b&gt; typed entities &amp; &#60; &#x3C;",
    "`code` and **bold** and _em_ and ~~struck~~",
    "back\\slash \\<script>alert(2)</script> \\",
    "<!-- comment -->",
    "</sub><sub>",
    "[ref]: http://evil.example",
    "[ref]",
    "<a href='javascript:alert(3)'>click</a>",
    "Ends with a hash #",
]
HOSTILE_NAME = "Eve <script>alert('name')</script>\n# Forged title"
HOSTILE_SOURCE = Source(
    key="evil",
    short="Evil",
    cite="Evil <img src=x onerror=alert(4)> [x](javascript:alert(5))",
    url="javascript:alert(6)",
)


def hostile_entry() -> PortfolioEntry:
    answers = (
        Answer(
            "Why? <script>alert('q')</script>\n## Fake section #",
            "\n".join(HOSTILE_LINES),
            "<b onmouseover=alert(7)>clarification</b>",
            False,
            "2025-03-01T10:05:00.000Z",
            None,
        ),
        Answer("Carriage returns?", "first\r# CR heading\r\n- CRLF item\rlast", "evidence", True, "2025-03-01", None),
    )
    return PortfolioEntry(
        dialogue_id="evil",
        title="Value <img src=x onerror=alert(8)> & trust #",
        version=1,
        started="2025-03-01T10:00:00.000Z",
        finished=None,
        claim="[Click me](javascript:alert(9)) **now**\n# Forged claim",
        before=2,
        after=None,
        answers=answers,
        sources=(HOSTILE_SOURCE,),
    )


class Page(HTMLParser):
    """Every start tag with its attributes, and the text as a reader sees it (entities decoded)."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.chunks: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.chunks.append(data)

    def handle_comment(self, data):
        self.comments.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def render_markdown(markdown: str) -> str:
    """CommonMark with raw HTML on (as GitHub-like previews and Mahara have it), plus GFM tables and strikethrough."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def one_line(text: str) -> str:
    return " ".join(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def test_markdown_portfolio_renders_no_html_from_answers_or_names(t):
    entry = hostile_entry()
    rendered = render_markdown(to_markdown(HOSTILE_NAME, [entry], t, GENERATED))
    for raw in ("<script", "<img", "<a ", "<!--", "<pre", "<code", "<table", "<hr", "<ol", "<del"):
        assert raw not in rendered, raw
    page = Page(rendered)
    assert not page.comments
    assert {name for name, _ in page.tags} <= {
        "h1",
        "h2",
        "h3",
        "p",
        "blockquote",
        "sub",
        "em",
        "strong",
        "ul",
        "li",
        "br",
    }
    assert all(not attrs for _, attrs in page.tags), "no attribute at all, so no onerror, href or src"
    assert (page.count("h1"), page.count("h2"), page.count("h3")) == (1, 1, len(entry.answers))
    assert page.count("blockquote") == len(entry.answers)
    assert page.count("li") == len(entry.sources)


def test_markdown_portfolio_keeps_every_hostile_word_visible(t):
    entry = hostile_entry()
    text = Page(render_markdown(to_markdown(HOSTILE_NAME, [entry], t, GENERATED))).text
    for line in HOSTILE_LINES:
        assert line.strip() in text, line
    for single in (HOSTILE_NAME, entry.title, entry.claim, entry.answers[0].question, entry.answers[0].move):
        assert one_line(single) in text, single
    for line in ("first", "# CR heading", "- CRLF item", "last"):
        assert line in text
    assert "Evil <img src=x onerror=alert(4)> [x](javascript:alert(5)) javascript:alert(6)" in text


def test_markdown_escaping_leaves_ordinary_prose_alone(t):
    prose = "Größe zählt; „Qualität“ auch. It depends (mostly) on trust, doesn't it? Yes: 50% - or more! 🎓"
    entry = PortfolioEntry(
        "d", "Worth the paper? How a micro-credential earns trust", 1, "2025-03-01", None, "Claims, tested.", None, None,
        (Answer("What do you mean by “value”?", prose + "\n\nSecond paragraph.", "clarification", False, "2025-03-01", None),),
        (),
    )  # fmt: skip
    markdown = to_markdown("Jürgen O'Brien", [entry], t, GENERATED)
    assert "Participant: Jürgen O'Brien  \n" in markdown
    assert "## Worth the paper? How a micro-credential earns trust\n" in markdown
    assert "### Question: What do you mean by “value”?\n" in markdown
    assert f"> {prose}\n>\n> Second paragraph.\n" in markdown
    assert "**Claim:** Claims, tested.  \n" in markdown


HTML_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "p",
    "br",
    "section",
    "h2",
    "h3",
    "strong",
    "ul",
    "li",
}


def test_html_portfolio_escapes_every_hostile_field(t):
    entry = hostile_entry()
    lang = 'en" onload="alert(10)'
    markup = to_html(HOSTILE_NAME, [entry], t, GENERATED, lang)
    assert "<script" not in markup and "<img" not in markup and "<a " not in markup and "<!--" not in markup
    page = Page(markup)
    assert not page.comments
    assert {name for name, _ in page.tags} <= HTML_TAGS
    assert {key for _, attrs in page.tags for key in attrs} <= {"lang", "charset", "class"}
    assert ("html", {"lang": lang}) in page.tags
    assert page.count("h2") == 1 and page.count("h3") == len(entry.answers) + 1  # one per answer, one for sources
    text = page.text
    for line in HOSTILE_LINES:
        assert line in text, line
    for field in (entry.title, entry.claim, entry.answers[0].question, entry.answers[0].move):
        assert field in text, field
    assert "Participant: " + HOSTILE_NAME in text
    assert "Evil <img src=x onerror=alert(4)> [x](javascript:alert(5)) javascript:alert(6)" in text
