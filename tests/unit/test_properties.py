"""Property-based tests: the engine in random states with random inputs. Nothing may crash; every
state stays valid. (The bot fed generated updates over HTTP: tests/e2e/test_properties_updates.py.)"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.loader import load_course
from bot.engine import (
    ChoiceInput,
    ResumeInput,
    RunState,
    StanceInput,
    StartInput,
    TextInput,
    step,
)
from bot.engine.model import End

from ..support.content import CONTENT
from ..support.strategies import texts

COURSE = load_course(CONTENT)
inputs = st.one_of(
    st.builds(TextInput, texts),
    st.builds(ChoiceInput, st.integers(-3, 10)),
    st.builds(StanceInput, st.integers(-3, 10)),
    st.just(ResumeInput()),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(COURSE.dialogues), st.lists(inputs, max_size=40), st.sampled_from(["en", "de"]))
def test_the_engine_survives_any_inputs_and_its_state_stays_valid(dialogue, events, locale):
    state, _ = step(dialogue, None, StartInput(locale=locale))
    for event in events:
        state, outputs = step(dialogue, state, event)
        assert outputs, "every input gets an answer"
        assert state.node in dialogue.nodes
        assert state.steps <= dialogue.steps_to_end[dialogue.start]
        assert not state.finished or isinstance(dialogue.node(state.node), End)
        assert RunState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
