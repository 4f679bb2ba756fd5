"""YAML loading that remembers where every key and value stood, for file:line:column errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of a check, printed as `file:line:column: severity: message`."""

    path: str
    line: int
    column: int
    severity: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"


class ContentError(Exception):
    """Content or prompts have errors; `problems` says which, and where."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


Pos = tuple[int, int]


def shown_path(path: Path) -> str:
    """A path as an author would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class PosMap(dict):
    """A dict that knows the 1-based (line, column) of itself, its keys and its values."""

    start: Pos = (1, 1)

    def __init__(self) -> None:
        super().__init__()
        self.key_pos: dict[Any, Pos] = {}
        self.value_pos: dict[Any, Pos] = {}


class PosList(list):
    start: Pos = (1, 1)

    def __init__(self) -> None:
        super().__init__()
        self.item_pos: list[Pos] = []


def _pos(mark: yaml.Mark) -> Pos:
    return (mark.line + 1, mark.column + 1)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: 8x faster
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, Pos]] = []


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> PosMap:
    loader.flatten_mapping(node)
    result = PosMap()
    result.start = _pos(node.start_mark)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            loader.duplicates.append((str(key), _pos(key_node.start_mark)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_pos[key] = _pos(key_node.start_mark)
        result.value_pos[key] = _pos(value_node.start_mark)
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> PosList:
    result = PosList()
    result.start = _pos(node.start_mark)
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_pos.append(_pos(item.start_mark))
    return result


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)
# Dates and times stay text: authors never mean a YAML timestamp.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)


def load(path: Path, shown: str) -> tuple[Any, list[Problem]]:
    """Parse a YAML file. Returns (data or None, problems); never raises on bad input."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(shown, 1, 1, "error", f"the file is not UTF-8 text ({exc.reason}). Save it as UTF-8.")]
    loader = _Loader(source)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark) if mark else (1, 1)
        what = exc.problem or "cannot read this YAML"
        hint = " Check the indentation and quoting here (a text with ': ' in it needs quotes)."
        return None, [Problem(shown, line, col, "error", f"YAML syntax: {what}.{hint}")]
    finally:
        loader.dispose()
    problems = [
        Problem(shown, line, col, "error", f"the key '{key}' appears twice in this mapping. Keep only one.")
        for key, (line, col) in loader.duplicates
    ]
    return data, problems


def position(data: Any, path: Iterable[Any], *, key: bool = False) -> Pos:
    """Where the value at `path` (keys and indexes) stands; the key's place when `key`."""
    here: Pos = getattr(data, "start", (1, 1))
    node = data
    items = list(path)
    for i, part in enumerate(items):
        last = i == len(items) - 1
        if isinstance(node, PosMap) and part in node:
            here = node.key_pos[part] if (last and key) else node.value_pos[part]
            node = node[part]
        elif isinstance(node, PosList) and isinstance(part, int) and 0 <= part < len(node):
            here = node.item_pos[part]
            node = node[part]
        else:
            break
    return here
