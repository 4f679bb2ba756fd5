"""The shipped course: every path of every dialogue reaches an end, and meets the course's standards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content.loader import check_content
from bot.engine import (
    Buttons,
    ChoiceInput,
    Finished,
    Question,
    Recap,
    SaveReflection,
    SaveStance,
    StanceInput,
    StanceQuestion,
    StartInput,
    TextInput,
    step,
)
from bot.engine.model import Ask
from bot.engine.step import localize

from ..support.content import CONTENT, ROOT

THICK = "It depends, because the evidence differs for each group, for example employers and students."
SEED = ROOT.parent / "shared" / "seed" / "000_57b1ab9750cdf3e1.txt"


def walk(dialogue, answer: str):
    """Every path through the dialogue, as (choices made, outputs seen), answering each question with `answer`."""
    finished = []
    state, outputs = step(dialogue, None, StartInput())
    todo = [((), state, outputs)]
    while todo:
        choices, state, seen = todo.pop()
        while not state.finished:
            pending = next(o for o in reversed(seen) if isinstance(o, (Question, Buttons, StanceQuestion)))
            if isinstance(pending, Buttons):
                for i in range(1, len(pending.options)):
                    branch, outputs = step(dialogue, state, ChoiceInput(i))
                    todo.append(((*choices, i), branch, seen + outputs))
                choices = (*choices, 0)
                event = ChoiceInput(0)
            elif isinstance(pending, StanceQuestion):
                event = StanceInput(3)
            else:
                event = TextInput(answer)
            state, outputs = step(dialogue, state, event)
            assert outputs, "every input gets an answer"
            seen = seen + outputs
        finished.append((choices, seen))
    return finished


def dialogue_ids():
    from bot.content.loader import load_course

    return [d.id for d in load_course(CONTENT).dialogues]


def test_the_course_has_at_least_eight_dialogues_with_outcomes_and_minutes(course):
    assert len(course.dialogues) >= 8
    assert course.outcomes and course.minutes >= 8 * 10
    for dialogue in course.dialogues:
        assert dialogue.outcomes and 5 <= dialogue.minutes <= 20


def test_the_shipped_content_checks_clean():
    assert check_content(CONTENT) == []


@pytest.mark.parametrize("dialogue_id", dialogue_ids())
@pytest.mark.parametrize("answer", [THICK, "ok"])
def test_every_path_reaches_an_end_meeting_the_standards(course, dialogue_id, answer):
    dialogue = course.get(dialogue_id)
    paths = walk(dialogue, answer)
    branches = sum(len(n.options) - 1 for n in dialogue.nodes.values() if hasattr(n, "options"))
    assert len(paths) >= 1 + branches
    for choices, seen in paths:
        assert isinstance(seen[-1], Finished), choices
        reflections = [o for o in seen if isinstance(o, SaveReflection) and not o.probe]
        stances = [o.phase for o in seen if isinstance(o, SaveStance)]
        assert len(reflections) >= 3, f"{choices}: at least three open questions on every path"
        assert len({r.move for r in reflections}) >= 4, f"{choices}: at least four different moves"
        assert stances[0] == "before" and stances[-1] == "after", choices
        recap = next(o for o in seen if isinstance(o, Recap))
        assert (recap.before, recap.after) == (3, 3)
        assert recap.sources, "every dialogue cites its sources"
        probes = [o for o in seen if isinstance(o, SaveReflection) and o.probe]
        if answer == THICK:
            assert not probes, "a reasoned answer is never probed"
        else:  # "ok" is a non-answer: an invitation, then the way out, then the dialogue moves on
            asked = [r.node for r in reflections]
            assert {p.node for p in probes} == set(asked), "a non-answer always gets a follow-up"
            assert all([p.node for p in probes].count(n) == 2 for n in asked), "the invitation, then the way out"


def test_every_dialogue_states_both_sides_and_cites_the_critique(course):
    for dialogue in course.dialogues:
        cited = {k for n in dialogue.nodes.values() for k in getattr(n, "cite", ())}
        assert cited, f"{dialogue.id} cites nothing in its messages"
        assert cited <= {s.key for s in dialogue.sources}
        assert any(isinstance(n, Ask) and n.move == "viewpoints" for n in dialogue.nodes.values()), dialogue.id


SEED_ARGUMENTS = {
    # argument of the seed text -> tags at least one dialogue must carry
    "perceived value next to traditional certificates": {"perceived-value"},
    "issuers earn trust": {"issuer-trust"},
    "recognition by HR and admissions": {"hr-recognition", "admissions-recognition"},
    "evidence of topicality and transparent assessment": {"transparency"},
    "guaranteed quality and comparable outcomes": {"quality-assurance"},
    "issuer reputation and accreditation": {"issuer-reputation"},
    "unbundling for efficiency and profit (Ralston)": {"unbundling", "efficiency-profit"},
    "vocationalisation (Ralston)": {"vocationalisation"},
    "neoliberal learning (Ralston)": {"neoliberal-learning"},
    "purpose-free, self-directed HE (Ralston)": {"purpose-free-learning"},
    "human capital theory (Wheelahan & Moodie)": {"human-capital-theory"},
    "labour-market alignment": {"labour-market-alignment"},
    "missing general education": {"general-education"},
    "expiring industry-specific skills (Ralston)": {"expiring-skills"},
    "cost of constant re-skilling": {"reskilling-costs"},
    "a distinctly human element (Pollard & Vincent)": {"human-element"},
    "embed MCs in the regular curriculum": {"embed-in-curriculum"},
    "align MCs with the institution's mission": {"mission-alignment"},
    "a critical and reflective pedagogy": {"critical-pedagogy"},
}

CITATIONS = {
    "unbundling for efficiency and profit (Ralston)": "ralston2021",
    "vocationalisation (Ralston)": "ralston2021",
    "human capital theory (Wheelahan & Moodie)": "wheelahan-moodie2021",
    "expiring industry-specific skills (Ralston)": "ralston2021",
    "a distinctly human element (Pollard & Vincent)": "pollard-vincent2022",
    "embed MCs in the regular curriculum": "pollard-vincent2022",
}


@pytest.mark.parametrize("argument", sorted(SEED_ARGUMENTS))
def test_every_argument_of_the_seed_is_covered_with_its_citation(course, argument):
    tags = SEED_ARGUMENTS[argument]
    covering = [d for d in course.dialogues if tags & set(d.tags)]
    assert covering, f"no dialogue covers: {argument}"
    if argument in CITATIONS:
        assert any(CITATIONS[argument] in {s.key for s in d.sources} for d in covering)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.skipif(not SEED.exists(), reason="the seed text is beside the repository only on the developers' machines")
def test_no_sentence_is_copied_from_the_seed():
    seed = _words(SEED.read_text(encoding="utf-8"))
    runs = {" ".join(seed[i : i + 8]) for i in range(len(seed) - 7)}
    for path in sorted(Path(CONTENT).glob("*.yaml")):
        words = _words(path.read_text(encoding="utf-8"))
        copied = {" ".join(words[i : i + 8]) for i in range(len(words) - 7)} & runs
        assert not copied, f"{path.name} repeats the seed: {sorted(copied)[:3]}"


@pytest.mark.parametrize("dialogue_id", dialogue_ids())
def test_every_dialogue_listens(course, dialogue_id):
    """Issue "Dialogues that listen": answer-aware follow-ups on every open question, meeting the
    stance, the participant's words given back, the elenchus step, the three-part portfolio entry."""
    from bot.engine.model import PORTFOLIO

    dialogue = course.get(dialogue_id)
    asks = [n for n in dialogue.nodes.values() if isinstance(n, Ask)]
    questions = [n for n in asks if n.move != PORTFOLIO]
    assert all(n.follow_ups for n in questions), [n.id for n in questions if not n.follow_ups]
    assert all(n.title for n in asks), [n.id for n in asks if not n.title]
    conditioned = [n for n in dialogue.nodes.values() if any(k == "stance.before" for k in getattr(n, "when", {}))]
    assert conditioned, "a branch that meets the opening stance"
    elenchus = [n for n in asks if any(k == "stance.shift" for k in n.when)]
    assert {n.when["stance.shift"] for n in elenchus} == {"up", "down", "none"}, "the elenchus step for every shift"
    for n in elenchus:
        shown = n.variants[0]["en"]
        assert "{stance.before}" in shown and "{stance.after}" in shown and "{excerpt." in shown, n.id
    texts = [
        t["en"] for n in dialogue.nodes.values() for t in getattr(n, "variants", ()) or [getattr(n, "text", {})] if t
    ]
    assert any("{excerpt." in t or "{answer." in t for t in texts if "{stance.after}" not in t), "words given back"
    portfolio = [n for n in asks if n.move == PORTFOLIO]
    assert [localize(n.title, "en") for n in portfolio] == ["What?", "So what?", "Now what?"]
