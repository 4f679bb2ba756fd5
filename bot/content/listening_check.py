"""The author's check for dialogues that listen (docs/PEDAGOGY.md, "Listening" and "Pacing"):
warnings, so a draft still plays.

- a message of more than about 70 words;
- more than two messages in a row before a question;
- a question tagged meta-question that is not a question;
- a placeholder for an answer that some path reaches without that question having been answered;
- a follow-up pattern that can never match an answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..engine.listening import can_match
from ..engine.texts import PLACEHOLDER
from .report import Report, texts_in

MAX_WORDS = 70
MAX_STATEMENTS = 2
TEXT_FIELDS = ("say", "ask", "end", "probe", "choose")


def check_listening(report: Report, data: dict) -> None:
    nodes = data["nodes"]
    graph = _graph(nodes)
    order = _topological(graph, nodes[0]["id"])
    _check_lengths(report, nodes)
    _check_statements(report, nodes, graph, order)
    _check_meta_questions(report, nodes)
    _check_answers_reached(report, nodes, graph, order)
    _check_patterns(report, nodes)


def _graph(nodes: list[dict]) -> dict[str, list[str]]:
    graph = {}
    for i, node in enumerate(nodes):
        following = nodes[i + 1]["id"] if i + 1 < len(nodes) else None
        if "options" in node:
            graph[node["id"]] = list(dict.fromkeys(o["next"] for o in node["options"]))
        elif "end" in node:
            graph[node["id"]] = []
        else:
            graph[node["id"]] = [t for t in [node.get("next", following)] if t]
    return graph


def _topological(graph: dict[str, list[str]], start: str) -> list[str]:
    seen: set[str] = set()
    order: list[str] = []

    def visit(node: str) -> None:
        if node in seen or node not in graph:
            return
        seen.add(node)
        for nxt in graph[node]:
            visit(nxt)
        order.append(node)

    visit(start)
    return order[::-1]


def _texts(node: dict) -> Iterator[tuple[list[Any], str, str]]:
    for field in TEXT_FIELDS:
        yield from texts_in([field], node.get(field))
    for j, follow in enumerate(node.get("follow_ups", [])):
        yield from texts_in(["follow_ups", j, "ask"], follow["ask"])


def _check_lengths(report: Report, nodes: list[dict]) -> None:
    for i, node in enumerate(nodes):
        for path, _, text in _texts(node):
            words = len(text.split())
            if words > MAX_WORDS:
                report.warn(
                    ["nodes", i, *path],
                    f"this message has {words} words; keep a message to about {MAX_WORDS} (docs/PEDAGOGY.md, "
                    "Pacing). Split it into two, or cut it.",
                )


def _check_statements(report: Report, nodes: list[dict], graph: dict[str, list[str]], order: list[str]) -> None:
    """Along any path, a third message in a row (without a question between) is warned about."""
    index = {n["id"]: i for i, n in enumerate(nodes)}
    before: dict[str, int] = {}
    for node_id in order:
        node = nodes[index[node_id]]
        run = before.get(node_id, 0)
        if "say" in node:
            if run >= MAX_STATEMENTS:
                report.warn(
                    ["nodes", index[node_id], "say"],
                    f"message {run + 1} in a row without a question; put a question between them "
                    "(docs/PEDAGOGY.md, Pacing).",
                )
            run += 1
        else:
            run = 0
        for nxt in graph[node_id]:
            before[nxt] = max(before.get(nxt, 0), run)


def _check_meta_questions(report: Report, nodes: list[dict]) -> None:
    for i, node in enumerate(nodes):
        if node.get("move") != "meta-question":
            continue
        for path, _, text in texts_in(["ask"], node["ask"]):
            if "?" not in text:
                report.warn(
                    ["nodes", i, *path],
                    "tagged meta-question, but this is not a question. A meta-question asks about the "
                    "question or the dialogue itself; end it with a question mark, or change the move.",
                )


def _check_answers_reached(report: Report, nodes: list[dict], graph: dict[str, list[str]], order: list[str]) -> None:
    """{answer.X} and {excerpt.X} only where every path to the text has passed question X (a
    question with `when` may have been skipped)."""
    index = {n["id"]: i for i, n in enumerate(nodes)}
    must: dict[str, set[str]] = {order[0]: set()} if order else {}
    for node_id in order:
        node = nodes[index[node_id]]
        have = must.get(node_id, set())
        _warn_unreached(report, index[node_id], node, have)
        passed = have | ({node_id} if "ask" in node and "when" not in node else set())
        for nxt in graph[node_id]:
            must[nxt] = passed if nxt not in must else must[nxt] & passed


def _warn_unreached(report: Report, i: int, node: dict, have: set[str]) -> None:
    own = {node["id"]} if "ask" in node else set()
    for path, _, text in _texts(node):
        follow_up = path[0] in ("follow_ups", "probe")
        for name in PLACEHOLDER.findall(text):
            kind, _, key = name.partition(".")
            if kind not in ("answer", "excerpt"):
                continue
            if key in have or (follow_up and key in own):
                continue
            report.warn(
                ["nodes", i, *path],
                f"{{{name}}} may be empty here: some path reaches this text without an answer to '{key}' "
                "(it comes later, is on another branch, or is skipped by `when`).",
            )


def _check_patterns(report: Report, nodes: list[dict]) -> None:
    for i, node in enumerate(nodes):
        places = [(["covers"], node.get("covers"))]
        places += [(["follow_ups", j, "if"], f["if"]) for j, f in enumerate(node.get("follow_ups", []))]
        for path, patterns in places:
            for where, pattern in _patterns(path, patterns):
                if not can_match(pattern):
                    report.warn(
                        ["nodes", i, *where],
                        f"the pattern '{pattern}' can never match an answer: use words, `stem*` (a star only "
                        "at a word's end) or several words in a row.",
                    )


def _patterns(path: list[Any], value: Any) -> Iterator[tuple[list[Any], str]]:
    if isinstance(value, list):
        for j, p in enumerate(value):
            yield [*path, j], p
    elif isinstance(value, dict):
        for locale, items in value.items():
            for j, p in enumerate(items):
                yield [*path, locale, j], p
