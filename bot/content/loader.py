"""Dialogue files (content/*.yaml) -> engine model, and the author's check.

Every problem is reported as file:line:column with a plain-language fix. The bot and the
terminal refuse to start on errors; `elenchus check` prints the same messages.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema

from .. import paths
from ..engine.model import (
    Ask,
    Choose,
    Course,
    Dialogue,
    End,
    Node,
    Option,
    Say,
    Source,
    Stance,
    Text,
)
from ..telegram import callbacks
from .yamlpos import ContentError, PosList, PosMap, Problem, load, position, shown_path

MAX_MESSAGE = 4096
MAX_LABEL = 40
KIND_KEYS = ("say", "ask", "choose", "stance", "end")
COURSE_FILE = "course.yaml"
SOURCES_FILE = "sources.yaml"
SCHEMA_FILE = "schema.json"
RESERVED = {COURSE_FILE, SOURCES_FILE}
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class _Report:
    """Collects problems for one file."""

    def __init__(self, shown: str, data: Any):
        self.shown, self.data, self.problems = shown, data, []

    def add(self, path: Iterable[Any], message: str, *, key: bool = False, severity: str = "error") -> None:
        line, col = position(self.data, path, key=key)
        self.problems.append(Problem(self.shown, line, col, severity, message))

    def warn(self, path: Iterable[Any], message: str) -> None:
        self.add(path, message, severity="warning")


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
    for path in dialogue_files(content_dir):
        dialogue, found = _load_dialogue(path, bibliography)
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


def _open_mapping(path: Path, not_a_mapping: str) -> _Report:
    """Parse a YAML file that must hold a mapping; the report's data is None when it does not."""
    shown = shown_path(path)
    data, problems = load(path, shown)
    report = _Report(shown, data)
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
        for needed in ("short", "cite"):
            if not isinstance(entry.get(needed), str) or not entry.get(needed).strip():
                report.add([key], f"the source '{key}' needs a '{needed}' text.", key=True)
        unknown = set(entry) - {"short", "cite", "doi", "url"}
        for field in sorted(unknown):
            report.add([key, field], f"unknown field '{field}' in a source. Use short, cite, doi and url.", key=True)
        if isinstance(entry.get("short"), str) and isinstance(entry.get("cite"), str):
            result[key] = Source(
                key,
                entry["short"].strip(),
                " ".join(entry["cite"].split()),
                _opt_str(entry.get("doi")),
                _opt_str(entry.get("url")),
            )
    return result, report.problems


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
    for field in sorted(set(data) - {"id", "title", "summary", "outcomes", "dialogues"}):
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
                + _did_you_mean(str(dialogue_id), dialogues),
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
    if any(p.is_error for p in report.problems):
        return None, report.problems
    extra = {k: v for k, v in dialogues.items() if v not in ordered}
    course = Course(
        str(data["id"]), texts["title"], texts["summary"], outcome_texts, tuple(ordered), MappingProxyType(extra)
    )
    return course, report.problems


def _text_or_report(report: _Report, path: list[Any], value: Any) -> Text | None:
    if isinstance(value, str) and value.strip():
        return _text(value)
    if isinstance(value, dict) and isinstance(value.get("en"), str):
        return _text(value)
    report.add(path, "expected a text, or a mapping of locales to texts that includes 'en'.")
    return None


# ---- one dialogue -------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _schema_for(path: Path) -> Path:
    beside = path.parent / SCHEMA_FILE
    return beside if beside.exists() else paths.shipped_schema()


def _load_dialogue(path: Path, bibliography: dict[str, Source]) -> tuple[Dialogue | None, list[Problem]]:
    report = _open_mapping(
        path, "a dialogue file must be a mapping with id, title, nodes and so on (see content/README.md)."
    )
    if report.data is None:
        return None, report.problems
    data = report.data
    _check_node_kinds(report, data)
    _check_schema(report, data, _schema_for(path))
    if any(p.is_error for p in report.problems):
        return None, report.problems
    _check_sources(report, data, bibliography)
    _check_flow(report, data)
    _check_texts(report, data)
    _check_variables(report, data)
    _check_pedagogy(report, data)
    if any(p.is_error for p in report.problems):
        return None, report.problems
    return _build(data, bibliography), report.problems


def _check_node_kinds(report: _Report, data: dict) -> None:
    """Say plainly what kind a node is missing or mixes, before the schema's vaguer words."""
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        return
    allowed = {
        "say": {"next", "cite", "when"},
        "ask": {"move", "probe", "next", "cite", "when"},
        "choose": {"options", "cite"},
        "stance": {"next", "when"},
        "end": {"cite"},
    }
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        kinds = [k for k in KIND_KEYS if k in node]
        name = f"node '{node.get('id', i + 1)}'"
        if not kinds:
            report.add(["nodes", i], f"{name} has no kind. Give it exactly one of: say, ask, choose, stance, end.")
            continue
        if len(kinds) > 1:
            report.add(
                ["nodes", i, kinds[1]],
                f"{name} mixes {' and '.join(kinds)}. Split it into one node per kind.",
                key=True,
            )
            continue
        kind = kinds[0]
        for field in sorted(set(node) - allowed[kind] - {"id", kind}):
            if field in {"next", "cite", "when", "move", "probe", "options"}:
                report.add(
                    ["nodes", i, field],
                    f"'{field}' does not belong on a '{kind}' node. " + _field_hint(kind, field),
                    key=True,
                )
        if kind == "ask" and "move" not in node:
            report.add(
                ["nodes", i],
                f"{name} asks a question but has no 'move'. Add `move:` with one of: "
                "clarification, assumptions, evidence, viewpoints, implications, meta-question.",
            )
        if kind == "choose" and "options" not in node:
            report.add(
                ["nodes", i], f"{name} has no options. Add `options:` with at least two, each with label and next."
            )


def _field_hint(kind: str, field: str) -> str:
    if field == "next" and kind == "choose":
        return "Each option has its own `next`."
    if field == "next" and kind == "end":
        return "An end finishes the dialogue; remove `next`."
    if field in {"move", "probe"}:
        return "Only open questions (`ask`) have a move and a probe."
    if field == "options":
        return "Only `choose` nodes have options."
    if field == "when":
        return "Use `when` on say, ask and stance nodes only."
    return "Remove it."


_NODE_HANDLED = {"oneOf", "not", "if", "then", "else", "allOf"}


def _check_schema(report: _Report, data: dict, schema: Path) -> None:
    already = {(p.line, p.column) for p in report.problems}
    for error in sorted(_validator(schema).iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        if _is_node_level(path) and error.validator in _NODE_HANDLED and error.validator != "oneOf":
            continue
        if _is_node_level(path) and error.validator == "oneOf":
            continue  # node kinds were reported by _check_node_kinds
        message, extra = _explain(error)
        key = extra is not None
        if key:
            path.append(extra)
        line, col = position(data, path, key=key)
        if (line, col) in already and error.validator in _NODE_HANDLED:
            continue
        report.add(path, message, key=key)


def _is_node_level(path: list[Any]) -> bool:
    return len(path) == 2 and path[0] == "nodes"


def _where(path: list[Any]) -> str:
    if not path:
        return "the dialogue"
    if path[0] == "nodes" and len(path) >= 2:
        rest = "".join(f".{p}" if isinstance(p, str) else f"[{p + 1}]" for p in path[2:])
        return f"node {path[1] + 1}{rest}"
    return ".".join(str(p) if isinstance(p, str) else f"[{p + 1}]" for p in path)


def _explain(error: jsonschema.ValidationError) -> tuple[str, str | None]:
    """A jsonschema error in an author's words, and the key to point at, if any."""
    path = list(error.absolute_path)
    where = _where(path)
    v, schema, inst = error.validator, error.schema, error.instance
    if v == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        return f"{where} is missing '{name}'. Add `{name}:` (see content/README.md).", None
    if v == "additionalProperties":
        extra = sorted(set(inst) - set(schema.get("properties", {})))
        allowed = sorted(schema.get("properties", {}))
        if extra:
            bad = extra[0]
            return (
                f"unknown field '{bad}' in {where}." + _did_you_mean(bad, allowed) + " Remove it or fix its spelling."
            ), bad
        return f"{where} has fields that are not allowed.", None
    if v == "enum":
        return f"'{inst}' is not allowed in {where}. Use one of: {', '.join(map(str, error.validator_value))}.", None
    if v == "type":
        return f"{where} should be {_type_words(error.validator_value)}, not {_type_words(_json_type(inst))}.", None
    if v == "pattern":
        if "a-z][a-z0-9_" in str(error.validator_value):
            return (
                f"'{inst}' is not a valid variable name in {where}. Use lowercase letters, digits and "
                "underscores, starting with a letter."
            ), None
        return (
            f"'{inst}' is not a valid id in {where}. Use lowercase letters, digits and hyphens, "
            "starting with a letter or digit, at most 32 characters."
        ), None
    if v == "oneOf" and "locale" in json.dumps(schema):
        return f"{where} should be a text, or a mapping of locales to texts that includes 'en'.", None
    if v in ("minItems", "maxItems"):
        kind = "at least" if v == "minItems" else "at most"
        return f"{where} needs {kind} {error.validator_value} item(s).", None
    if v in ("minimum", "maximum"):
        kind = "at least" if v == "minimum" else "at most"
        return f"{where} must be {kind} {error.validator_value}.", None
    if v == "minLength":
        return f"{where} is empty. Write a text, or remove the field.", None
    if v == "minProperties":
        return f"{where} is empty. Name at least one variable and its value.", None
    return f"{where}: {error.message}.", None


def _type_words(kind: Any) -> str:
    words = {
        "string": "a text",
        "integer": "a whole number",
        "array": "a list",
        "object": "a mapping",
        "number": "a number",
        "boolean": "true or false",
        "null": "empty",
    }
    if isinstance(kind, list):
        return " or ".join(words.get(k, k) for k in kind)
    return words.get(kind, str(kind))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def _check_sources(report: _Report, data: dict, bibliography: dict[str, Source]) -> None:
    listed = data["sources"]
    for i, key in enumerate(listed):
        if key not in bibliography:
            report.add(
                ["sources", i],
                f"the source '{key}' is not in sources.yaml."
                + _did_you_mean(key, bibliography)
                + " Add it there, or fix the key.",
            )
    for i, node in enumerate(data["nodes"]):
        for j, key in enumerate(node.get("cite", [])):
            if key not in listed:
                report.add(
                    ["nodes", i, "cite", j],
                    f"node '{node['id']}' cites '{key}', which is not in this "
                    "dialogue's `sources`. Add it to `sources` at the top.",
                )


def _targets(node: dict, following: str | None) -> Iterator[tuple[list[Any], str | None]]:
    """(path within the node, target id) for every way out of a node."""
    if "choose" in node:
        for j, option in enumerate(node["options"]):
            yield ["options", j, "next"], option["next"]
    elif "end" not in node:
        yield ["next"], node.get("next", following)


def _check_flow(report: _Report, data: dict) -> None:
    nodes = data["nodes"]
    index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node["id"] in index:
            report.add(
                ["nodes", i, "id"],
                f"the node id '{node['id']}' is used twice (first at node "
                f"{index[node['id']] + 1}). Give each node its own id.",
            )
        else:
            index[node["id"]] = i
    graph: dict[str, list[str]] = {}
    for i, node in enumerate(nodes):
        following = nodes[i + 1]["id"] if i + 1 < len(nodes) else None
        outs = []
        for path, target in _targets(node, following):
            if target is None:
                report.add(
                    ["nodes", i],
                    f"node '{node['id']}' is the last in the file but not an end, so the "
                    "dialogue would stop without a recap. Add `next:` or put an `end` node after it.",
                )
            elif target not in index:
                report.add(
                    ["nodes", i, *path],
                    f"'{target}' is not a node in this dialogue."
                    + _did_you_mean(target, index)
                    + " Point `next` at an existing node id.",
                )
            else:
                outs.append(target)
        graph.setdefault(node["id"], outs)
    if any(p.is_error for p in report.problems):
        return
    reachable = _reach(graph, nodes[0]["id"])
    for i, node in enumerate(nodes):
        if node["id"] not in reachable:
            report.add(
                ["nodes", i, "id"],
                f"node '{node['id']}' can never be reached from the start. Point a "
                "`next` or an option at it, or delete it.",
            )
    cycle = _find_cycle(graph, nodes[0]["id"])
    if cycle:
        report.add(
            ["nodes", index[cycle[0]], "id"],
            "the dialogue loops: "
            + " -> ".join(cycle)
            + ". Loops are not supported; point one of these `next`s forward.",
        )
        return
    ends = {n["id"] for n in nodes if "end" in n}
    finishing = {n for n in graph if _reach(graph, n) & ends}
    for i, node in enumerate(nodes):
        if node["id"] in reachable and node["id"] not in finishing:
            report.add(
                ["nodes", i, "id"],
                f"no end can be reached from node '{node['id']}'. Make sure every path leads to an `end` node.",
            )


def _reach(graph: dict[str, list[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, []))
    return seen


def _find_cycle(graph: dict[str, list[str]], start: str) -> list[str] | None:
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        trail.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return trail[trail.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        trail.pop()
        return None

    for node in [start, *graph]:
        if node not in state and (found := visit(node)):
            return found
    return None


def _texts(data: dict) -> Iterator[tuple[list[Any], str, str]]:
    """(path, locale, text) for every text in a dialogue that a participant may see."""

    def each(path: list[Any], value: Any) -> Iterator[tuple[list[Any], str, str]]:
        if isinstance(value, str):
            yield path, "en", value
        elif isinstance(value, dict):
            for locale, text in value.items():
                yield [*path, locale], locale, text
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from each([*path, i], item)

    for field in ("title", "summary", "claim", "outcomes"):
        yield from each([field], data[field])
    for i, node in enumerate(data["nodes"]):
        for field in ("say", "ask", "choose", "end", "probe"):
            if field in node:
                yield from each(["nodes", i, field], node[field])
        for j, option in enumerate(node.get("options", [])):
            yield from each(["nodes", i, "options", j, "label"], option["label"])


def _check_texts(report: _Report, data: dict) -> None:
    for path, _, text in _texts(data):
        if len(text) > MAX_MESSAGE:
            report.add(
                path,
                f"this text has {len(text)} characters; a Telegram message holds at most "
                f"{MAX_MESSAGE}. Shorten it or split it into two `say` nodes.",
            )
        if "label" in path and len(text) > MAX_LABEL:
            report.add(
                path,
                f"this button label has {len(text)} characters; at most {MAX_LABEL} fit on a "
                "phone. Shorten it and put the detail in the question above.",
            )
    for i, node in enumerate(data["nodes"]):
        if "choose" in node:
            longest = callbacks.choice(callbacks.LONGEST_RUN_ID, node["id"], len(node["options"]) - 1)
            if not callbacks.fits(longest):
                report.add(
                    ["nodes", i, "id"],
                    f"the id '{node['id']}' makes button data of "
                    f"{len(longest.encode())} bytes; Telegram allows {callbacks.MAX_BYTES}. Use a shorter id.",
                )


def _check_variables(report: _Report, data: dict) -> None:
    values: dict[str, set[str]] = {}
    for node in data["nodes"]:
        for option in node.get("options", []):
            for name, value in option.get("set", {}).items():
                values.setdefault(name, set()).add(value)
    for path, _, text in _texts(data):
        for name in _PLACEHOLDER.findall(text):
            if name not in values:
                report.add(
                    path,
                    f"the text uses {{{name}}}, but no option sets '{name}'. Add `set: {{{name}: ...}}` "
                    "to an option, or remove the braces.",
                )
    for i, node in enumerate(data["nodes"]):
        for name, value in node.get("when", {}).items():
            if name not in values:
                report.add(["nodes", i, "when", name], f"'when' tests '{name}', but no option sets it.", key=True)
            elif value not in values[name]:
                report.add(
                    ["nodes", i, "when", name],
                    f"no option sets '{name}' to '{value}' (options set: "
                    f"{', '.join(sorted(values[name]))}). Fix the value.",
                )


def _check_pedagogy(report: _Report, data: dict) -> None:
    """The course's standards (docs/PEDAGOGY.md): warnings, not errors, so drafts still play."""
    asks = [n for n in data["nodes"] if "ask" in n]
    moves = {n["move"] for n in asks}
    phases = {n["stance"] for n in data["nodes"] if "stance" in n}
    if len(asks) < 3:
        report.warn(["nodes"], f"only {len(asks)} open question(s); the course asks for at least three.")
    if len(moves) < 4:
        report.warn(
            ["nodes"],
            f"only {len(moves)} different Socratic move(s) ({', '.join(sorted(moves)) or 'none'}); "
            "the course asks for at least four.",
        )
    for phase in ("before", "after"):
        if phase not in phases:
            report.warn(["nodes"], f"no `stance: {phase}` node; the course rates the claim at the start and the end.")
    if not data["sources"]:
        report.warn(["sources"], "no sources; cite the works the dialogue draws on.")


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


def _build_node(node: dict, nxt: str) -> Node:
    nid, cite, when = node["id"], tuple(node.get("cite", ())), MappingProxyType(dict(node.get("when", {})))
    if "say" in node:
        return Say(nid, _text(node["say"]), nxt, cite, when)
    if "ask" in node:
        variants = node["ask"] if isinstance(node["ask"], list) else [node["ask"]]
        probe = _text(node["probe"]) if "probe" in node else None
        return Ask(nid, tuple(_text(v) for v in variants), node["move"], nxt, probe, cite, when)
    if "choose" in node:
        options = tuple(
            Option(_text(o["label"]), o["next"], MappingProxyType(dict(o.get("set", {})))) for o in node["options"]
        )
        return Choose(nid, _text(node["choose"]), options, cite)
    if "stance" in node:
        return Stance(nid, node["stance"], nxt, when)
    return End(nid, _text(node["end"]), cite)


__all__ = ["ContentError", "PosList", "PosMap", "Problem", "check_content", "dialogue_files", "load_course"]
