"""Fixtures for the whole suite; shared helpers live in tests/support/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_course
from bot.content.prompts import Prompts, load_prompts
from bot.engine import Course, Dialogue
from bot.storage import Storage

from .support.content import CONTENT, MINI, PROMPTS, write_content


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


@pytest.fixture
def fake():
    """The fake Bot API server; a test fails if the bot sent anything Telegram would refuse."""
    from .support.fake_telegram import FakeTelegram

    with FakeTelegram() as server:
        yield server
        server.assert_no_violations()


@pytest.fixture
def mini(tmp_path: Path) -> Dialogue:
    folder = write_content(tmp_path / "content", {"mini.yaml": MINI})
    return load_course(folder).get("mini")


@pytest.fixture
def sessions(mini, storage):
    """The group-session use cases over a tmp storage, with the small test dialogue as the course."""
    from bot.app.group_sessions import GroupSessions
    from bot.engine import Course

    return GroupSessions(storage, Course("t", {"en": "T"}, {"en": "S"}, (), (mini,)))
