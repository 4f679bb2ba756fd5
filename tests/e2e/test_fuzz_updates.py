"""Fuzzing through the real HTTP stack: thousands of odd but valid updates of every kind the Bot
API spec names (tests/support/spec_updates.py builds them from api.json, seeded), then malformed
ones. No update may raise in the bot, every button press is answered, and the bot keeps answering.

Security review, finding 8: updates without a chat or a user (an inline button's callback), ids of
2**63 or more in button data (SQLite integers are 64-bit) and presses left unanswered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from telegram import Update

from bot.telegram.flood import FloodGuard

from ..support.bot_harness import Participant, running_bot
from ..support.fake_telegram import Chat, FakeTelegram, User
from ..support.fake_telegram.spec import load_spec
from ..support.spec_updates import SECRET, SpecUpdates, World, malformed_updates

SEED = int(os.environ.get("ELENCHUS_FUZZ_SEED", "82063"))
"""Fixed, so every run plays the same updates; set ELENCHUS_FUZZ_SEED to explore others."""
HEAVY = {"message": 560, "callback_query": 600, "edited_message": 160, "my_chat_member": 60, "poll_answer": 60}
"""Updates per kind; every other kind of the spec gets LIGHT."""
LIGHT = 40


def _world(fake: FakeTelegram) -> tuple[World, list[User], list[Chat]]:
    """Users with odd names and languages, a group, a supergroup and a forum with a topic; all
    members everywhere, the first user an administrator of each."""
    names = [("Alice", "en"), ("Bea", "de"), ("Ωmega ✓", "xx"), ("مرحبا", None), ("\u200b", ""), ("<b>", "de-AT")]
    users = [fake.user(name, language) for name, language in names * 2]
    groups = [
        fake.group("Course group", admins=users[:1], members=users[1:]),
        fake.group("Supergroup", supergroup=True, admins=users[:1], members=users[1:]),
        fake.group("Forum", supergroup=True, forum=True, admins=users[:1], members=users[1:]),
    ]
    topic = fake.create_topic(groups[2], "Topic", by=users[0])
    chats = [{"id": u.id, "type": "private", "first_name": u.first_name} for u in users]
    chats += [
        {"id": g.id, "type": g.type, "title": g.title, **({"is_forum": True} if g.is_forum else {})} for g in groups
    ]
    world = World([u.to_api() for u in users], chats, topics={groups[2].id: [topic]}, bot=fake.bot_user)
    return world, users, groups


async def _warm_up(fake: FakeTelegram, world: World, users: list[User], groups: list[Chat]) -> None:
    """Each participant starts (the consent buttons), each group gets the dialogue picker, so
    presses can name real messages of the bot."""
    for user in users:
        await Participant(fake, user).command("/start")
    for group in groups:
        fake.send_command(users[0], "/session", chat=group)
    for chat in [u.id for u in users] + [g.id for g in groups]:
        await fake.wait_for_async(lambda chat=chat: any(m.button_labels for m in fake.messages(chat)), 10, "buttons")
        world.bot_messages[chat] = [m.message_id for m in fake.messages(chat)]


async def _all_kinds(bot, kinds: list[str]) -> None:
    """Poll for every kind the spec names (the harness asks for a few), as production asks for all."""
    await bot.app.updater.stop()
    await bot.app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=kinds)


def _marked(db: Path, ids: list[int]):
    """A check for the fake's wait_for: every update was handled (the bot marks each one done)."""
    reader = sqlite3.connect(db, check_same_thread=False)
    low, high = min(ids), max(ids)

    def check() -> bool:
        query = "select count(*) from processed_updates where update_id between ? and ?"
        return reader.execute(query, [low, high]).fetchone()[0] >= len(ids)

    return check


def _generate(fuzz: SpecUpdates) -> list[dict]:
    """HEAVY or LIGHT updates of each kind, shuffled (deterministically) so kinds and chats mix."""
    updates = [fuzz.update(kind) for kind in fuzz.kinds for _ in range(HEAVY.get(kind, LIGHT))]
    fuzz.rng.shuffle(updates)
    return updates


def _problems(caplog) -> list[str]:
    """Errors logged, each with the bot's line that raised (the error handler logs the traceback)."""
    found = [f"{r.name} {r.getMessage()}{_origin(r)}" for r in caplog.records if r.levelno >= logging.ERROR]
    return [re.sub(r"update=\d+ ", "", line) for line in found]


def _origin(record: logging.LogRecord) -> str:
    """The bot's frames in a logged traceback, outermost first."""
    trace, found = (record.exc_info[2] if record.exc_info else None), ""
    while trace is not None:
        code = trace.tb_frame.f_code
        if "/bot/" in code.co_filename:
            found += f" at {Path(code.co_filename).name}:{trace.tb_lineno} {code.co_name}"
        trace = trace.tb_next
    return found


def test_thousands_of_valid_updates_of_every_kind_raise_nothing(tmp_path, caplog):
    db = tmp_path / "bot.db"
    with caplog.at_level(logging.INFO, logger="elenchus"), FakeTelegram() as fake:
        unanswered = asyncio.run(_fuzz(fake, db))
        fake.assert_no_violations()
    problems = Counter(_problems(caplog))
    assert not problems, f"{sum(problems.values())} errors: {problems.most_common(20)}"
    assert unanswered == [], f"{len(unanswered)} presses got no answer, such as {unanswered[:10]}"
    assert SECRET not in caplog.text  # tracebacks included


async def _fuzz(fake: FakeTelegram, db: Path) -> list[str]:
    """Play the updates; the presses that got no answer."""
    overrides = {"rate": (10_000, 1.0), "group_rate": (10_000, 1.0), "group_ack_seconds": 0.05}
    async with running_bot(fake, db, **overrides) as bot:
        bot.app.bot_data["shell"].flood = FloodGuard(burst=10**9)  # every update is handled, none dropped
        world, users, groups = _world(fake)
        fuzz = SpecUpdates(load_spec(), world, SEED)
        await _all_kinds(bot, fuzz.kinds)
        await _warm_up(fake, world, users, groups)
        updates = _generate(fuzz)
        assert len(updates) >= 2000 and {next(iter(u)) for u in updates} == set(fuzz.kinds)
        for update in updates:
            assert Update.de_json({"update_id": 1, **update}, bot.app.bot) is not None  # valid: it parses
        ids = [fake.deliver(update)["update_id"] for update in updates]
        await fake.wait_for_async(_marked(db, ids), 120, f"the bot to handle {len(ids)} updates")
        answered = {a["callback_query_id"] for a in fake.callback_answers}  # each answer came before its mark
        unanswered = [_press(u) for u in updates if "callback_query" in u and u["callback_query"]["id"] not in answered]
        await _answers_normally(fake)
        return unanswered


def _press(update: dict) -> str:
    query = update["callback_query"]
    where = "inline" if "inline_message_id" in query else query["message"]["chat"]["type"]
    return f"{query.get('data', query.get('game_short_name'))!r} ({where})"


async def _answers_normally(fake: FakeTelegram) -> None:
    zoe = Participant(fake, fake.user("Zoe"))
    await zoe.command("/start")
    await zoe.expect("Welcome to Elenchus, Zoe")


def test_malformed_updates_neither_stop_the_bot_nor_reach_the_log(tmp_path, caplog):
    """Updates python-telegram-bot cannot parse fail the whole getUpdates batch, again and again."""
    with caplog.at_level(logging.INFO, logger="elenchus"), _library_logs() as library, FakeTelegram() as fake:
        asyncio.run(_malformed(fake, tmp_path / "bot.db"))
    assert SECRET not in caplog.text
    assert library.leaks == 0, f"{library.leaks} of {library.records} log records of the library show a text"


class _Watch(logging.Handler):
    """Counts records, and those that show SECRET, keeping none: a library that cannot parse an
    update may log all of them again on every retry, thousands of times."""

    def __init__(self) -> None:
        super().__init__()
        self.records = 0
        self.leaks = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        self.leaks += SECRET in self.format(record)


@contextlib.contextmanager
def _library_logs() -> Iterator[_Watch]:
    """python-telegram-bot's log records go to a _Watch only (not to pytest, which keeps them all)."""
    library, watch = logging.getLogger("telegram"), _Watch()
    library.addHandler(watch)
    library.propagate = False
    try:
        yield watch
    finally:
        library.removeHandler(watch)
        library.propagate = True


async def _malformed(fake: FakeTelegram, db: Path) -> None:
    async with running_bot(fake, db) as bot:
        world, _, _ = _world(fake)
        fuzz = SpecUpdates(load_spec(), world, SEED)
        await _all_kinds(bot, fuzz.kinds)
        for update in malformed_updates(fuzz, 50):
            fake.deliver(update)
        await _answers_normally(fake)
