"""The author's check for dialogues that listen: each warning, with the line it points at."""

from __future__ import annotations

from bot.content import check_content

from ..support.content import write_content

BASE = """\
id: listen
version: 1
title: Listen
summary: For tests.
minutes: 5
tags: [test]
outcomes: [Test.]
sources: [ralston2021]
claim: Tests are useful.
nodes:
  - id: hook
    say: Hello.
    cite: [ralston2021]
  - id: before
    stance: before
{middle}
  - id: q1
    ask: What do you mean?
    move: clarification
  - id: q2
    ask: What do you assume?
    move: assumptions
  - id: q3
    ask: What evidence?
    move: evidence
  - id: q4
    ask: Whose view?
    move: viewpoints
{late}
  - id: after
    stance: after
  - id: end
    end: Thanks.
"""


def warnings(tmp_path, middle: str = "", late: str = "") -> list[str]:
    folder = write_content(tmp_path / "c", {"listen.yaml": BASE.format(middle=middle, late=late)})
    return [f"{p.line}: {p.message}" for p in check_content(folder) if not p.is_error]


def test_a_clean_dialogue_has_no_warning(tmp_path):
    assert warnings(tmp_path) == []


def test_a_long_message(tmp_path):
    found = warnings(tmp_path, middle="  - id: long\n    say: " + "word " * 71)
    assert any("71 words" in w for w in found), found


def test_three_messages_in_a_row(tmp_path):
    middle = "".join(f"  - id: s{i}\n    say: Statement {i}.\n" for i in range(3))
    found = warnings(tmp_path, middle=middle)
    assert found == [
        "21: message 3 in a row without a question; put a question between them (docs/PEDAGOGY.md, Pacing)."
    ]


def test_a_meta_question_that_is_not_a_question(tmp_path):
    found = warnings(tmp_path, late="  - id: q5\n    ask: Think about the question itself.\n    move: meta-question")
    assert any("not a question" in w for w in found), found


def test_an_answer_quoted_before_it_was_given(tmp_path):
    middle = '  - id: early\n    say: "You wrote {excerpt.q1}."'
    found = warnings(tmp_path, middle=middle)
    assert any("{excerpt.q1} may be empty here" in w for w in found), found
    assert warnings(tmp_path, late='  - id: quote\n    say: "You wrote {excerpt.q1}."') == [], "after q1: fine"


def test_an_answer_on_a_branch_not_taken(tmp_path):
    middle = """  - id: pick
    choose: Which?
    options:
      - label: A
        next: qa
      - label: B
        next: q1
  - id: qa
    ask: Why A?
    move: implications
    next: q1"""
    found = warnings(tmp_path, middle=middle, late='  - id: quote\n    say: "You wrote {answer.qa}."')
    assert any("{answer.qa} may be empty here" in w for w in found), found


def test_a_pattern_that_can_never_match(tmp_path):
    late = """  - id: q5
    ask: Why?
    move: implications
    follow_ups:
      - if: ["*ploy", "!!"]
        ask: Really?"""
    found = warnings(tmp_path, late=late)
    assert sum("can never match" in w for w in found) == 2, found


def test_placeholders_name_real_questions_and_conditions_real_comparisons(tmp_path):
    late = """  - id: q5
    ask: "Earlier: {answer.q9}?"
    move: implications
  - id: q6
    when: {stance.before: "about 4"}
    ask: Why?
    move: implications"""
    folder = write_content(tmp_path / "c", {"listen.yaml": BASE.format(middle="", late=late)})
    errors = [p.message for p in check_content(folder) if p.is_error]
    assert any("names 'q9', which is no open question here" in e for e in errors), errors
    assert any("'about 4' is not a condition on a rating" in e for e in errors), errors
