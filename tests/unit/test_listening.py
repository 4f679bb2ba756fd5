"""Dialogues that listen: follow-ups to what an answer says, non-answers and the way out, the
participant's words and ratings in later steps, conditions on ratings, scaffolds that fade."""

from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType

import pytest

from bot.content import load_course
from bot.engine import Question, RunState, SaveReflection, StanceInput, StartInput, TextInput, followups, step
from bot.engine.listening import any_match, excerpt, gives_reasons, is_non_answer
from bot.engine.model import Ask, Dialogue, End, FollowUp, Say, Stance, text
from bot.engine.texts import render

from ..support.content import CONTENT, ROOT

FALLBACKS = load_course(CONTENT).dialogues[0].fallbacks
THICK = "It is taken seriously when it changes what she may do at work, since her manager assigns tasks by it."

Q_VALUE = Ask(
    "q-value",
    (text("When Lena's colleague says nobody takes these seriously, what could being taken seriously mean?"),),
    "clarification",
    "q-next",
    probe=text("Can you give a concrete example?"),
    follow_ups=(
        FollowUp(
            MappingProxyType({"en": ("employ*", "hiring", "recruit*")}),
            text("You mention employers. What would one have to see?"),
        ),
        FollowUp(MappingProxyType({"en": ("it depends", "depends")}), text("It depends on what, for Lena?")),
    ),
    covers=MappingProxyType({"en": ("because", "for example")}),
    title=text("Taken seriously"),
)


def dialogue(*extra, first: Ask = Q_VALUE) -> Dialogue:
    nodes = [
        Stance("before", "before", first.id),
        first,
        *extra,
        Ask("q-next", (text("And then?"),), "evidence", "after"),
        Stance("after", "after", "end"),
        End("end", text("Thanks.")),
    ]
    return Dialogue(
        "d",
        1,
        text("D"),
        text("S"),
        5,
        (),
        (),
        (),
        text("Claim."),
        MappingProxyType({n.id: n for n in nodes}),
        "before",
        fallbacks=FALLBACKS,
    )


def at_question(d: Dialogue, visit: int = 1, stance: int = 3, locale: str = "en") -> RunState:
    state, _ = step(d, None, StartInput(locale=locale, visit=visit))
    state, _ = step(d, state, StanceInput(stance))
    return state


def kind_of(d: Dialogue, answer: str, visit: int = 1) -> str:
    _, out = step(d, at_question(d, visit), TextInput(answer))
    follow = next((o for o in out if isinstance(o, Question) and o.probe), None)
    if follow is not None:
        return follow.kind
    return "none (covers)" if followups.patterns_match(Q_VALUE.covers, answer, "en") else "none"


# ---- whole words, stems, phrases -----------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "answer", "hit"),
    [
        ("but", "It assumes people can distribute their own costs.", False),
        ("so", "It also works.", False),
        ("employ*", "Employers care.", True),
        ("employ*", "She is unemployed.", False),
        ("hiring", "The Hiring manager.", True),
        ("hiring", "Hirings are rare.", False),
        ("it depends", "Well, it depends.", True),
        ("it depends", "It rarely depends.", False),
        ("arbeitgeb*", "Der Arbeitgeber zählt.", True),
        ("weiß nicht", "Ich weiß nicht.", True),
    ],
)
def test_patterns_match_whole_words_only(pattern, answer, hit):
    assert any_match([pattern], answer) is hit


def test_reasons_are_whole_words_in_either_language():
    assert not gives_reasons("It assumes people can distribute their own costs.")
    assert not gives_reasons("It also helps.", "en")
    assert gives_reasons("Ja, weil es zählt.", "de") and gives_reasons("It helps, because it counts.", "de")


@pytest.mark.parametrize(
    "answer", ["yes", "No.", "not sure", "idk", "2", "42", "🙂🙂", "?!", "weiß nicht", "Keine Ahnung"]
)
def test_non_answers(answer):
    assert is_non_answer(answer, "de" if "ß" in answer or "Ahnung" in answer else "en")


def test_a_copy_of_the_question_is_a_non_answer():
    question = "What could being taken seriously mean?"
    assert is_non_answer("what could being taken seriously mean", "en", question)
    assert not is_non_answer("Being taken seriously means an employer counts it.", "en", question)


# ---- which follow-up ------------------------------------------------------------------------


def test_each_kind_of_follow_up():
    d = dialogue()
    assert kind_of(d, "An employer would ask for it in the interview.") == followups.SPECIFIC
    assert kind_of(d, "Well it depends on the lab.") == followups.SPECIFIC
    assert kind_of(d, "It counts because the skills are listed.") == "none (covers)"
    assert kind_of(d, "not sure") == followups.NON_ANSWER
    assert kind_of(d, "Respect.") == followups.SHORT_ANSWER
    assert kind_of(d, "When colleagues accept it as real training and ask her to run analyses.") == followups.NO_REASON
    assert kind_of(d, THICK) == "none"


def test_the_specific_follow_up_is_the_authors_text_and_its_answer_is_stored_as_a_follow_up():
    d = dialogue()
    state, out = step(d, at_question(d), TextInput("Employers."))
    assert out[-1] == Question(
        "q-value", "You mention employers. What would one have to see?", "clarification", probe=True
    )
    state, out = step(d, state, TextInput("The grade and the hours."))
    assert out[0] == SaveReflection(
        "q-value",
        "You mention employers. What would one have to see?",
        "The grade and the hours.",
        "clarification",
        True,
    )
    assert not any(isinstance(o, Question) and o.probe for o in out), "one follow-up per question"


def test_a_second_non_answer_gets_the_way_out_and_skip_moves_on_without_an_answer():
    d = dialogue()
    state, out = step(d, at_question(d), TextInput("idk"))
    assert out[0] == SaveReflection("q-value", Q_VALUE.variants[0]["en"], "idk", "clarification", False)
    assert out[-1].kind == followups.NON_ANSWER and out[-1].text in {t["en"] for t in FALLBACKS.non_answer}
    state, out = step(d, state, TextInput("no idea"))
    assert out[-1].kind == followups.WAY_OUT and "skip" in out[-1].text
    state, out = step(d, state, TextInput("skip"))
    assert not any(isinstance(o, SaveReflection) for o in out), "skipping stores nothing"
    assert state.node == "q-next"


def test_after_the_way_out_an_answer_is_stored_and_the_dialogue_moves_on():
    d = dialogue()
    state, _ = step(d, at_question(d), TextInput("idk"))
    state, _ = step(d, state, TextInput("dunno"))
    state, out = step(d, state, TextInput("Maybe when she is promoted."))
    assert out[0].answer == "Maybe when she is promoted." and out[0].probe
    assert state.node == "q-next" and not state.probing


def test_variants_are_chosen_deterministically_and_differ_across_questions():
    d = dialogue()
    first = step(d, at_question(d), TextInput("yes"))[1][-1].text
    assert first == step(d, at_question(d), TextInput("yes"))[1][-1].text, "the same run, the same follow-up"
    other = replace(Q_VALUE, id="q-other")
    texts = {
        followups.pick(FALLBACKS.non_answer, d, at_question(d), replace(Q_VALUE, id=f"q{i}"))["en"] for i in range(12)
    }
    assert len(texts) > 1 and other.id != Q_VALUE.id


def test_scaffolds_fade_on_a_repeat_visit():
    d = dialogue()
    assert kind_of(d, "Respect.", visit=2) == "none", "no general probe on a second visit"
    assert kind_of(d, "not sure", visit=2) == followups.NON_ANSWER, "a non-answer is still invited"
    assert kind_of(d, "Employers.", visit=2) == followups.SPECIFIC


def test_two_follow_ups_when_the_author_allows_them():
    d = dialogue(first=replace(Q_VALUE, probes=2))
    state, out = step(d, at_question(d), TextInput("Employers."))
    state, out = step(d, state, TextInput("It depends."))
    assert out[-1].kind == followups.SPECIFIC and out[-1].text == "It depends on what, for Lena?"


# ---- the participant's words and ratings ----------------------------------------------------


def test_placeholders_give_the_participants_words_and_ratings_back():
    quote = Say(
        "quote", text('You rated it {stance.before} and wrote: "{excerpt.q-value}" ({answer.q-value})'), "q-next"
    )
    d = dialogue(quote, first=replace(Q_VALUE, next="quote"))
    answer = "<b>Employers</b> & admissions read the transcript, not the badge. " + "More words here. " * 30
    _, out = step(d, at_question(d, stance=4), TextInput(answer + " because"))
    said = next(o for o in out if hasattr(o, "text") and "You rated" in o.text).text
    assert said.startswith(
        'You rated it 4 and wrote: "<b>Employers</b> & admissions read the transcript, not the badge."'
    )
    assert answer in said, "the whole answer, unchanged: shells escape it"
    assert len(excerpt(answer)) < 80


def test_after_a_non_answer_the_real_answer_is_quoted_back():
    quote = Say("quote", text('You wrote: "{excerpt.q-value}"'), "q-next")
    d = dialogue(quote, first=replace(Q_VALUE, next="quote"))
    state, out = step(d, at_question(d), TextInput("not sure"))
    assert not any("You wrote" in getattr(o, "text", "") for o in out), "invited again, not quoted yet"
    real = "It is taken seriously when her manager lets her run the analyses, because the badge shows what she can do."
    _, out = step(d, state, TextInput(real))
    said = next(o.text for o in out if "You wrote" in getattr(o, "text", ""))
    assert said == f'You wrote: "{excerpt(real)}"'


def test_a_missing_answer_shows_an_ellipsis_not_braces():
    d = dialogue()
    state = at_question(d)
    assert render(text("Earlier: {excerpt.q-none}, rating {stance.after}"), state) == "Earlier: …, rating …"


@pytest.mark.parametrize(("before", "shown"), [(5, "against"), (4, "against"), (3, "for"), (1, "for")])
def test_meet_the_stance(before, shown):
    against = Say(
        "against-first", text("The case against."), "for-first", when=MappingProxyType({"stance.before": ">= 4"})
    )
    for_first = Say("for-first", text("The case for."), "q-value", when=MappingProxyType({"stance.before": "<= 3"}))
    nodes = [Stance("before", "before", "against-first"), against, for_first, replace(Q_VALUE, next="after")]
    nodes += [Stance("after", "after", "end"), End("end", text("Thanks."))]
    d = Dialogue(
        "d", 1, text("D"), text("S"), 5, (), (), (), text("C."), MappingProxyType({n.id: n for n in nodes}), "before"
    )
    state, _ = step(d, None, StartInput())
    _, out = step(d, state, StanceInput(before))
    said = [o.text for o in out if hasattr(o, "text") and o.text.startswith("The case")]
    assert said == [f"The case {shown}."]


@pytest.mark.parametrize(("after", "asked"), [(5, "moved"), (1, "moved"), (3, "same")])
def test_the_elenchus_step_sets_ratings_and_words_side_by_side(after, asked):
    moved = Ask(
        "q-moved",
        (text('From {stance.before} to {stance.after}, and you wrote "{excerpt.q-value}". What changed your mind?'),),
        "implications",
        "q-same",
        when=MappingProxyType({"stance.shift": "up"}),
    )
    down = replace(moved, id="q-down", next="q-same", when=MappingProxyType({"stance.shift": "down"}))
    same = replace(
        moved,
        id="q-same",
        next="end",
        when=MappingProxyType({"stance.shift": "none"}),
        variants=(text("Still {stance.after}. What would change it?"),),
    )
    nodes = [Stance("before", "before", "q-value"), replace(Q_VALUE, next="after"), Stance("after", "after", "q-moved")]
    nodes += [replace(moved, next="q-down"), down, same, End("end", text("Thanks."))]
    d = Dialogue(
        "d",
        1,
        text("D"),
        text("S"),
        5,
        (),
        (),
        (),
        text("C."),
        MappingProxyType({n.id: n for n in nodes}),
        "before",
        fallbacks=FALLBACKS,
    )
    state, _ = step(d, None, StartInput())
    state, _ = step(d, state, StanceInput(3))
    state, _ = step(d, state, TextInput(THICK))
    _, out = step(d, state, StanceInput(after))
    question = next(o for o in out if isinstance(o, Question))
    if asked == "moved":
        assert question.text.startswith(f'From 3 to {after}, and you wrote "It is taken seriously when it changes')
    else:
        assert question.text == "Still 3. What would change it?"


# ---- the table in content/README.md ----------------------------------------------------------


def test_the_follow_up_table_in_the_authors_guide_is_true():
    guide = (ROOT / "content" / "README.md").read_text(encoding="utf-8")
    table = guide.split("<!-- follow-up-table -->")[1].split("<!-- /follow-up-table -->")[0]
    rows = re.findall(r"^\| `(.+?)` \| (.+?) \|$", table, re.M)
    assert len(rows) >= 8
    d = dialogue()
    names = {"non-answer": followups.NON_ANSWER, "specific": followups.SPECIFIC, "short": followups.SHORT_ANSWER}
    names |= {"no-reason": followups.NO_REASON, "none (covers)": "none (covers)", "none": "none"}
    for answer, expected in rows:
        assert kind_of(d, answer) == names[expected], answer


def test_a_rating_the_run_lacks_counts_as_the_middle_and_alternatives_count_once():
    against = Say("against", text("Against."), "for", when=MappingProxyType({"stance.before": ">= 4"}))
    for_first = Say("for", text("For."), "q-value", when=MappingProxyType({"stance.before": "<= 3"}))
    up = Ask("q-up", (text("Up?"),), "implications", "q-down", when=MappingProxyType({"stance.shift": "up"}))
    down = replace(up, id="q-down", next="q-none", when=MappingProxyType({"stance.shift": "down"}))
    none = replace(up, id="q-none", next="end", when=MappingProxyType({"stance.shift": "none"}))
    nodes = [Stance("before", "before", "against"), against, for_first, replace(Q_VALUE, next="after")]
    nodes += [Stance("after", "after", "q-up"), up, down, none, End("end", text("Thanks."))]
    d = Dialogue(
        "d",
        1,
        text("D"),
        text("S"),
        5,
        (),
        (),
        (),
        text("C."),
        MappingProxyType({n.id: n for n in nodes}),
        "before",
        fallbacks=FALLBACKS,
    )
    from bot.engine import advance_group
    from bot.engine.step import Progress

    _state, out = step(d, None, StartInput())
    assert [o for o in out if isinstance(o, Progress)] == [Progress(1, 4)], "before, q-value, after, one of three"
    group, out = advance_group(d, None)
    group, out = advance_group(d, group)  # nobody voted: the middle, so the case for comes first
    assert [o.text for o in out if hasattr(o, "text") and o.text in ("Against.", "For.")] == ["For."]
    group, _ = advance_group(d, None)
    group, out = advance_group(d, group, rating=5)  # the group's median vote
    assert group.stances == {"before": 5}
    assert [o.text for o in out if hasattr(o, "text") and o.text in ("Against.", "For.")] == ["Against."]


def test_the_median_vote_of_a_rating_poll():
    from bot.telegram.groups import median_vote

    assert median_vote([0, 0, 1, 0, 0]) == 3
    assert median_vote([1, 0, 0, 0, 1]) == 1, "the lower middle on a tie"
    assert median_vote([0, 2, 0, 1, 3]) == 4
