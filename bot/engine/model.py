"""The dialogue model: what a dialogue is, independent of how it is stored or shown.

A text is a mapping of locale to string that always has "en". Nodes are frozen dataclasses,
one class per kind; the flow between them is explicit (`next` is resolved by the loader).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Union

Text = Mapping[str, str]

MOVES = ("clarification", "assumptions", "evidence", "viewpoints", "implications", "meta-question")
PORTFOLIO = "portfolio"
"""The move tag of the portfolio entry's questions (What? So what? Now what?)."""
ALL_MOVES = (*MOVES, PORTFOLIO)
PHASES = ("before", "after")
STANCE_MIN, STANCE_MAX = 1, 5


def text(en: str, **others: str) -> Text:
    """Build a Text; handy in tests and code that makes dialogues by hand."""
    return MappingProxyType({"en": en, **others})


@dataclass(frozen=True)
class Source:
    key: str
    short: str
    cite: str
    doi: str | None = None
    url: str | None = None
    short_in: tuple[tuple[str, str], ...] = ()
    """(locale, short name) where another language names the work differently ("Rat der EU (2022)");
    pairs rather than a mapping, so that outputs carrying sources stay hashable values."""

    def name(self, locale: str) -> str:
        """How a message in `locale` names the work."""
        return dict(self.short_in).get(locale, self.short)

    @property
    def link(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi else self.url


@dataclass(frozen=True)
class Say:
    id: str
    text: Text
    next: str
    cite: tuple[str, ...] = ()
    when: Mapping[str, str] = field(default_factory=dict)


Patterns = Mapping[str, tuple[str, ...]]
"""Word patterns per locale ("en" always there): `word`, `stem*`, or several words in a row."""


@dataclass(frozen=True)
class FollowUp:
    """A follow-up asked when the answer contains one of the patterns."""

    patterns: Patterns
    text: Text


@dataclass(frozen=True)
class Ask:
    id: str
    variants: tuple[Text, ...]
    move: str
    next: str
    probe: Text | None = None
    """The follow-up for a short answer or one without reasons (else the course's general ones)."""
    cite: tuple[str, ...] = ()
    when: Mapping[str, str] = field(default_factory=dict)
    follow_ups: tuple[FollowUp, ...] = ()
    """Follow-ups to what the answer says, tried in order; the first that matches is asked."""
    covers: Patterns = field(default_factory=dict)
    """What an answer that already makes the point contains: it gets no follow-up."""
    title: Text | None = None
    """A short title for the recap and the portfolio, instead of repeating the question."""
    probes: int = 1
    """How many follow-ups the question may ask (a non-answer's invitation and way out aside)."""


@dataclass(frozen=True)
class Option:
    label: Text
    next: str
    set: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choose:
    id: str
    text: Text
    options: tuple[Option, ...]
    cite: tuple[str, ...] = ()
    when: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stance:
    id: str
    phase: str
    next: str
    when: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class End:
    id: str
    text: Text
    cite: tuple[str, ...] = ()
    when: Mapping[str, str] = field(default_factory=dict)


Node = Union[Say, Ask, Choose, Stance, End]
INTERACTIVE = (Ask, Choose, Stance)


def successors(node: Node) -> tuple[str, ...]:
    if isinstance(node, Choose):
        return tuple(dict.fromkeys(o.next for o in node.options))
    if isinstance(node, End):
        return ()
    return (node.next,)


@dataclass(frozen=True)
class Fallbacks:
    """The course's general follow-ups, each a list of variants (chosen deterministically): for a
    non-answer, a short answer, an answer without reasons, and the friendly way out after a
    second non-answer."""

    non_answer: tuple[Text, ...] = ()
    short: tuple[Text, ...] = ()
    no_reason: tuple[Text, ...] = ()
    way_out: tuple[Text, ...] = ()
    skip: Patterns = field(default_factory=dict)
    """What a participant writes to take the way out (skip the question)."""


@dataclass(frozen=True)
class Dialogue:
    id: str
    version: int
    title: Text
    summary: Text
    minutes: int
    tags: tuple[str, ...]
    outcomes: tuple[Text, ...]
    sources: tuple[Source, ...]
    claim: Text
    nodes: Mapping[str, Node]
    start: str
    fallbacks: Fallbacks = field(default_factory=Fallbacks)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def source(self, key: str) -> Source:
        return next(s for s in self.sources if s.key == key)

    @cached_property
    def steps_to_end(self) -> Mapping[str, int]:
        """For each node, the most interactive steps left on any path from it to an end.

        The loader guarantees the graph is acyclic, so this is a longest-path count.
        """
        memo: dict[str, int] = {}

        def visit(node_id: str) -> int:
            if node_id not in memo:
                node = self.nodes[node_id]
                own = 1 if isinstance(node, INTERACTIVE) else 0
                memo[node_id] = own + max((visit(n) for n in successors(node)), default=0)
            return memo[node_id]

        for node_id in self.nodes:
            visit(node_id)
        return MappingProxyType(memo)

    @property
    def asks(self) -> tuple[Ask, ...]:
        return tuple(n for n in self.nodes.values() if isinstance(n, Ask))


@dataclass(frozen=True)
class Course:
    id: str
    title: Text
    summary: Text
    outcomes: tuple[Text, ...]
    dialogues: tuple[Dialogue, ...]
    extra: Mapping[str, Dialogue] = field(default_factory=dict)
    """Dialogues found in content/ but not listed in the course: playable by id, not in menus."""

    def get(self, dialogue_id: str) -> Dialogue | None:
        for d in self.dialogues:
            if d.id == dialogue_id:
                return d
        return self.extra.get(dialogue_id)

    @property
    def minutes(self) -> int:
        return sum(d.minutes for d in self.dialogues)
