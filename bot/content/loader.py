"""Dialogue files (content/*.yaml), course.yaml and sources.yaml -> the engine's model.

Every problem is reported as file:line:column with a plain-language fix. The bot and the
terminal refuse to start on errors; `elenchus check` prints the same messages. A dialogue is
built only after its shape (schema_errors) and the author's check (check) found no error in
it, so the engine never sees a broken graph.

check_content lives here rather than in check.py: it is this folder walk with its problems
kept, and check.py must stay below the loader, which runs it on every dialogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..engine.model import (
    Ask,
    Choose,
    Course,
    Dialogue,
    End,
    Fallbacks,
    FollowUp,
    Node,
    Option,
    Patterns,
    Say,
    Source,
    Stance,
    Text,
)
from .check import check_dialogue
from .languages import check_languages, declared
from .report import Report, did_you_mean
from .schema_errors import check_shape
from .yamlpos import ContentError, PosList, PosMap, Problem, load, shown_path

COURSE_FILE = "course.yaml"
SOURCES_FILE = "sources.yaml"
RESERVED = {COURSE_FILE, SOURCES_FILE}


# ---- public API ---------------------------------------------------------------------------


def load_course(content_dir: Path) -> Course:
    """The course in content_dir; raises ContentError when anything in it has an error."""
    course, problems = _load_all(content_dir)
    errors = [p for p in problems if p.is_error]
    if errors or course is None:
        raise ContentError(errors or problems)
    return course


def check_content(content_dir: Path, only: Iterable[Path] | None = None) -> list[Problem]:
    """All problems in content_dir, or only those in the given files (plus shared files)."""
    _, problems = _load_all(content_dir)
    if only is None:
        return problems
    wanted = {shown_path(p) for p in only} | {
        shown_path(content_dir / COURSE_FILE),
        shown_path(content_dir / SOURCES_FILE),
    }
    return [p for p in problems if p.path in wanted]


def dialogue_files(content_dir: Path) -> list[Path]:
    """The dialogue files in content_dir, in name order: every *.yaml but course and sources."""
    return sorted(p for p in content_dir.glob("*.yaml") if p.name not in RESERVED)


# ---- whole folder -------------------------------------------------------------------------


def _load_all(content_dir: Path) -> tuple[Course | None, list[Problem]]:
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return None, [Problem(shown_path(content_dir), 1, 1, "error", "this content folder does not exist.")]
    bibliography, found = _load_sources(content_dir / SOURCES_FILE)
    problems += found
    dialogues: dict[str, Dialogue] = {}
    first_seen: dict[str, str] = {}
    broken: set[str] = set()
    languages = declared(content_dir / COURSE_FILE)
    for path in dialogue_files(content_dir):
        dialogue, found = _load_dialogue(path, bibliography, languages)
        problems += found
        if dialogue is None:
            broken.add(_declared_id(path))
            continue
        if dialogue.id in dialogues:
            problems.append(
                Problem(
                    shown_path(path),
                    1,
                    1,
                    "error",
                    f"the dialogue id '{dialogue.id}' is already used by {first_seen[dialogue.id]}. "
                    "Give each dialogue its own id.",
                )
            )
            continue
        dialogues[dialogue.id] = dialogue
        first_seen[dialogue.id] = shown_path(path)
    course, found = _load_course_file(content_dir / COURSE_FILE, dialogues, broken)
    return course, problems + found


def _open_mapping(path: Path, not_a_mapping: str) -> Report:
    """Parse a YAML file that must hold a mapping; the report's data is None when it does not."""
    shown = shown_path(path)
    data, problems = load(path, shown)
    report = Report(shown, data)
    report.problems = problems
    if data is not None and not isinstance(data, dict):
        report.add([], not_a_mapping)
        report.data = None
    return report


def _declared_id(path: Path) -> str:
    """The id a dialogue file gives itself, read leniently, or its file name."""
    match = re.search(r"^id:\s*['\"]?([\w-]+)", path.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
    return match.group(1) if match else path.stem


# ---- sources.yaml -------------------------------------------------------------------------


def _load_sources(path: Path) -> tuple[dict[str, Source], list[Problem]]:
    shown = shown_path(path)
    if not path.exists():
        return {}, [
            Problem(shown, 1, 1, "error", "the bibliography is missing. Create sources.yaml (see content/README.md).")
        ]
    report = _open_mapping(path, "the bibliography must be a mapping of keys to works.")
    if report.data is None:
        return {}, report.problems
    data = report.data
    result = {}
    for key, entry in data.items():
        if not isinstance(entry, dict):
            report.add([key], f"the source '{key}' must have fields short, cite and doi or url.")
            continue
        shorts = _short_names(entry.get("short"))
        if shorts is None:
            report.add(
                [key],
                f"the source '{key}' needs a 'short' text, or one per language with 'en' among them "
                "(short: {en: Council of the EU (2022), de: Rat der EU (2022)}).",
                key=True,
            )
        if not isinstance(entry.get("cite"), str) or not entry.get("cite").strip():
            report.add([key], f"the source '{key}' needs a 'cite' text.", key=True)
        unknown = set(entry) - {"short", "cite", "doi", "url"}
        for field in sorted(unknown):
            report.add([key, field], f"unknown field '{field}' in a source. Use short, cite, doi and url.", key=True)
        if shorts is not None and isinstance(entry.get("cite"), str):
            result[key] = Source(
                key,
                shorts["en"],
                " ".join(entry["cite"].split()),
                _opt_str(entry.get("doi")),
                _opt_str(entry.get("url")),
                tuple((k, v) for k, v in shorts.items() if k != "en"),
            )
    return result, report.problems


def _short_names(value: Any) -> dict[str, str] | None:
    """A source's short name per language: one text for all, or a mapping that has "en"."""
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if isinstance(value, dict) and all(isinstance(v, str) and v.strip() for v in value.values()):
        names = {str(k): v.strip() for k, v in value.items()}
        return names if "en" in names else None
    return None


def _opt_str(value: Any) -> str | None:
    return str(value).strip() if value else None


# ---- course.yaml --------------------------------------------------------------------------


def _load_course_file(
    path: Path, dialogues: dict[str, Dialogue], broken: set[str]
) -> tuple[Course | None, list[Problem]]:
    """The course; a dialogue that failed to load is not reported again here, only left out."""
    shown = shown_path(path)
    if not path.exists():
        return None, [
            Problem(
                shown, 1, 1, "error", "the course file is missing. Create course.yaml listing the dialogues in order."
            )
        ]
    report = _open_mapping(path, "the course file must be a mapping with id, title, summary, outcomes and dialogues.")
    if report.data is None:
        return None, report.problems
    data = report.data
    for field in ("id", "title", "summary", "outcomes", "dialogues"):
        if field not in data:
            report.add([], f"the course is missing '{field}'. Add it (see content/README.md).")
    for field in sorted(set(data) - {"id", "title", "summary", "outcomes", "dialogues", "follow_ups", "languages"}):
        report.add([field], f"unknown field '{field}' in the course file. Remove it or fix its spelling.", key=True)
    listed = data.get("dialogues") or []
    if not isinstance(listed, list):
        report.add(["dialogues"], "'dialogues' must be a list of dialogue ids.")
        listed = []
    ordered: list[Dialogue] = []
    for i, dialogue_id in enumerate(listed):
        if dialogue_id in broken:
            continue
        if dialogue_id not in dialogues:
            report.add(
                ["dialogues", i],
                f"the course lists '{dialogue_id}', but no dialogue has that id."
                + did_you_mean(str(dialogue_id), dialogues),
            )
        elif dialogues[dialogue_id] in ordered:
            report.add(["dialogues", i], f"'{dialogue_id}' is listed twice. List each dialogue once.")
        else:
            ordered.append(dialogues[dialogue_id])
    texts = {}
    for field in ("title", "summary"):
        texts[field] = _text_or_report(report, [field], data.get(field))
    outcomes = data.get("outcomes") or []
    outcome_texts = tuple(
        t
        for i, o in enumerate(outcomes if isinstance(outcomes, list) else [])
        if (t := _text_or_report(report, ["outcomes", i], o)) is not None
    )
    fallbacks = _fallbacks(report, data.get("follow_ups"))
    if report.has_errors:
        return None, report.problems
    with_fallbacks = {k: replace(v, fallbacks=fallbacks) for k, v in dialogues.items()}
    ordered = [with_fallbacks[d.id] for d in ordered]
    extra = {k: v for k, v in with_fallbacks.items() if v.id not in {d.id for d in ordered}}
    course = Course(
        str(data["id"]), texts["title"], texts["summary"], outcome_texts, tuple(ordered), MappingProxyType(extra)
    )
    return course, report.problems


FALLBACK_KINDS = ("non_answer", "short", "no_reason", "way_out")


def _fallbacks(report: Report, data: Any) -> Fallbacks:
    """The course's general follow-ups (`follow_ups:` in course.yaml), each a list of variants."""
    if data is None:
        return Fallbacks()
    if not isinstance(data, dict):
        report.add(["follow_ups"], "'follow_ups' must be a mapping of non_answer, short, no_reason, way_out and skip.")
        return Fallbacks()
    found: dict[str, Any] = {}
    for kind in sorted(set(data) - {*FALLBACK_KINDS, "skip"}):
        report.add(["follow_ups", kind], f"unknown kind '{kind}'. Use {', '.join(FALLBACK_KINDS)} or skip.", key=True)
    for kind in FALLBACK_KINDS:
        variants = data.get(kind, [])
        variants = variants if isinstance(variants, list) else [variants]
        found[kind] = tuple(
            t for i, v in enumerate(variants) if (t := _text_or_report(report, ["follow_ups", kind, i], v)) is not None
        )
    skip = data.get("skip", [])
    if skip and not isinstance(skip, list | dict):
        report.add(["follow_ups", "skip"], "'skip' lists the words that take the way out, per language.")
        skip = []
    return Fallbacks(**found, skip=_patterns(skip))


def _text_or_report(report: Report, path: list[Any], value: Any) -> Text | None:
    if isinstance(value, str) and value.strip():
        return _text(value)
    if isinstance(value, dict) and isinstance(value.get("en"), str):
        return _text(value)
    report.add(path, "expected a text, or a mapping of locales to texts that includes 'en'.")
    return None


# ---- one dialogue -------------------------------------------------------------------------


def _load_dialogue(
    path: Path, bibliography: dict[str, Source], languages: tuple[str, ...] = ("en",)
) -> tuple[Dialogue | None, list[Problem]]:
    report = _open_mapping(
        path, "a dialogue file must be a mapping with id, title, nodes and so on (see content/README.md)."
    )
    if report.data is None:
        return None, report.problems
    data = report.data
    check_shape(report, data, path)
    if report.has_errors:
        return None, report.problems
    check_dialogue(report, data, bibliography)
    if not report.has_errors:
        check_languages(report, data, languages)
    if report.has_errors:
        return None, report.problems
    return _build(data, bibliography), report.problems


# ---- building the model -------------------------------------------------------------------


def _text(value: Any) -> Text:
    if isinstance(value, str):
        return MappingProxyType({"en": value.strip()})
    return MappingProxyType({k: str(v).strip() for k, v in value.items()})


def _build(data: dict, bibliography: dict[str, Source]) -> Dialogue:
    raw = data["nodes"]
    nodes: dict[str, Node] = {}
    for i, node in enumerate(raw):
        following = raw[i + 1]["id"] if i + 1 < len(raw) else ""
        nodes[node["id"]] = _build_node(node, node.get("next", following))
    return Dialogue(
        id=data["id"],
        version=data["version"],
        title=_text(data["title"]),
        summary=_text(data["summary"]),
        minutes=data["minutes"],
        tags=tuple(data["tags"]),
        outcomes=tuple(_text(o) for o in data["outcomes"]),
        sources=tuple(bibliography[k] for k in data["sources"]),
        claim=_text(data["claim"]),
        nodes=MappingProxyType(nodes),
        start=raw[0]["id"],
    )


def _patterns(value: Any) -> Patterns:
    """Patterns per locale; a plain list is English."""
    if not value:
        return MappingProxyType({})
    if isinstance(value, list):
        return MappingProxyType({"en": tuple(value)})
    return MappingProxyType({k: tuple(v) for k, v in value.items()})


def _build_node(node: dict, nxt: str) -> Node:
    nid, cite, when = node["id"], tuple(node.get("cite", ())), MappingProxyType(dict(node.get("when", {})))
    if "say" in node:
        return Say(nid, _text(node["say"]), nxt, cite, when)
    if "ask" in node:
        variants = node["ask"] if isinstance(node["ask"], list) else [node["ask"]]
        probe = _text(node["probe"]) if "probe" in node else None
        return Ask(
            nid,
            tuple(_text(v) for v in variants),
            node["move"],
            nxt,
            probe,
            cite,
            when,
            follow_ups=tuple(FollowUp(_patterns(f["if"]), _text(f["ask"])) for f in node.get("follow_ups", ())),
            covers=_patterns(node.get("covers", [])),
            title=_text(node["title"]) if "title" in node else None,
            probes=int(node.get("probes", 1)),
        )
    if "choose" in node:
        options = tuple(
            Option(_text(o["label"]), o["next"], MappingProxyType(dict(o.get("set", {})))) for o in node["options"]
        )
        return Choose(nid, _text(node["choose"]), options, cite)
    if "stance" in node:
        return Stance(nid, node["stance"], nxt, when)
    return End(nid, _text(node["end"]), cite)


__all__ = ["ContentError", "PosList", "PosMap", "Problem", "check_content", "dialogue_files", "load_course"]
