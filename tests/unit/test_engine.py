"""The pure engine, input by input, on a small dialogue that uses every feature."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.engine import (
    Buttons,
    ChoiceInput,
    Finished,
    Message,
    Notice,
    Progress,
    Question,
    Recap,
    ResumeInput,
    RunState,
    SaveReflection,
    SaveStance,
    StanceInput,
    StanceQuestion,
    StartInput,
    TextInput,
    step,
)
from bot.engine.probes import is_thin

THICK = "I think it matters because employers read the outcomes, for example in interviews."


def kinds(outputs):
    return [type(o).__name__ for o in outputs]


def play(dialogue, inputs, state=None, start=None):
    state, outputs = step(dialogue, state, start or StartInput()) if state is None else (state, [])
    for event in inputs:
        state, outputs = step(dialogue, state, event)
    return state, outputs


def test_start_shows_messages_until_the_first_step(mini):
    state, out = step(mini, None, StartInput())
    assert kinds(out) == ["Message", "Progress", "StanceQuestion"]
    assert out[0].text == "Hello."
    assert [s.short for s in out[0].sources] == ["Ralston (2021)"]
    assert out[1] == Progress(1, 7)
    assert out[2] == StanceQuestion("before", "Tests are useful.", "before")
    assert state.node == "before" and state.steps == 0 and not state.finished


def test_stance_is_saved_and_the_dialogue_goes_on(mini):
    state, out = play(mini, [StanceInput(4)])
    assert out[0] == SaveStance("before", "before", "Tests are useful.", 4)
    assert out[1] == Progress(2, 7)
    assert out[2] == Question("q1", "What do you mean?", "clarification")
    assert state.stances == {"before": 4}


@pytest.mark.parametrize("value", [0, 6, -1, 99])
def test_stance_out_of_range_changes_nothing(mini, value):
    state, _ = step(mini, None, StartInput())
    after, out = step(mini, state, StanceInput(value))
    assert out == [Notice("stance_range")]
    assert after == state


@pytest.mark.parametrize(
    ("at", "event", "code"),
    [
        ([], TextInput("hi"), "expected_stance"),
        ([], ChoiceInput(0), "expected_stance"),
        ([StanceInput(3)], StanceInput(3), "expected_text"),
        ([StanceInput(3)], ChoiceInput(1), "expected_text"),
        ([StanceInput(3), TextInput(THICK)], TextInput("words"), "expected_choice"),
        ([StanceInput(3), TextInput(THICK)], StanceInput(2), "expected_choice"),
    ],
)
def test_input_of_the_wrong_kind_gets_a_notice_and_changes_nothing(mini, at, event, code):
    state, _ = play(mini, at)
    after, out = step(mini, state, event)
    assert out == [Notice(code)]
    assert after == state


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_empty_answer_is_refused(mini, blank):
    state, _ = play(mini, [StanceInput(3)])
    after, out = step(mini, state, TextInput(blank))
    assert out == [Notice("empty_answer")]
    assert after == state


def test_a_thin_answer_gets_the_probe_once(mini):
    state, out = play(mini, [StanceInput(3), TextInput("dunno")])
    assert out[0] == SaveReflection("q1", "What do you mean?", "dunno", "clarification", False)
    assert out[1] == Question("q1", "Say more?", "clarification", probe=True)
    assert state.probing and state.node == "q1"
    state, out = step(mini, state, TextInput("still thin"))
    assert out[0] == SaveReflection("q1", "Say more?", "still thin", "clarification", True)
    assert isinstance(out[-1], Buttons), "a second thin answer is never probed again"
    assert not state.probing and state.steps == 2


def test_a_reasoned_answer_is_not_probed(mini):
    _state, out = play(mini, [StanceInput(3), TextInput(THICK)])
    assert kinds(out) == ["SaveReflection", "Progress", "Buttons"]
    assert out[2] == Buttons("pick", "Whose view?", ("Student", "Employer"))


def test_choice_sets_variables_used_in_texts_and_conditions(mini):
    state, out = play(mini, [StanceInput(3), TextInput(THICK), ChoiceInput(1)])
    assert state.vars == {"role": "employer"}
    assert out[-1] == Question("q-employer", "As an employer, what do you look for?", "viewpoints")
    state, out = step(mini, state, TextInput(THICK))
    assert [o.text for o in out if isinstance(o, Message)] == ["Only employers see this."]


def test_a_node_whose_condition_fails_is_skipped(mini):
    _state, out = play(mini, [StanceInput(3), TextInput(THICK), ChoiceInput(0), TextInput(THICK)])
    assert not any(isinstance(o, Message) for o in out)
    assert out[-1] == Question("q-evidence", "What evidence?", "evidence")


@pytest.mark.parametrize("option", [-1, 2, 17])
def test_unknown_option_is_refused(mini, option):
    state, _ = play(mini, [StanceInput(3), TextInput(THICK)])
    after, out = step(mini, state, ChoiceInput(option))
    assert out == [Notice("unknown_option")]
    assert after == state


def finish(mini, state=None):
    return play(
        mini,
        [
            StanceInput(2),
            TextInput("short"),
            TextInput(THICK),
            ChoiceInput(0),
            TextInput(THICK),
            TextInput("Evidence\non two lines"),
            StanceInput(5),
            TextInput(THICK),
        ],
        state=state,
    )


def test_the_end_recaps_answers_and_stances(mini):
    state, out = finish(mini)
    assert kinds(out) == ["SaveReflection", "Message", "Recap", "Finished"]
    assert out[1].text == "Thanks, student."
    recap = out[2]
    assert (recap.before, recap.after, recap.claim) == (2, 5, "Tests are useful.")
    assert [(i.question, i.answer, i.probe) for i in recap.items] == [
        ("What do you mean?", "short", False),
        ("Say more?", THICK, True),
        ("As a student, what do you need?", THICK, False),
        ("What evidence?", "Evidence\non two lines", False),
        ("Is this the right question?", THICK, False),
    ]
    assert [s.key for s in recap.sources] == ["ralston2021"]
    assert state.finished


def test_progress_counts_steps_and_the_longest_way_left(mini):
    seen = []
    state, out = step(mini, None, StartInput())
    events = [StanceInput(2), TextInput(THICK), ChoiceInput(0), TextInput(THICK), TextInput(THICK), StanceInput(5)]
    seen += [o for o in out if isinstance(o, Progress)]
    for event in events:
        state, out = step(mini, state, event)
        seen += [o for o in out if isinstance(o, Progress)]
    assert seen == [Progress(n, 7) for n in range(1, 8)]


def test_after_the_end_input_gets_a_notice_and_resume_shows_the_recap(mini):
    state, _ = finish(mini)
    assert step(mini, state, TextInput("more"))[1] == [Notice("finished")]
    again, out = step(mini, state, ResumeInput())
    assert kinds(out) == ["Recap", "Finished"] and again == state


def test_resume_repeats_the_pending_step_without_changing_state(mini):
    state, out = play(mini, [StanceInput(3)])
    again, repeated = step(mini, state, ResumeInput())
    assert again == state
    assert repeated == out[1:]  # the progress and the question, not the stored stance


def test_resume_while_probing_repeats_the_probe(mini):
    state, _ = play(mini, [StanceInput(3), TextInput("thin")])
    _, out = step(mini, state, ResumeInput())
    assert out == [Question("q1", "Say more?", "clarification", probe=True)]


def test_inputs_without_a_run(mini):
    for event in (TextInput("x"), ChoiceInput(0), StanceInput(1), ResumeInput()):
        assert step(mini, None, event) == (None, [Notice("not_started")])


def test_a_changed_dialogue_version_restarts_the_run(mini):
    state, _ = play(mini, [StanceInput(3)])
    old = RunState.from_dict({**state.to_dict(), "version": 0})
    new, out = step(mini, old, TextInput(THICK))
    assert out[0] == Notice("restarted")
    assert new.node == "before" and new.steps == 0 and new.version == mini.version


def test_a_state_pointing_at_a_removed_node_restarts(mini):
    state, _ = play(mini, [StanceInput(3)])
    gone = RunState.from_dict({**state.to_dict(), "node": "deleted-node"})
    new, out = step(mini, gone, ResumeInput())
    assert out[0] == Notice("restarted") and new.node == "before"


def test_state_round_trips_through_json_at_every_step(mini):
    state, _ = step(mini, None, StartInput(locale="de", visit=2))
    events = [
        StanceInput(2),
        TextInput("thin"),
        TextInput("emoji 🎓 and ümlauts"),
        ChoiceInput(1),
        TextInput(THICK),
        TextInput(THICK),
        StanceInput(4),
        TextInput(THICK),
    ]
    for event in events:
        restored = RunState.from_dict(json.loads(json.dumps(state.to_dict())))
        assert restored == state
        state, out_a = step(mini, state, event)
        state_b, out_b = step(mini, restored, event)
        assert (state, out_a) == (state_b, out_b), "the engine is deterministic"
    assert state.finished


def test_locale_variants_and_english_fallback(mini):
    state, _ = step(mini, None, StartInput(locale="de"))
    state, out = step(mini, state, StanceInput(3))
    assert out[-1].text == "Was meinen Sie?"
    state, out = step(mini, state, TextInput(THICK))
    assert out[-1].text == "Whose view?", "texts without a de variant fall back to English"


def test_repeated_visits_rotate_question_variants(mini):
    walk = [StanceInput(3), TextInput(THICK), ChoiceInput(1)]
    texts = []
    for visit in (1, 2, 3):
        _, out = play(mini, walk, start=StartInput(visit=visit))
        texts.append(out[-1].text)
    assert texts == [
        "As an employer, what do you look for?",
        "Second visit question for the employer?",
        "As an employer, what do you look for?",
    ]


@pytest.mark.parametrize(
    ("answer", "thin"),
    [
        ("no", True),
        ("I do not know really", True),
        ("It is a nice idea that many people seem to like a lot", True),
        ("It is useful because employers ask for it", False),
        ("Good, but only for some people in some jobs", False),
        ("Ja, weil Arbeitgeber danach fragen und es zählt", False),
        ("A long answer " * 10, False),
    ],
)
def test_thin_answers(answer, thin):
    assert is_thin(answer) is thin


def test_the_engine_imports_nothing_from_the_shells():
    code = (
        "import sys, bot.engine, bot.engine.step, bot.engine.model, bot.engine.probes;"
        "bad = [m for m in ('telegram', 'sqlite3', 'sqlite_utils', 'yaml', 'asyncio') if m in sys.modules];"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_outputs_are_plain_values(mini):
    _, out = finish(mini)
    recap = next(o for o in out if isinstance(o, Recap))
    assert hash(recap) is not None and isinstance(out[-1], Finished)


def test_a_group_walks_the_dialogue_when_told_to(mini):
    from bot.engine import advance_group

    state, out = advance_group(mini, None)
    assert kinds(out) == ["Message", "Progress", "StanceQuestion"]
    state, out = advance_group(mini, state)
    assert out[-1] == Question("q1", "What do you mean?", "clarification")
    state, out = advance_group(mini, state)
    assert isinstance(out[-1], Buttons)
    state, out = advance_group(mini, state, choice=1)
    assert state.vars == {"role": "employer"} and out[-1].node == "q-employer"
    for _ in range(4):
        state, out = advance_group(mini, state)
    assert kinds(out)[-3:] == ["Message", "Recap", "Finished"] and state.finished
    assert out[-3].text == "Thanks, employer."
    assert advance_group(mini, state)[1] == [Notice("finished")]
    assert not any(isinstance(o, (SaveReflection, SaveStance)) for o in out)


def test_a_group_choice_without_votes_takes_the_first_option(mini):
    from bot.engine import advance_group

    state, _ = advance_group(mini, None)
    state, _ = advance_group(mini, state)
    state, _ = advance_group(mini, state)
    state, out = advance_group(mini, state, choice=None)
    assert out[-1].node == "q-student"
