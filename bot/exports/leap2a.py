"""The portfolio as Leap2A (2010-07), the Atom-based format Mahara imports (Portfolio → Import).

Each run of a dialogue becomes a journal: a `leap2:selection` entry of selection_type "Blog",
whose content is the claim and the participant's ratings, with a `leap2:has_part` link to each of
its answers. Each answer becomes a `leap2:entry` (a journal post in Mahara) that links back with
`leap2:is_part_of`, titled by its question, with the answer as plain text, its dates, and the
Socratic move (in words) as a tag. Mahara's blog importer reads exactly these: the selection type
for a journal, its has_part links for the posts, and title, content, published and updated.

Mahara imports a zip with the feed as leap2a.xml in it (`to_leap2a_zip`), the form its own
exports have. The XML is built with ElementTree, so every text is escaped by the serialiser; characters XML 1.0
cannot carry (control characters) are dropped, as no reader would accept them.
"""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable

from ..content.keys import move_name, reference
from .portfolio import stance_line
from .records import Answer, PortfolioEntry

Translate = Callable[..., str]

ATOM = "http://www.w3.org/2005/Atom"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
LEAP2 = "http://terms.leapspecs.org/"
CATEGORIES = "http://wiki.leapspecs.org/2A/categories/"
VERSION = "http://www.leapspecs.org/2010-07/2A/"
MANIFEST = "leap2a.xml"
"""The name Mahara looks for in an uploaded zip."""
_NAMESPACE = uuid.UUID("6d1c7f9e-2a49-4c61-9a5e-4f4d0c1b7e21")
"""Entry ids are UUIDs derived from the feed id, so a re-export of the same answers has the same ids."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

for _prefix, _uri in (("", ATOM), ("rdf", RDF), ("leap2", LEAP2), ("categories", CATEGORIES)):
    ET.register_namespace(_prefix, _uri)


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _atom(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _timestamp(value: str | None, fallback: str) -> str:
    """An RFC 3339 date-time as Atom wants it; a bare date becomes midnight UTC."""
    value = value or fallback
    return value if "T" in value else f"{value[:10]}T00:00:00Z"


def _entry(feed: ET.Element, entry_id: str, title: str, published: str, updated: str, leap_type: str) -> ET.Element:
    entry = _add(feed, _atom("entry"))
    _add(entry, _atom("title"), title)
    _add(entry, _atom("id"), entry_id)
    _add(entry, _atom("published"), published)
    _add(entry, _atom("updated"), updated)
    _add(entry, f"{{{RDF}}}type", **{f"{{{RDF}}}resource": f"leap2:{leap_type}"})
    return entry


def _journal_text(entry: PortfolioEntry, t: Translate, stance: str) -> str:
    lines = [f"{t('portfolio.claim')}: {entry.claim}", stance] if entry.claim else []
    if entry.choices:
        lines.append(t("recap.chosen", choices=", ".join(entry.choices)))
    if entry.sources:
        lines += ["", t("portfolio.sources") + ":"] + [reference(s) for s in entry.sources]
    return "\n".join(lines)


def _post_title(answer: Answer, t: Translate) -> str:
    label = t("portfolio.followup") if answer.probe else t("portfolio.question")
    return f"{label}: {answer.question if answer.probe else answer.title or answer.question}"


def to_leap2a(
    name: str,
    entries: Iterable[PortfolioEntry],
    t: Translate,
    generated: str,
    *,
    feed_id: str,
    lang: str = "en",
) -> bytes:
    """The Leap2A feed as UTF-8 XML. `feed_id` is a stable URI for this participant's portfolio
    (for example urn:uuid:...), from which every entry id is derived."""
    feed = ET.Element(_atom("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _add(feed, f"{{{LEAP2}}}version", VERSION)
    _add(feed, _atom("id"), feed_id)
    _add(feed, _atom("title"), f"{t('portfolio.title')}: {name}")
    _add(feed, _atom("updated"), _timestamp(generated, generated))
    _add(_add(feed, _atom("author")), _atom("name"), name)
    _add(feed, _atom("generator"), "Elenchus")
    for number, entry in enumerate(entries, start=1):
        journal_id = _derived(feed_id, f"run-{number}-{entry.dialogue_id}")
        posts = [(_derived(feed_id, f"run-{number}-answer-{i}"), a) for i, a in enumerate(entry.answers, start=1)]
        journal = _entry(
            feed,
            journal_id,
            entry.title,
            _timestamp(entry.started, generated),
            _timestamp(entry.finished or entry.started, generated),
            "selection",
        )
        _add(journal, _atom("content"), _journal_text(entry, t, stance_line(entry, t)), type="text")
        _add(journal, _atom("category"), scheme="categories:selection_type#", term="Blog")
        for post_id, _ in posts:
            _add(journal, _atom("link"), rel="leap2:has_part", href=post_id)
        for post_id, answer in posts:
            created = _timestamp(answer.created, generated)
            post = _entry(feed, post_id, _post_title(answer, t), created, _timestamp(answer.edited, created), "entry")
            _add(post, _atom("content"), answer.answer, type="text")
            _add(post, _atom("link"), rel="leap2:is_part_of", href=journal_id)
            _add(post, _atom("category"), term=move_name(answer.move, t))
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def to_leap2a_zip(name: str, entries: Iterable[PortfolioEntry], t: Translate, generated: str, **options: str) -> bytes:
    """The feed as Mahara's import takes it: a zip holding leap2a.xml (options as for `to_leap2a`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, to_leap2a(name, entries, t, generated, **options))
    return buffer.getvalue()


def _derived(feed_id: str, name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{feed_id}/{name}')}"


def feed_id_for(*parts: object) -> str:
    """A stable feed id from what identifies the participant's portfolio (installation, participant)."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(map(str, parts)))}"
