"""The course declares its languages; the check then wants every text in each of them, with the
same placeholders, and follow-up patterns for each."""

from __future__ import annotations

from bot.content import check_content

from ..support.content import write_content

DIALOGUE = """\
id: two
version: 1
title: {en: Two, de: Zwei}
summary: {en: For tests., de: Für Tests.}
minutes: 5
tags: [test]
outcomes: [{en: Test., de: Testen.}]
sources: [ralston2021]
claim: {en: Tests are useful., de: Tests sind nützlich.}
nodes:
  - id: hook
    say: {en: Hello., de: Hallo.}
    cite: [ralston2021]
  - id: before
    stance: before
  - id: q1
    ask: {en: What do you mean?, de: Was meinen Sie?}
    title: {en: Meaning, de: Bedeutung}
    move: clarification
    follow_ups:
      - if: {en: [employ*], de: [arbeitgeb*]}
        ask: {en: "Employers: why?", de: "Arbeitgeber: warum?"}
  - id: q2
    ask: {en: "You wrote {excerpt.q1}. And?", de: "Sie schrieben {excerpt.q1}. Und?"}
    move: assumptions
  - id: q3
    ask: {en: What evidence?, de: Welche Belege?}
    move: evidence
  - id: q4
    ask: {en: Whose view?, de: Wessen Sicht?}
    move: viewpoints
  - id: after
    stance: after
  - id: end
    end: {en: Thanks., de: Danke.}
"""


def problems(tmp_path, text: str, languages: str = "[en, de]") -> list[str]:
    folder = write_content(tmp_path / "c", {"two.yaml": text})
    course = folder / "course.yaml"
    course.write_text(course.read_text() + f"languages: {languages}\n")
    return [f"{p.line}: {p.message}" for p in check_content(folder) if p.is_error]


def test_a_complete_dialogue_passes(tmp_path):
    assert problems(tmp_path, DIALOGUE) == []


def test_a_missing_german_text_fails_with_its_line(tmp_path):
    broken = DIALOGUE.replace("say: {en: Hello., de: Hallo.}", "say: Hello.")
    assert problems(tmp_path, broken) == ["12: this text has no 'de' version; the course declares en, de."]


def test_different_placeholders_fail(tmp_path):
    broken = DIALOGUE.replace("Sie schrieben {excerpt.q1}. Und?", "Sie schrieben {answer.q1}. Und?")
    found = problems(tmp_path, broken)
    assert len(found) == 1 and "placeholders differ from the English ones ({excerpt.q1})" in found[0], found


def test_patterns_in_every_language(tmp_path):
    broken = DIALOGUE.replace("if: {en: [employ*], de: [arbeitgeb*]}", "if: [employ*]")
    found = problems(tmp_path, broken)
    assert len(found) == 1 and "no 'de' patterns" in found[0], found


def test_english_alone_needs_nothing_more(tmp_path):
    assert problems(tmp_path, DIALOGUE.replace("say: {en: Hello., de: Hallo.}", "say: Hello."), "[en]") == []
