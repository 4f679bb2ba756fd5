"""The shipped content's paths, a small dialogue (MINI) and a writer for content folders in tests."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
"""The repository."""
CONTENT = ROOT / "content"
PROMPTS = ROOT / "prompts"


MINI = """\
id: mini
version: 1
title: {en: Mini, de: Mini auf Deutsch}
summary: A small dialogue for tests.
minutes: 5
tags: [test]
outcomes: [Test the engine.]
sources: [ralston2021]
claim: Tests are useful.
nodes:
  - id: hook
    say: Hello.
    cite: [ralston2021]
  - id: before
    stance: before
  - id: q1
    ask: {en: "What do you mean?", de: "Was meinen Sie?"}
    move: clarification
    probe: Say more?
  - id: pick
    choose: Whose view?
    options:
      - label: Student
        set: {role: student}
        next: q-student
      - label: Employer
        set: {role: employer}
        next: q-employer
  - id: q-student
    ask: As a {role}, what do you need?
    move: viewpoints
    next: note
  - id: q-employer
    ask: ["As an {role}, what do you look for?", "Second visit question for the {role}?"]
    move: viewpoints
    next: note
  - id: note
    say: Only employers see this.
    when: {role: employer}
  - id: q-evidence
    ask: What evidence?
    move: evidence
  - id: after
    stance: after
  - id: q-meta
    ask: Is this the right question?
    move: meta-question
  - id: end
    end: Thanks, {role}.
"""


def write_content(folder: Path, files: dict[str, str], course_ids: list[str] | None = None) -> Path:
    """A content folder with the shipped bibliography, the given dialogue files and a course."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONTENT / "sources.yaml", folder / "sources.yaml")
    shutil.copy(CONTENT / "schema.json", folder / "schema.json")
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    ids = course_ids if course_ids is not None else [Path(n).stem for n in files]
    listed = "\n".join(f"  - {i}" for i in ids)
    (folder / "course.yaml").write_text(
        f"id: test\ntitle: Test course\nsummary: For tests.\noutcomes: [Learn.]\ndialogues:\n{listed}\n",
        encoding="utf-8",
    )
    return folder
