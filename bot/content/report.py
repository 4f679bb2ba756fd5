"""Collecting an author's problems for one file, each placed at the line and column it is about."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any

from .yamlpos import Problem, position


class Report:
    """Collects problems for one file."""

    def __init__(self, shown: str, data: Any):
        self.shown, self.data = shown, data
        self.problems: list[Problem] = []

    def add(self, path: Iterable[Any], message: str, *, key: bool = False, severity: str = "error") -> None:
        line, col = position(self.data, path, key=key)
        self.problems.append(Problem(self.shown, line, col, severity, message))

    def warn(self, path: Iterable[Any], message: str) -> None:
        self.add(path, message, severity="warning")

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' Did you mean …?' with the closest choice, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def texts_in(path: list[Any], value: Any) -> Iterator[tuple[list[Any], str, str]]:
    """(path, locale, text) of a text value: a string (English), a mapping of locales, or a list of
    either (variants)."""
    if isinstance(value, str):
        yield path, "en", value
    elif isinstance(value, dict):
        for locale, text in value.items():
            yield [*path, locale], locale, text
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from texts_in([*path, i], item)
