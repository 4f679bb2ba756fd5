"""A dialogue's texts as one run shows them: in its language, with its variables and the
participant's own words and ratings filled in, and the conditions that decide which nodes apply.

Placeholders: `{role}` (a variable set by a choice), `{answer.NODE}` (the participant's answer to
that question, whole; after a non-answer, the real one they gave when invited again),
`{excerpt.NODE}` (its first sentence, or its first words), `{stance.before}`
and `{stance.after}` (their ratings). A placeholder whose value the run does not have (yet) shows
as "…". Shells escape the whole text, the participant's words included.

Conditions (`when`): a variable's value (`role: employer`), a rating compared with a number
(`stance.before: ">= 4"`), or how the rating moved (`stance.shift: up | down | none`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .listening import excerpt, is_non_answer
from .model import Text

if TYPE_CHECKING:
    from .step import RunState

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*(?:\.[a-z0-9][a-z0-9_-]*)?)\}")
MISSING = "…"
_COMPARE = re.compile(r"\s*(>=|<=|!=|=|>|<)?\s*([1-5])\s*")
SHIFTS = ("up", "down", "none")


def localize(text: Text, locale: str) -> str:
    return text.get(locale) or text["en"]


def render(text: Text, state: RunState) -> str:
    """A text as this run shows it."""
    return PLACEHOLDER.sub(lambda m: value_of(m.group(1), state, m.group(0)), localize(text, state.locale))


def value_of(name: str, state: RunState, unknown: str) -> str:
    kind, _, key = name.partition(".")
    if not key:
        return state.vars.get(name, unknown)
    if kind == "stance":
        value = state.stances.get(key)
        return str(value) if value is not None else MISSING
    if kind in ("answer", "excerpt"):
        answer = own_words(state, key)
        if answer is None:
            return MISSING
        return answer if kind == "answer" else excerpt(answer)
    return unknown


def own_words(state: RunState, node: str) -> str | None:
    """What the participant said to a question: their answer, or, when that was a non-answer ("I
    don't know"), the first real one they gave when invited again; the non-answer only if they
    never gave another. Quoting "I don't know" back as their view would not be listening."""
    given = [a.answer for a in state.answers if a.node == node]
    if not given:
        return None
    return next((a for a in given if not is_non_answer(a, state.locale)), given[0])


def applies(when: Mapping[str, str], state: RunState) -> bool:
    return all(_holds(key, wanted, state) for key, wanted in when.items())


MIDDLE = 3
"""A rating the run does not have (a member who did not vote in a group session) counts as the
middle of the scale, so exactly one of a set of alternatives (">= 4" / "<= 3") applies."""


def _holds(key: str, wanted: str, state: RunState) -> bool:
    if key == "stance.shift":
        before, after = state.stances.get("before", MIDDLE), state.stances.get("after", MIDDLE)
        return wanted == ("up" if after > before else "down" if after < before else "none")
    if key.startswith("stance."):
        return compares(state.stances.get(key.removeprefix("stance."), MIDDLE), wanted)
    return state.vars.get(key) == wanted


def known(when: Mapping[str, str], state: RunState) -> bool:
    """Whether the run already has everything the condition depends on (a later rating it has not)."""
    for key in when:
        if key == "stance.shift" and not {"before", "after"} <= set(state.stances):
            return False
        if key in ("stance.before", "stance.after") and key.removeprefix("stance.") not in state.stances:
            return False
    return True


def compares(value: int, condition: str) -> bool:
    found = _COMPARE.fullmatch(condition)
    if found is None:
        return False
    op, number = found.group(1) or "=", int(found.group(2))
    return {
        ">=": value >= number,
        "<=": value <= number,
        ">": value > number,
        "<": value < number,
        "=": value == number,
        "!=": value != number,
    }[op]


def valid_condition(key: str, wanted: Any) -> bool:
    """Whether the loader can accept this condition on stances (variables are checked elsewhere)."""
    if key == "stance.shift":
        return wanted in SHIFTS
    return isinstance(wanted, str) and _COMPARE.fullmatch(wanted) is not None
