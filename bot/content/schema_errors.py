"""The shape of a dialogue file: its node kinds and the JSON Schema (content/schema.json),
with every schema error explained in an author's words rather than jsonschema's.

Two validators: fastjsonschema (the schema compiled to Python once per process) says whether a
file is valid, which is the common case and about ten times faster; only a file it rejects goes
through jsonschema, whose errors say where and why. So `elenchus check` and start-up stay quick
(issue 15) and an author still gets every error at its line. A test holds the two to the same
verdict on the shipped course and on every broken case of tests/unit/test_check.py."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema

from .. import paths
from .report import Report, did_you_mean
from .yamlpos import position

if TYPE_CHECKING:
    import jsonschema

KIND_KEYS = ("say", "ask", "choose", "stance", "end")
SCHEMA_FILE = "schema.json"


def check_shape(report: Report, data: dict, path: Path) -> None:
    """Node kinds first, then the schema: a node with no kind or two kinds gets one clear
    message instead of the schema's oneOf failures."""
    _check_node_kinds(report, data)
    _check_schema(report, data, schema_for(path))


def schema_for(path: Path) -> Path:
    """A schema.json beside the dialogue wins over the shipped one, so a course can extend it."""
    beside = path.parent / SCHEMA_FILE
    return beside if beside.exists() else paths.shipped_schema()


@lru_cache(maxsize=4)
def _validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    import jsonschema  # only for a file that fails the fast check: its import alone takes 40 ms

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@lru_cache(maxsize=4)
def _fast(schema_path: Path):
    return fastjsonschema.compile(json.loads(schema_path.read_text(encoding="utf-8")))


def is_valid(data: Any, schema_path: Path) -> bool:
    """The fast verdict: does the file meet the schema?"""
    try:
        _fast(schema_path)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _check_node_kinds(report: Report, data: dict) -> None:
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


def _check_schema(report: Report, data: dict, schema: Path) -> None:
    if is_valid(data, schema):
        return
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
                f"unknown field '{bad}' in {where}." + did_you_mean(bad, allowed) + " Remove it or fix its spelling."
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
