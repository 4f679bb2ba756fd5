"""The course in German: complete (the check holds it to the declared languages), and a whole
German run shows no English text of the dialogue."""

from __future__ import annotations

import shutil

import pytest

from bot.content import check_content
from bot.content.languages import declared
from bot.engine import Buttons, ChoiceInput, Message, Question, StanceInput, StanceQuestion, StartInput, TextInput, step

from ..support.content import CONTENT

GERMAN = "de" in declared(CONTENT / "course.yaml")
pytestmark = pytest.mark.skipif(not GERMAN, reason="the course does not declare German yet")
ANSWER = "Es kommt darauf an, weil die Belege für jede Gruppe anders sind, zum Beispiel für Studierende."


def test_removing_one_german_text_fails_the_check_with_its_line(tmp_path):
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    path = copy / "value-and-trust.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  de:", text.index("  - id: hook"))
    end = text.index("\n  - id:", start)
    path.write_text(text[:start] + text[end:].replace("\n", "\n", 1), encoding="utf-8")
    errors = [p for p in check_content(copy) if p.is_error]
    assert errors and all("no 'de' version" in p.message for p in errors), errors
    assert errors[0].path.endswith("value-and-trust.yaml") and errors[0].line > 1


def _english_only(dialogue) -> set[str]:
    """Texts of the dialogue whose English differs from their German."""
    found = set()
    for node in dialogue.nodes.values():
        for text in [getattr(node, "text", None), getattr(node, "probe", None), *getattr(node, "variants", ())]:
            if text and text.get("de") and text["de"] != text["en"]:
                found.add(text["en"])
    return found


@pytest.mark.parametrize(
    "dialogue_id",
    [
        d
        for d in (
            "value-and-trust",
            "recognition",
            "unbundling",
            "vocational-turn",
            "human-capital",
            "expiring-skills",
            "human-element",
            "embed-curriculum",
            "mission-alignment",
            "critical-pedagogy",
        )
    ],
)
@pytest.mark.parametrize("rating", [2, 5])
def test_a_german_run_shows_no_english_text(course, dialogue_id, rating):
    dialogue = course.get(dialogue_id)
    english = _english_only(dialogue)
    state, out = step(dialogue, None, StartInput(locale="de"))
    seen = list(out)
    while not state.finished:
        pending = next(o for o in reversed(seen) if isinstance(o, (Question, Buttons, StanceQuestion)))
        if isinstance(pending, StanceQuestion):
            event = StanceInput(rating)
        elif isinstance(pending, Buttons):
            event = ChoiceInput(0)
        else:
            event = TextInput(ANSWER)
        state, out = step(dialogue, state, event)
        seen += out
    for output in seen:
        if isinstance(output, (Message, Question, Buttons)):
            assert output.text not in english, f"{dialogue_id}: English text shown in German: {output.text[:80]}"
