"""The dialogue engine: step(dialogue, state, input) -> (state, outputs).

Pure and deterministic. A run's whole memory is the RunState, a small value that converts to
and from a JSON-ready dict, so a shell can store it after every step and resume any run after
a restart. Outputs are plain data; the shells (terminal, Telegram) decide how they look.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Union

from . import followups
from .listening import excerpt
from .model import (
    STANCE_MAX,
    STANCE_MIN,
    Ask,
    Choose,
    Dialogue,
    End,
    Say,
    Source,
    Stance,
)
from .texts import applies, known, render
from .texts import localize as localize

# ---- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartInput:
    locale: str = "en"
    visit: int = 1
    """How many times this participant has started the dialogue, this time included."""


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ChoiceInput:
    option: int


@dataclass(frozen=True)
class StanceInput:
    value: int


@dataclass(frozen=True)
class ResumeInput:
    """Show the pending step again, for example after a restart."""


Input = Union[StartInput, TextInput, ChoiceInput, StanceInput, ResumeInput]

# ---- outputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    text: str
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Progress:
    step: int
    total: int


@dataclass(frozen=True)
class Question:
    """An open question: the participant answers in free text."""

    node: str
    text: str
    move: str
    probe: bool = False
    sources: tuple[Source, ...] = ()
    kind: str = field(default="", compare=False)
    """For a follow-up: which rule asked it (followups.SPECIFIC, NON_ANSWER, WAY_OUT, ...)."""


@dataclass(frozen=True)
class Buttons:
    """A question answered by picking one option (by its index)."""

    node: str
    text: str
    options: tuple[str, ...]
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class StanceQuestion:
    node: str
    claim: str
    phase: str


@dataclass(frozen=True)
class SaveReflection:
    node: str
    question: str
    answer: str
    move: str
    probe: bool


@dataclass(frozen=True)
class SaveStance:
    node: str
    phase: str
    claim: str
    value: int


@dataclass(frozen=True)
class RecapItem:
    question: str
    answer: str
    probe: bool
    node: str = ""
    title: str = ""
    """The question's short title (its first words when the author gave none)."""


@dataclass(frozen=True)
class Recap:
    claim: str
    before: int | None
    after: int | None
    items: tuple[RecapItem, ...]
    sources: tuple[Source, ...]
    choices: tuple[str, ...] = ()
    """The options the participant chose (a role, a route), as their buttons said."""


@dataclass(frozen=True)
class Finished:
    pass


@dataclass(frozen=True)
class Notice:
    """Input that does not fit the current step; the state is unchanged unless said.

    Codes: expected_text, expected_choice, expected_stance, unknown_option, stance_range,
    empty_answer, finished, not_started, restarted (content changed; the run began again).
    """

    code: str


Output = Union[
    Message,
    Progress,
    Question,
    Buttons,
    StanceQuestion,
    SaveReflection,
    SaveStance,
    Recap,
    Finished,
    Notice,
]

# ---- state --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunState:
    dialogue: str
    version: int
    node: str
    locale: str = "en"
    visit: int = 1
    vars: Mapping[str, str] = field(default_factory=dict)
    answers: tuple[RecapItem, ...] = ()
    stances: Mapping[str, int] = field(default_factory=dict)
    steps: int = 0
    probing: bool = False
    """The next answer is to a follow-up (whose text is `asked`)."""
    finished: bool = False
    probes: int = 0
    """Follow-ups asked at the current question."""
    last_kind: str = ""
    way_out: bool = False
    """The way out was offered: the next answer moves on (or skips)."""
    asked: str = ""
    choices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "dialogue": self.dialogue,
            "version": self.version,
            "node": self.node,
            "locale": self.locale,
            "visit": self.visit,
            "vars": dict(self.vars),
            "answers": [[a.question, a.answer, a.probe, a.node, a.title] for a in self.answers],
            "stances": dict(self.stances),
            "steps": self.steps,
            "probing": self.probing,
            "finished": self.finished,
            "probes": self.probes,
            "last_kind": self.last_kind,
            "way_out": self.way_out,
            "asked": self.asked,
            "choices": list(self.choices),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunState:
        return cls(
            dialogue=data["dialogue"],
            version=data["version"],
            node=data["node"],
            locale=data.get("locale", "en"),
            visit=data.get("visit", 1),
            vars=dict(data.get("vars", {})),
            answers=tuple(_item(a) for a in data.get("answers", [])),
            stances={k: int(v) for k, v in data.get("stances", {}).items()},
            steps=data.get("steps", 0),
            probing=data.get("probing", False),
            finished=data.get("finished", False),
            probes=data.get("probes", 0),
            last_kind=data.get("last_kind", ""),
            way_out=data.get("way_out", False),
            asked=data.get("asked", ""),
            choices=tuple(data.get("choices", ())),
        )


def _item(stored: list[Any]) -> RecapItem:
    """A recap item as stored (runs from before node and title were kept have three fields)."""
    question, answer, probe, *rest = stored
    return RecapItem(question, answer, bool(probe), *rest)


# ---- the step -----------------------------------------------------------------------------


def step(dialogue: Dialogue, state: RunState | None, event: Input) -> tuple[RunState | None, list[Output]]:
    """Apply one input to a run. Returns the new state and what to show and store, in order."""
    if isinstance(event, StartInput):
        return start_run(dialogue, event.locale, event.visit, [])
    if state is None:
        return None, [Notice("not_started")]
    if state.version != dialogue.version or state.node not in dialogue.nodes:
        return start_run(dialogue, state.locale, state.visit, [Notice("restarted")])
    if state.finished:
        if isinstance(event, ResumeInput):
            return state, [_recap(dialogue, state), Finished()]
        return state, [Notice("finished")]
    if isinstance(event, ResumeInput):
        return state, _prompt(dialogue, state)
    node = dialogue.node(state.node)
    if isinstance(node, Ask):
        return _on_ask(dialogue, state, node, event)
    if isinstance(node, Choose):
        return _on_choose(dialogue, state, node, event)
    assert isinstance(node, Stance)
    return _on_stance(dialogue, state, node, event)


def start_run(dialogue: Dialogue, locale: str, visit: int, out: list[Output]) -> tuple[RunState, list[Output]]:
    state = RunState(
        dialogue=dialogue.id, version=dialogue.version, node=dialogue.start, locale=locale, visit=max(1, visit)
    )
    return advance(dialogue, state, dialogue.start, out)


def _expected(node: Ask | Choose | Stance) -> Notice:
    if isinstance(node, Ask):
        return Notice("expected_text")
    if isinstance(node, Choose):
        return Notice("expected_choice")
    return Notice("expected_stance")


def _on_ask(d: Dialogue, state: RunState, node: Ask, event: Input) -> tuple[RunState, list[Output]]:
    if not isinstance(event, TextInput):
        return state, [_expected(node)]
    if not event.text.strip():
        return state, [Notice("empty_answer")]
    if state.way_out and followups.is_skip(d, event.text, state.locale):
        return advance(d, _moved_on(state), node.next, [])
    question = state.asked if state.probing else ask_text(state, node)
    out: list[Output] = [SaveReflection(node.id, question, event.text, node.move, state.probing)]
    item = RecapItem(question, event.text, state.probing, node.id, short_title(state, node))
    state = replace(state, answers=state.answers + (item,))
    follow = follow_up(d, state, node, event.text, question)
    if follow is not None:
        state = replace(
            state,
            probing=True,
            probes=state.probes + (follow.kind != followups.WAY_OUT),
            last_kind=follow.kind,
            way_out=follow.kind == followups.WAY_OUT,
            asked=follow.text,
        )
        return state, out + [follow]
    return advance(d, _moved_on(state), node.next, out)


def _moved_on(state: RunState) -> RunState:
    return replace(state, probing=False, probes=0, last_kind="", way_out=False, asked="", steps=state.steps + 1)


def follow_up(d: Dialogue, state: RunState, node: Ask, answer: str, question: str = "") -> Question | None:
    """The follow-up an answer gets, if any (followups.choose has the rule), as a Question."""
    chosen = followups.choose(d, state, node, answer, question)
    if chosen is None:
        return None
    kind, text = chosen
    return Question(node.id, render(text, state), node.move, probe=True, kind=kind)


def short_title(state: RunState, node: Ask) -> str:
    """The question's title for the recap and portfolio: the author's, or its first words."""
    if node.title is not None:
        return render(node.title, state)
    return excerpt(ask_text(state, node), limit=8)


def _on_choose(d: Dialogue, state: RunState, node: Choose, event: Input) -> tuple[RunState, list[Output]]:
    if not isinstance(event, ChoiceInput):
        return state, [_expected(node)]
    if not 0 <= event.option < len(node.options):
        return state, [Notice("unknown_option")]
    option = node.options[event.option]
    chosen = state.choices + (render(option.label, state),)
    state = replace(state, vars={**state.vars, **option.set}, steps=state.steps + 1, choices=chosen)
    return advance(d, state, option.next, [])


def _on_stance(d: Dialogue, state: RunState, node: Stance, event: Input) -> tuple[RunState, list[Output]]:
    if not isinstance(event, StanceInput):
        return state, [_expected(node)]
    if not STANCE_MIN <= event.value <= STANCE_MAX:
        return state, [Notice("stance_range")]
    claim = _render(d.claim, state)
    out: list[Output] = [SaveStance(node.id, node.phase, claim, event.value)]
    state = replace(state, stances={**state.stances, node.phase: event.value}, steps=state.steps + 1)
    return advance(d, state, node.next, out)


def advance(d: Dialogue, state: RunState, node_id: str, out: list[Output]) -> tuple[RunState, list[Output]]:
    """Walk from node_id through messages until a step that waits for input, or an end."""
    while True:
        node = d.node(node_id)
        if not _applies(node, state):
            node_id = node.next  # type: ignore[union-attr]  # the loader forbids `when` elsewhere
            continue
        if isinstance(node, Say):
            out.append(Message(_render(node.text, state), _sources(d, node.cite, state.locale)))
            node_id = node.next
            continue
        if isinstance(node, End):
            state = replace(state, node=node_id, finished=True, probing=False, way_out=False)
            out.append(Message(_render(node.text, state), _sources(d, node.cite, state.locale)))
            out += [_recap(d, state), Finished()]
            return state, out
        state = replace(state, node=node_id, probing=False)
        return state, out + _prompt(d, state)


def _prompt(d: Dialogue, state: RunState) -> list[Output]:
    node = d.node(state.node)
    progress = Progress(state.steps + 1, state.steps + steps_left(d, state, node.id))
    if isinstance(node, Ask):
        if state.probing:
            return [Question(node.id, state.asked, node.move, probe=True, kind=state.last_kind)]
        return [
            progress,
            Question(node.id, ask_text(state, node), node.move, sources=_sources(d, node.cite, state.locale)),
        ]
    if isinstance(node, Choose):
        labels = tuple(_render(o.label, state) for o in node.options)
        return [progress, Buttons(node.id, _render(node.text, state), labels, _sources(d, node.cite, state.locale))]
    assert isinstance(node, Stance)
    return [progress, StanceQuestion(node.id, _render(d.claim, state), node.phase)]


def steps_left(d: Dialogue, state: RunState, node_id: str) -> int:
    """The steps (questions, choices, ratings) still ahead on the longest path from a node, counting
    what this run will see: a node whose condition fails is not counted; of alternatives that
    depend on a rating not given yet (a run of nodes conditioned on the same keys), one is."""

    def walk(current: str | None, unknown: frozenset[str]) -> int:
        total = 0
        while current is not None:
            node = d.node(current)
            when = getattr(node, "when", None) or {}
            if when and not known(when, state):
                keys = frozenset(when)
                counts, unknown = keys != unknown, keys
            else:
                counts, unknown = not when or applies(when, state), frozenset()
            if isinstance(node, Choose):
                return total + 1 + max(walk(o.next, frozenset()) for o in node.options)
            if counts and isinstance(node, (Ask, Stance)):
                total += 1
            current = None if isinstance(node, End) else node.next  # type: ignore[union-attr]
        return total

    return walk(node_id, frozenset())


def _recap(d: Dialogue, state: RunState) -> Recap:
    return Recap(
        claim=_render(d.claim, state),
        before=state.stances.get("before"),
        after=state.stances.get("after"),
        items=state.answers,
        sources=d.sources,
        choices=state.choices,
    )


def _applies(node: Any, state: RunState) -> bool:
    return applies(getattr(node, "when", None) or {}, state)


def _sources(d: Dialogue, keys: tuple[str, ...], locale: str) -> tuple[Source, ...]:
    """The cited works, each named as a message in the run's language names it."""
    return tuple(replace(s, short=s.name(locale)) for s in map(d.source, keys))


def ask_text(state: RunState, node: Ask) -> str:
    return _render(node.variants[(state.visit - 1) % len(node.variants)], state)


_render = render
