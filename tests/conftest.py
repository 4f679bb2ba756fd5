from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from bot.content.loader import load_course
from bot.content.prompts import Prompts, load_prompts
from bot.engine import Course, Dialogue
from bot.storage import Storage

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
PROMPTS = ROOT / "prompts"


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(CONTENT)


@pytest.fixture(scope="session")
def prompts() -> Prompts:
    return load_prompts(PROMPTS)


@pytest.fixture
def storage(tmp_path: Path):
    store = Storage(tmp_path / "test.db")
    yield store
    store.close()


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


@pytest.fixture
def fake():
    """The fake Bot API server; a test fails if the bot sent anything Telegram would refuse."""
    from .fake_telegram import FakeTelegram

    with FakeTelegram() as server:
        yield server
        server.assert_no_violations()


@pytest.fixture
def mini(tmp_path: Path) -> Dialogue:
    folder = write_content(tmp_path / "content", {"mini.yaml": MINI})
    return load_course(folder).get("mini")
