"""The portfolio's documents: German throughout, the HTML template an institution can replace, the
A4 PDF checked on its rendered pages, and the Leap2A feed Mahara imports."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from bot.app.services import Services
from bot.content.keys import MOVE_KEYS
from bot.content.loader import load_course
from bot.content.prompts import load_prompts
from bot.exports import leap2a, pdf
from bot.exports.documents import portfolio_files
from bot.exports.portfolio import to_html, to_markdown
from bot.exports.records import Answer, PortfolioEntry

from ..support.content import CONTENT, PROMPTS
from ..support.play import participant, play_through
from .test_export_hardening import HOSTILE_LINES, HOSTILE_NAME, Page, hostile_entry

GENERATED = "2025-03-02T09:00:00.000Z"
GERMAN_ANSWER = "Ich würde die Prüfung ansehen, weil sie zeigt, was gelernt wurde, zum Beispiel in einem Projekt."
NS = {"a": leap2a.ATOM, "rdf": leap2a.RDF, "leap2": leap2a.LEAP2}
LABEL_KEYS = ("portfolio.", "move.", "recap.chosen")


@pytest.fixture(scope="module")
def prompts():
    return load_prompts(PROMPTS)


def translator(prompts, locale):
    return lambda key, **values: prompts.t(key, locale, **values)


@pytest.fixture(scope="module")
def german(tmp_path_factory, prompts):
    """Jürgen's portfolio after playing two dialogues to the end in German."""
    services = Services.open(tmp_path_factory.mktemp("de") / "de.db", load_course(CONTENT))
    pid = participant(services, "42", name="Jürgen", locale="de")
    for dialogue in services.course.dialogues[:2]:
        play_through(services, pid, dialogue.id, locale="de", before=2, after=4, answer=GERMAN_ANSWER)
    entries = services.rights.portfolio(pid, "de")
    services.close()
    return entries


def english_fragments(prompts) -> set[str]:
    """The words of every English label the portfolio uses that German says differently."""
    found = set()
    for key, english in prompts.texts["en"].items():
        if key.startswith(LABEL_KEYS) and prompts.t(key, "de") != english:
            for part in re.split(r"\{[a-z_]+\}", english):
                found.update(w for w in re.findall(r"[A-Za-z]{4,}", part) if w.lower() not in {"portfolio", "elenchus"})
    return found


def test_a_german_portfolio_has_no_english_label_and_no_move_id(german, prompts):
    t = translator(prompts, "de")
    assert german and all(entry.answers for entry in german)
    move_ids = [m for m in MOVE_KEYS if m != "portfolio"]  # "Portfolio" is a German word too
    english = english_fragments(prompts)
    assert {"Question", "Participant", "Claim", "Socratic", "clarification"} <= english
    for document in (
        to_markdown("Jürgen", german, t, GENERATED),
        Page(re.sub(r"<style>.*?</style>", "", to_html("Jürgen", german, t, GENERATED, "de"), flags=re.S)).text,
        ET.fromstring(leap2a.to_leap2a("Jürgen", german, t, GENERATED, feed_id="urn:x:1", lang="de")).itertext(),
    ):
        text = " ".join(document) if not isinstance(document, str) else document
        labels = "\n".join(line for line in text.splitlines() if "http" not in line)  # sources cite English titles
        words = set(re.findall(r"[A-Za-z-]+", labels))
        assert not (english & words), english & words
        assert not {m for m in move_ids if re.search(rf"\b{m}\b", labels)}
        assert "Sokratischer Zug" in text or "Frage" in text
    markdown = to_markdown("Jürgen", german, t, GENERATED)
    assert "# Reflexionsportfolio" in markdown and "**These:**" in markdown and "Sokratischer Zug: " in markdown


def test_an_institutions_template_replaces_the_shipped_one_and_still_escapes(tmp_path, prompts):
    (tmp_path / "portfolio.html").write_text(
        "<!DOCTYPE html><html lang=\"{{ lang }}\"><head><style>{% include 'portfolio.css' %}</style></head>"
        "<body><h1>Universität Beispiel: {{ labels.title }}</h1><p>{{ name }}</p>"
        "{% for entry in entries %}{% for a in entry.answers %}<p>{{ a.text }}</p>{% endfor %}{% endfor %}</body></html>",
        encoding="utf-8",
    )
    entry = hostile_entry()
    page = to_html(HOSTILE_NAME, [entry], translator(prompts, "de"), GENERATED, "de", templates=tmp_path)
    assert "<h1>Universität Beispiel: Reflexionsportfolio</h1>" in page
    assert "<script" not in page and "<img" not in page
    assert "section.qa{break-inside:avoid" in page, "what the institution lacks comes from the shipped templates"
    text = Page(page).text
    assert HOSTILE_NAME in text and all(line in text for line in HOSTILE_LINES)
    default = to_html(HOSTILE_NAME, [entry], translator(prompts, "de"), GENERATED, "de")
    assert "Universität Beispiel" not in default


def test_the_page_footer_is_a_css_string_that_cannot_end_the_style(prompts):
    hostile = dict(prompts.texts["de"], **{"portfolio.page": 'S. {page}/{pages} "</style><script>x</script>'})
    t = lambda key, **values: hostile[key].format(**values) if values else hostile[key]  # noqa: E731
    page = to_html("A", [], t, GENERATED, "de")
    assert "<script" not in page and page.count("</style>") == 1
    assert 'content: "S\\. " counter(page)' not in page and "counter(page)" in page and "counter(pages)" in page


# ---- the PDF, checked on the rendered pages ----------------------------------------------------

needs_pdf = pytest.mark.skipif(pdf.unavailable() is not None, reason=f"no PDF here: {pdf.unavailable()}")


def pages_of(data: bytes) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842), "A4 in points"
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def long_entries() -> list[PortfolioEntry]:
    """Two dialogues whose answers are long enough that each dialogue is longer than a page."""

    def answers(dialogue: int):
        return tuple(
            Answer(f"Frage {dialogue}.{i}: Was zählt?", f"Antwort {dialogue}.{i} beginnt hier. " + "Ein Satz über Wert und Vertrauen. " * (20 + 9 * i) + f"Ende {dialogue}.{i}.",
                   "evidence", False, "2025-03-01T10:00:00.000Z", None, f"Titel {dialogue}.{i}")
            for i in range(1, 7)
        )  # fmt: skip

    return [
        PortfolioEntry(
            f"d{n}", f"Dialog Nummer {n}", 1, "2025-03-01", "2025-03-02", "Eine These.", 2, 4, answers(n), ()
        )
        for n in (1, 2)
    ]


@needs_pdf
def test_the_pdf_starts_with_the_first_dialogue_on_page_one_and_numbers_its_pages(prompts):
    t = translator(prompts, "de")
    pages = pages_of(pdf.html_to_pdf(to_html("Jürgen", long_entries(), t, GENERATED, "de")))
    assert len(pages) >= 4
    first = pages[0]
    assert "Reflexionsportfolio" in first and "Dialog Nummer 1" in first
    assert "Frage: Titel 1.1" in first and "Antwort 1.1 beginnt hier." in first, "page 1 carries the first dialogue"
    for number, text in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in text


@needs_pdf
def test_a_question_is_never_separated_from_its_answer(prompts):
    t = translator(prompts, "de")
    pages = pages_of(pdf.html_to_pdf(to_html("Jürgen", long_entries(), t, GENERATED, "de")))
    for dialogue in (1, 2):
        for i in range(1, 7):
            heading = next(n for n, text in enumerate(pages) if f"Frage: Titel {dialogue}.{i}" in text)
            # each answer is shorter than a page, so all of it is on the page of its question
            assert f"Antwort {dialogue}.{i} beginnt hier." in pages[heading], (dialogue, i, heading)
            assert f"Ende {dialogue}.{i}." in pages[heading], (dialogue, i, heading)
    dialogue_two = next(n for n, text in enumerate(pages) if "Dialog Nummer 2" in text)
    assert "Titel 1.6" in " ".join(pages[: dialogue_two + 1]), "dialogue 2 follows on, it is not pushed to a new page"


@needs_pdf
def test_the_files_of_a_portfolio(german, prompts):
    files = portfolio_files(
        "Jürgen", german, translator(prompts, "de"), GENERATED, stem="p", lang="de", feed_id="urn:x:1"
    )
    assert [f.name for f in files] == ["p.md", "p.html", "p.pdf", "p.leap2a.zip"]
    first = pages_of(files[2].data)[0]
    assert german[0].title.split()[0] in first and german[0].answers[0].title.split()[0] in first


# ---- Leap2A -------------------------------------------------------------------------------------


def feed_of(entries, prompts, locale="de", name="Jürgen") -> ET.Element:
    data = leap2a.to_leap2a(name, entries, translator(prompts, locale), GENERATED, feed_id="urn:uuid:1", lang=locale)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(data)


def rdf_type(entry: ET.Element) -> str:
    return entry.find("rdf:type", NS).get(f"{{{leap2a.RDF}}}resource")


def test_leap2a_has_a_journal_per_dialogue_and_a_post_per_answer(german, prompts):
    feed = feed_of(german, prompts)
    assert feed.tag == f"{{{leap2a.ATOM}}}feed"
    assert feed.findtext("leap2:version", namespaces=NS) == "http://www.leapspecs.org/2010-07/2A/"
    assert feed.findtext("a:id", namespaces=NS) == "urn:uuid:1"
    assert feed.findtext("a:author/a:name", namespaces=NS) == "Jürgen"
    assert feed.findtext("a:title", namespaces=NS) == "Reflexionsportfolio: Jürgen"
    entries = feed.findall("a:entry", NS)
    journals = [e for e in entries if rdf_type(e) == "leap2:selection"]
    posts = {e.findtext("a:id", namespaces=NS): e for e in entries if rdf_type(e) == "leap2:entry"}
    assert len(journals) == len(german) and len(posts) == sum(len(e.answers) for e in german)
    ids = [e.findtext("a:id", namespaces=NS) for e in entries]
    assert len(set(ids)) == len(ids)
    for journal, entry in zip(journals, german, strict=True):
        assert journal.findtext("a:title", namespaces=NS) == entry.title
        blog = journal.find("a:category", NS)
        assert (blog.get("scheme"), blog.get("term")) == ("categories:selection_type#", "Blog")
        parts = [link.get("href") for link in journal.findall("a:link", NS) if link.get("rel") == "leap2:has_part"]
        assert len(parts) == len(entry.answers)
        assert "These: " in journal.findtext("a:content", namespaces=NS)
        for href, answer in zip(parts, entry.answers, strict=True):
            post = posts[href]
            assert post.findtext("a:content", namespaces=NS) == answer.answer
            assert post.find("a:content", NS).get("type") == "text"
            back = [link.get("href") for link in post.findall("a:link", NS) if link.get("rel") == "leap2:is_part_of"]
            assert back == [journal.findtext("a:id", namespaces=NS)]
            assert post.findtext("a:title", namespaces=NS).startswith(("Frage: ", "Nachfrage: "))
            assert post.find("a:category", NS).get("term") in {prompts.t(k, "de") for k in MOVE_KEYS.values()}
            for field in ("published", "updated"):
                datetime.fromisoformat(post.findtext(f"a:{field}", namespaces=NS).replace("Z", "+00:00"))


def test_leap2a_carries_hostile_text_as_text(prompts):
    entry = hostile_entry()
    answers = (*entry.answers, Answer("Steuerzeichen?", "vor\x00\x07\x1bnach", "evidence", False, "2025-03-01", None))
    entry = PortfolioEntry(**{**entry.__dict__, "answers": answers})
    feed = feed_of([entry], prompts, "en", HOSTILE_NAME)
    assert feed.findtext("a:author/a:name", namespaces=NS) == HOSTILE_NAME
    contents = [e.findtext("a:content", namespaces=NS) for e in feed.findall("a:entry", NS)]
    assert "\n".join(HOSTILE_LINES) in contents and "vornach" in contents
    assert all(child.tag.startswith("{") for child in feed.iter()), "no element made from typed text"


def test_leap2a_ids_are_stable_for_the_same_portfolio(german, prompts):
    t = translator(prompts, "de")
    again = [leap2a.to_leap2a("Jürgen", german, t, GENERATED, feed_id="urn:uuid:1") for _ in range(2)]
    assert again[0] == again[1]
    other = leap2a.to_leap2a("Jürgen", german, t, GENERATED, feed_id="urn:uuid:2")
    ids = lambda data: {e.findtext("a:id", namespaces=NS) for e in ET.fromstring(data).findall("a:entry", NS)}  # noqa: E731
    assert not ids(again[0]) & ids(other)


# ---- the facilitators' zip: each participant in their own language -------------------------------


def test_the_zip_has_each_participant_in_their_own_language(tmp_path, prompts):
    from bot.app import exporting

    services = Services.open(tmp_path / "zip.db", load_course(CONTENT))
    cohort = services.storage.cohorts.create("MC-Z", "cli:test")
    anna = participant(services, "1", name="Anna", locale="de", cohort=cohort.id)
    bob = participant(services, "2", name="Bob", locale="en", cohort=cohort.id)
    dialogue = services.course.dialogues[0].id
    play_through(services, anna, dialogue, locale="de", before=2, after=4, answer=GERMAN_ANSWER)
    play_through(services, bob, dialogue, locale="en", before=3, after=3, answer="Because the outcomes are listed.")
    out = io.BytesIO()
    count = services.exports.export(
        exporting.Scope((cohort.id,)), "zip", out, actor="cli:test", t=translator(prompts, "en"), locale="en",
        translators=lambda locale: translator(prompts, locale),
    )  # fmt: skip
    services.close()
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert count == 2
    anna_md, bob_md = (archive.read(f"{n}-P{p}.md").decode() for n, p in (("Anna", anna), ("Bob", bob)))
    assert "# Reflexionsportfolio" in anna_md and "Sokratischer Zug" in anna_md and "Question:" not in anna_md
    assert "# Portfolio of reflections" in bob_md and "Socratic move" in bob_md
    assert '<html lang="de">' in archive.read(f"Anna-P{anna}.html").decode()
    inner = zipfile.ZipFile(io.BytesIO(archive.read(f"Anna-P{anna}.leap2a.zip")))
    assert inner.namelist() == ["leap2a.xml"], "the form Mahara's import looks for"
    feed = ET.fromstring(inner.read("leap2a.xml"))
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert "Exported from Elenchus" in archive.read("README.txt").decode(), "the README is the facilitator's"


def test_without_a_chosen_language_the_runs_language_decides(tmp_path, prompts):
    from bot.app import exporting

    services = Services.open(tmp_path / "run-locale.db", load_course(CONTENT))
    cohort = services.storage.cohorts.create("MC-R", "cli:test")
    person = services.participants.identify("telegram", "7", name="Eva")  # no /language chosen
    services.participants.decide(person.id, "1-de", True)
    services.storage.cohorts.join(cohort.id, person.id)
    play_through(
        services, person.id, services.course.dialogues[0].id, locale="de", before=1, after=2, answer=GERMAN_ANSWER
    )
    out = io.BytesIO()
    services.exports.export(
        exporting.Scope((cohort.id,)), "zip", out, actor="cli:test", t=translator(prompts, "en"),
        translators=lambda locale: translator(prompts, locale),
    )  # fmt: skip
    services.close()
    import zipfile

    markdown = zipfile.ZipFile(io.BytesIO(out.getvalue())).read(f"Eva-P{person.id}.md").decode()
    assert "# Reflexionsportfolio" in markdown


def test_the_templates_folder_is_a_setting():
    from bot.config import Settings

    assert Settings.from_env({}, dotenv=Path("/nonexistent")).portfolio_templates is None
    settings = Settings.from_env({"ELENCHUS_PORTFOLIO_TEMPLATES": "/etc/elenchus/t"}, dotenv=Path("/nonexistent"))
    assert settings.portfolio_templates == Path("/etc/elenchus/t")


def test_an_institutions_template_is_sandboxed(tmp_path, prompts):
    from jinja2.exceptions import SecurityError

    (tmp_path / "portfolio.html").write_text("{{ name.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(SecurityError):
        to_html("A", [], translator(prompts, "en"), GENERATED, templates=tmp_path)


@needs_pdf
def test_the_pdf_fetches_no_file_but_data_urls(tmp_path, prompts):
    leaked = tmp_path / "leak.css"
    leaked.write_text('h1::after { content: " LEAKED" }', encoding="utf-8")
    embedded = "data:text/css,h1::before%20%7B%20content%3A%20%22LOGO%20%22%20%7D"
    page = to_html("A", [], translator(prompts, "en"), GENERATED).replace(
        "</head>", f'<link rel="stylesheet" href="file://{leaked}"><link rel="stylesheet" href="{embedded}"></head>'
    )
    (first,) = pages_of(pdf.html_to_pdf(page))
    assert "LOGO Portfolio of reflections" in first and "LEAKED" not in first
