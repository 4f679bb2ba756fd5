"""The cohort overview and its stance chart, on a small fixture checked by hand."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.content.prompts import load_prompts
from bot.engine.model import Course, Dialogue, text
from bot.exports.records import ReflectionRecord, RunRecord
from bot.reports.chart import stance_chart_png
from bot.reports.overview import Overview, overview
from bot.reports.overview_text import overview_markdown, overview_text

from ..support.content import PROMPTS
from ..support.records import fixture_records, fixture_runs

_PROMPTS = load_prompts(PROMPTS)


def EN(key, **values):
    return _PROMPTS.t(key, "en", **values)


def DE(key, **values):
    return _PROMPTS.t(key, "de", **values)


def dialogue(dialogue_id: str, title: str, **others: str) -> Dialogue:
    return Dialogue(dialogue_id, 1, text(title, **others), text("s"), 10, (), (), (), text("A claim."), {}, "start")


COURSE = Course(
    id="mc",
    title=text("Micro-credentials"),
    summary=text("s"),
    outcomes=(),
    dialogues=(
        dialogue("alpha", "Alpha", de="Alpha auf Deutsch"),
        dialogue("beta", "Beta"),
        dialogue("gamma", "Gamma"),
    ),
)
NAMES = {1: "Ann", 2: "Bob", 3: "Cy"}


def run(run_id, pid, dialogue_id, status, before=None, after=None) -> RunRecord:
    finished = "2025-03-02T10:00:00.000Z" if status == "finished" else None
    return RunRecord(
        run_id, pid, NAMES[pid], 1, "A", dialogue_id, status, "2025-03-01T10:00:00.000Z", finished, before, after
    )


def answer(n, pid, dialogue_id, words: int) -> ReflectionRecord:
    return ReflectionRecord(
        n, n, pid, NAMES[pid], 1, "A", dialogue_id, dialogue_id.title(), 1, "q", "Q?", " ".join(["word"] * words),
        "evidence", False, None, None, None, "2025-03-01T10:00:00.000Z", None,
    )  # fmt: skip


RUNS = [
    run(1, 1, "alpha", "finished", 2, 4),
    run(2, 2, "alpha", "finished", 3, 3),
    run(3, 3, "alpha", "active", 2),
    run(4, 1, "beta", "abandoned", 5),
    run(5, 1, "beta", "finished", 4, 5),  # Ann ran beta again: her latest stances count, once
    run(6, 2, "extra-one", "active"),  # not in the course (any more)
]
ANSWERS = [answer(1, 1, "alpha", 3), answer(2, 2, "alpha", 5), answer(3, 3, "alpha", 10), answer(4, 1, "alpha", 2)]
ANSWERS += [answer(5, 1, "beta", 7)]


@pytest.fixture
def ov() -> Overview:
    return overview(iter(RUNS), iter(ANSWERS), COURSE)


def test_dialogues_in_course_order_then_others(ov):
    assert [d.dialogue_id for d in ov.dialogues] == ["alpha", "beta", "gamma", "extra-one"]
    assert [d.title for d in ov.dialogues] == ["Alpha", "Beta", "Gamma", "extra-one"]
    assert overview(RUNS, ANSWERS, COURSE, locale="de").dialogues[0].title == "Alpha auf Deutsch"


def test_counts_median_and_distributions(ov):
    alpha, beta, gamma, extra = ov.dialogues
    assert (alpha.started, alpha.finished, alpha.answers, alpha.median_words) == (3, 2, 4, 4)
    assert alpha.before == (0, 2, 1, 0, 0) and alpha.after == (0, 0, 1, 1, 0)
    assert alpha.mean_before == pytest.approx(7 / 3) and alpha.mean_after == pytest.approx(3.5)
    assert (beta.started, beta.finished, beta.answers, beta.median_words) == (1, 1, 1, 7)
    assert beta.before == (0, 0, 0, 1, 0) and beta.after == (0, 0, 0, 0, 1)
    assert (beta.mean_before, beta.mean_after) == (4, 5)
    assert (gamma.started, gamma.answers, gamma.median_words, gamma.mean_before, gamma.rated) == (
        0,
        0,
        None,
        None,
        False,
    )
    assert gamma.before == gamma.after == (0, 0, 0, 0, 0)
    assert (extra.started, extra.finished, extra.answers, extra.rated) == (1, 0, 0, False)


def test_per_participant_progress(ov):
    progress = {p.participant: (p.started, p.finished) for p in ov.participants}
    assert list(progress) == ["Ann", "Bob", "Cy"]
    assert progress["Ann"] == (("alpha", "beta"), ("alpha", "beta"))
    assert progress["Bob"] == (("alpha", "extra-one"), ("alpha",))
    assert progress["Cy"] == (("alpha",), ())


def test_overview_text_has_one_short_line_per_dialogue(ov):
    assert overview_text(ov, EN).splitlines() == [
        "3 participants, 3 of 4 dialogues started",
        "alpha: 3 started, 2 finished, 4 answers, median 4 words; stance 2.3 → 3.5",
        "beta: 1 started, 1 finished, 1 answer, median 7 words; stance 4 → 5",
        "extra-one: 1 started, 0 finished, 0 answers; no ratings",
        "Not started yet: gamma",
    ]
    empty = overview([], [], COURSE)
    assert overview_text(empty, EN) == "0 participants, 0 of 3 dialogues started\nNot started yet: alpha, beta, gamma"


def test_overview_markdown_tables_escape_names(ov):
    runs = [
        *RUNS,
        RunRecord(7, 9, "Eve | <b>*bold*</b>\nnext", None, None, "gamma", "active", "2025-03-01", None, None, None),
    ]
    markdown = overview_markdown(overview(runs, ANSWERS, COURSE), EN)
    assert "| Alpha (`alpha`) | 3 | 2 | 4 | 4 | 0 · 2 · 1 · 0 · 0 | 2.3 | 0 · 0 · 1 · 1 · 0 | 3.5 |" in markdown
    assert "| Gamma (`gamma`) | 1 | 0 | 0 | – | – | – | – | – |" in markdown
    assert "| Ann | alpha, beta | alpha, beta |" in markdown
    assert r"| Eve \| \<b\>\*bold\*\</b\> next | gamma | – |" in markdown
    assert markdown.startswith("# Cohort overview\n") and markdown.endswith("\n")
    assert "Nobody has started" in overview_markdown(overview([], [], COURSE), EN)


def test_the_overview_reads_in_german(ov):
    assert overview_text(ov, DE).splitlines() == [
        "3 Teilnehmende, 3 von 4 Dialogen begonnen",
        "alpha: 3 begonnen, 2 abgeschlossen, 4 Antworten, Median 4 Wörter; Einschätzung 2,3 → 3,5",
        "beta: 1 begonnen, 1 abgeschlossen, 1 Antwort, Median 7 Wörter; Einschätzung 4 → 5",
        "extra-one: 1 begonnen, 0 abgeschlossen, 0 Antworten; keine Einschätzungen",
        "Noch nicht begonnen: gamma",
    ]
    markdown = overview_markdown(ov, DE)
    assert markdown.startswith("# Überblick über die Kohorte\n") and "| Dialog | Begonnen | Abgeschlossen |" in markdown
    assert "| Teilnehmende | Begonnen | Abgeschlossen |" in markdown
    english = {EN(k) for k in ("report.column.started", "report.title", "report.dialogues", "report.nobody")}
    assert not [word for word in english if word in markdown]


def png_image(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.verify()
    return Image.open(io.BytesIO(data))


def test_chart_with_data(ov):
    image = png_image(stance_chart_png(ov))
    assert image.format == "PNG"
    assert 800 <= image.width <= 1600 and 300 <= image.height <= 2000


def test_chart_with_many_dialogues_stays_narrow():
    many = Course(
        "mc", text("t"), text("s"), (), tuple(dialogue(f"d{i}", f"Dialogue number {i} " * 4) for i in range(11))
    )
    runs = [run(i, 1 + i % 3, f"d{i}", "finished", 1 + i % 5, 1 + (i * 2) % 5) for i in range(11)]
    image = png_image(stance_chart_png(overview(runs, [], many)))
    assert image.width <= 1600 and image.height <= 2000


def test_chart_without_ratings():
    for ov in (Overview((), ()), overview([run(1, 1, "alpha", "active")], [], COURSE)):
        image = png_image(stance_chart_png(ov))
        assert 400 <= image.width <= 1600 and 100 <= image.height <= 600


def test_overview_of_the_export_fixture():
    ov = overview(fixture_runs(), fixture_records(), COURSE)
    value = next(d for d in ov.dialogues if d.dialogue_id == "value-and-trust")
    assert value.title == "Value and trust" and value.answers == len(fixture_records())
    assert value.started == 18 and value.finished == 12
    assert len(ov.participants) == 18
    assert stance_chart_png(ov).startswith(b"\x89PNG")
