"""Every dialogue played to its end in German, on every path, as Telegram would show it.

Walks cover every combination of the dialogue's choices, each pair of ratings (low, high, moving
up, moving down) and each way of answering (at length, a non-answer, a short answer, or words that
trigger each of the question's follow-ups). Every message, button and recap is rendered by the
Telegram renderer with the German prompts. No fragment of an English text (of the dialogues or of
the prompts) may appear in what the participant is shown, and every question, choice, rating and
ending and every follow-up must be reached by some walk, so "every path" is checked, not assumed.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator

import pytest
import yaml

from bot.content import load_course
from bot.content.languages import declared
from bot.content.prompts import load_prompts
from bot.engine import (
    Buttons,
    ChoiceInput,
    Question,
    StanceInput,
    StanceQuestion,
    StartInput,
    TextInput,
    step,
)
from bot.engine.model import Ask, Choose, Dialogue, Say
from bot.telegram.render import render

from ..support.content import CONTENT, PROMPTS

pytestmark = pytest.mark.skipif("de" not in declared(CONTENT / "course.yaml"), reason="the course is not in German")

COURSE = load_course(CONTENT)
PROMPT_TEXTS = load_prompts(PROMPTS)
RATINGS = ((1, 1), (5, 5), (2, 4), (4, 2))
AT_LENGTH = (
    "Ich sehe das differenziert, weil die Anerkennung von der Branche abhängt und Arbeitgeber "
    "unterschiedlich urteilen, zum Beispiel im Pflegebereich."
)
SHORT = "Eher ja."
NON_ANSWER = "weiß nicht"
WAYS = ("at length", "non-answer", "short")
TAG = re.compile(r"<[^>]+>")
PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _pairs(value: object) -> Iterator[tuple[str, str]]:
    """(English, German) of every text in a YAML tree that has both."""
    if isinstance(value, dict):
        if isinstance(value.get("en"), str) and isinstance(value.get("de"), str):
            yield value["en"], value["de"]
        for item in value.values():
            yield from _pairs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _pairs(item)


def _texts() -> list[tuple[str, str]]:
    pairs = [p for path in sorted(CONTENT.glob("*.yaml")) for p in _pairs(yaml.safe_load(path.read_text("utf-8")))]
    en, de = (yaml.safe_load((PROMPTS / f"{lang}.yaml").read_text("utf-8")) for lang in ("en", "de"))
    return pairs + [(en[key], de[key]) for key in en if isinstance(en[key], str) and key in de]


def _english_fragments() -> set[str]:
    """Pieces of English text (between placeholders, line by line) that no German text contains."""
    pairs = _texts()
    german = "\n".join(de for _, de in pairs).casefold()
    pieces = {
        piece.strip(" .,:;!?\"'“”„()-–—")
        for en, de in pairs
        if en != de
        for line in en.splitlines()
        for piece in PLACEHOLDER.split(line)
    }
    return {p for p in pieces if len(p) >= 12 and p.casefold() not in german}


ENGLISH = _english_fragments()


def _trigger(pattern: str) -> str:
    """Words that a follow-up's pattern matches: a stem gets an ending, words stay as they are."""
    return " ".join(word[:-1] + "en" if word.endswith("*") else word for word in pattern.split())


def _answer(node: Ask, way: str, attempt: int) -> str:
    if way == "non-answer" and attempt == 0:
        return NON_ANSWER
    if way == "short" and attempt == 0:
        return SHORT
    if way.startswith("follow-up") and attempt == 0 and node.follow_ups:
        follow_up = node.follow_ups[int(way.split()[1]) % len(node.follow_ups)]
        patterns = follow_up.patterns.get("de", ())
        if patterns:
            return f"Mir fällt {_trigger(patterns[0])} dazu ein, mehr kann ich kaum sagen."
    return AT_LENGTH


def _ways(dialogue: Dialogue) -> tuple[str, ...]:
    """The ways of answering: the plain ones, and one per follow-up position of the dialogue's questions."""
    most = max((len(a.follow_ups) for a in dialogue.asks), default=0)
    return WAYS + tuple(f"follow-up {k}" for k in range(most))


def _choice_combinations(dialogue: Dialogue) -> list[tuple[int, ...]]:
    """Every combination of option indices, one per choice node (most dialogues have one or two)."""
    widths = [len(n.options) for n in dialogue.nodes.values() if isinstance(n, Choose)]
    return list(itertools.product(*(range(w) for w in widths))) or [()]


def _walk(dialogue: Dialogue, choices: tuple[int, ...], ratings: tuple[int, int], way: str) -> tuple[list, set[str]]:
    """Play one path to its end; returns what was shown (rendered) and the nodes reached."""
    choose_order = [n.id for n in dialogue.nodes.values() if isinstance(n, Choose)]
    shown, reached, attempts = [], set(), {}
    state, out = step(dialogue, None, StartInput(locale="de"))
    for _ in range(200):
        shown += render(out, 1, lambda key, **v: PROMPT_TEXTS.t(key, "de", **v))
        reached |= {o.node for o in out if isinstance(o, (Question, Buttons, StanceQuestion))}
        reached.add(state.node)
        if state.finished:
            return shown, reached
        pending = next(o for o in reversed(out) if isinstance(o, (Question, Buttons, StanceQuestion)))
        if isinstance(pending, StanceQuestion):
            event = StanceInput(ratings[0] if pending.phase == "before" else ratings[1])
        elif isinstance(pending, Buttons):
            event = ChoiceInput(choices[choose_order.index(pending.node)] if choose_order else 0)
        else:
            attempt = attempts.get(pending.node, 0)
            attempts[pending.node] = attempt + 1
            event = TextInput(_answer(dialogue.node(pending.node), way, attempt))
        state, out = step(dialogue, state, event)
    raise AssertionError(f"{dialogue.id}: no end after 200 steps on {choices}, {ratings}, {way}")


def _visible(message) -> list[str]:
    texts = [message.text, *(button.label for row in message.keyboard for button in row)]
    return [html.unescape(TAG.sub("", text)) for text in texts]


@pytest.mark.parametrize("dialogue", COURSE.dialogues, ids=lambda d: d.id)
def test_every_german_path_shows_only_german(dialogue):
    reached: set[str] = set()
    seen: list[str] = []
    walks = itertools.product(_choice_combinations(dialogue), RATINGS, _ways(dialogue))
    for choices, ratings, way in walks:
        shown, nodes = _walk(dialogue, choices, ratings, way)
        reached |= nodes
        for text in (t for message in shown for t in _visible(message)):
            english = [f for f in ENGLISH if f in text]
            assert not english, (
                f"{dialogue.id} ({choices}, {ratings}, {way}): English shown: {english[0]!r} in {text!r}"
            )
            seen.append(text)
    unreached = set(dialogue.nodes) - reached - _passed_through(dialogue)
    assert not unreached, f"{dialogue.id}: no walk reached {sorted(unreached)}"
    everything = "\n".join(seen)
    unasked = [f.text["de"] for a in dialogue.asks for f in a.follow_ups if _opening(f.text["de"]) not in everything]
    assert not unasked, f"{dialogue.id}: no walk was asked the follow-up {unasked[0]!r}"


def _opening(text: str) -> str:
    """The start of a text, up to its first placeholder: what a shown message must contain."""
    return PLACEHOLDER.split(text)[0][:40]


def _passed_through(dialogue: Dialogue) -> set[str]:
    """Nodes that a run moves through without stopping: their texts are checked where shown."""
    return {n.id for n in dialogue.nodes.values() if isinstance(n, Say)}


def test_the_english_fragments_are_real():
    """The detector is not empty, and would catch an English question shown in a German run."""
    dialogue = COURSE.get("value-and-trust")
    question = next(iter(dialogue.asks)).variants[0]["en"]
    assert len(ENGLISH) > 500
    assert any(f in question for f in ENGLISH)


def test_a_german_run_names_the_council_in_german():
    dialogue = next(d for d in COURSE.dialogues if any(s.key == "eu2022" for s in d.sources))
    seen = []
    for choices in _choice_combinations(dialogue):
        shown, _ = _walk(dialogue, choices, (3, 3), "at length")
        seen += [t for m in shown for t in _visible(m)]
    cited = [t for t in seen if "(2022)" in t and "EU" in t]
    assert cited and all("Council of the EU" not in t for t in seen), cited
    assert any("Rat der EU (2022)" in t for t in cited)
