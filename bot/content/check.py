"""The author's check of one dialogue whose shape is sound: citations, flow (reachability,
loops, a way to an end), texts and their lengths, variables, and the course's pedagogy.

Errors keep a dialogue from loading; pedagogy findings are warnings so drafts still play.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..engine.model import Source
from ..engine.texts import PLACEHOLDER, valid_condition
from .limits import MAX_LABEL, MAX_MESSAGE, MAX_NODE_ID_BYTES, telegram_length
from .listening_check import check_listening
from .report import Report, did_you_mean, texts_in

_PLACEHOLDER = PLACEHOLDER


def check_dialogue(report: Report, data: dict, bibliography: dict[str, Source]) -> None:
    """Every rule, in the order an author should fix them; `data` has passed the schema."""
    _check_sources(report, data, bibliography)
    _check_flow(report, data)
    _check_texts(report, data)
    _check_variables(report, data)
    _check_pedagogy(report, data)
    if not report.has_errors:
        check_listening(report, data)


def _check_sources(report: Report, data: dict, bibliography: dict[str, Source]) -> None:
    listed = data["sources"]
    for i, key in enumerate(listed):
        if key not in bibliography:
            report.add(
                ["sources", i],
                f"the source '{key}' is not in sources.yaml."
                + did_you_mean(key, bibliography)
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


def _check_flow(report: Report, data: dict) -> None:
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
                    + did_you_mean(target, index)
                    + " Point `next` at an existing node id.",
                )
            else:
                outs.append(target)
        graph.setdefault(node["id"], outs)
    if report.has_errors:
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
    each = texts_in
    for field in ("title", "summary", "claim", "outcomes"):
        yield from each([field], data[field])
    for i, node in enumerate(data["nodes"]):
        for field in ("say", "ask", "choose", "end", "probe", "title"):
            if field in node:
                yield from each(["nodes", i, field], node[field])
        for j, follow in enumerate(node.get("follow_ups", [])):
            yield from each(["nodes", i, "follow_ups", j, "ask"], follow["ask"])
        for j, option in enumerate(node.get("options", [])):
            yield from each(["nodes", i, "options", j, "label"], option["label"])


def _check_texts(report: Report, data: dict) -> None:
    for path, _, text in _texts(data):
        if (size := telegram_length(text)) > MAX_MESSAGE:
            report.add(
                path,
                f"this text has {size} characters as Telegram counts them (an emoji counts 2 or more); "
                f"a Telegram message holds at most {MAX_MESSAGE}. Shorten it or split it into two `say` nodes.",
            )
        if "label" in path and len(text) > MAX_LABEL:
            report.add(
                path,
                f"this button label has {len(text)} characters; at most {MAX_LABEL} fit on a "
                "phone. Shorten it and put the detail in the question above.",
            )
    for i, node in enumerate(data["nodes"]):
        size = len(node["id"].encode("utf-8"))
        if "choose" in node and size > MAX_NODE_ID_BYTES:
            report.add(
                ["nodes", i, "id"],
                f"the id '{node['id']}' has {size} bytes; a button's data holds a node id of at most "
                f"{MAX_NODE_ID_BYTES}. Use a shorter id.",
            )


def _check_reference(report: Report, path: list, name: str, kind: str, key: str, asks: set[str]) -> None:
    """{answer.NODE}, {excerpt.NODE}, {stance.before}, {stance.after}."""
    if kind == "stance" and key in ("before", "after"):
        return
    if kind in ("answer", "excerpt"):
        if key not in asks:
            report.add(path, f"{{{name}}} names '{key}', which is no open question here." + did_you_mean(key, asks))
        return
    report.add(
        path,
        f"the text uses {{{name}}}; write {{answer.QUESTION}}, {{excerpt.QUESTION}}, {{stance.before}} or "
        "{stance.after}, or a variable an option sets.",
    )


def _check_variables(report: Report, data: dict) -> None:
    values: dict[str, set[str]] = {}
    for node in data["nodes"]:
        for option in node.get("options", []):
            for name, value in option.get("set", {}).items():
                values.setdefault(name, set()).add(value)
    asks = {n["id"] for n in data["nodes"] if "ask" in n}
    for path, _, text in _texts(data):
        for name in _PLACEHOLDER.findall(text):
            kind, _, key = name.partition(".")
            if key:
                _check_reference(report, path, name, kind, key, asks)
            elif name not in values:
                report.add(
                    path,
                    f"the text uses {{{name}}}, but no option sets '{name}'. Add `set: {{{name}: ...}}` "
                    "to an option, or remove the braces.",
                )
    for i, node in enumerate(data["nodes"]):
        for name, value in node.get("when", {}).items():
            if name.startswith("stance."):
                if not valid_condition(name, value):
                    report.add(
                        ["nodes", i, "when", name],
                        f"'{value}' is not a condition on a rating. Write a comparison such as '>= 4' or '2'"
                        + (", or for stance.shift: up, down or none." if name == "stance.shift" else "."),
                    )
                continue
            if name not in values:
                report.add(["nodes", i, "when", name], f"'when' tests '{name}', but no option sets it.", key=True)
            elif value not in values[name]:
                report.add(
                    ["nodes", i, "when", name],
                    f"no option sets '{name}' to '{value}' (options set: "
                    f"{', '.join(sorted(values[name]))}). Fix the value.",
                )


def _check_pedagogy(report: Report, data: dict) -> None:
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
