"""Property-based test: the bot fed generated updates (any text, huge texts, unknown and missing
fields, forged buttons, edits and duplicates) through the real HTTP stack. Nothing may crash; every
stored state stays valid."""

from __future__ import annotations

import asyncio
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.loader import load_course
from bot.engine import RunState
from bot.telegram.flood import FloodGuard

from ..support.bot_harness import running_bot
from ..support.content import CONTENT
from ..support.fake_telegram import FakeTelegram
from ..support.strategies import texts

COURSE = load_course(CONTENT)


user_ids = st.sampled_from([1001, 1002, 1003])
extra_fields = st.dictionaries(st.sampled_from(["future_field", "x_unknown", "via_bot_v9"]), st.integers(), max_size=2)


@st.composite
def update_actions(draw):
    kind = draw(st.sampled_from(["text", "text", "command", "press", "edit", "sticker", "duplicate"]))
    user = draw(user_ids)
    if kind == "text":
        return ("text", user, draw(texts), draw(extra_fields))
    if kind == "command":
        command = draw(
            st.sampled_from(
                [
                    "/start",
                    "/menu",
                    "/resume",
                    "/help",
                    "/portfolio",
                    "/mydata",
                    "/forget",
                    "/privacy",
                    "/language",
                    "/nope",
                    "/start x",
                    "/start " + "a" * 70,
                    "/export",
                    "/cohorts",
                    "/cohort X",
                    "/newcohort Y",
                ]
            )
        )
        return ("text", user, command, {})
    if kind == "press":
        data = draw(
            st.one_of(
                st.text(max_size=64),
                st.sampled_from(
                    [
                        "a:consent-yes",
                        "a:consent-no",
                        "d:value-and-trust",
                        "d:nope",
                        "c:1:whose-view:1",
                        "s:1:before:3",
                        "s:99:before:3",
                        "a:forget-yes",
                        "a:lang-de",
                        "x:1:csv",
                        "g:n:1",
                    ]
                ),
            )
        )
        return ("press", user, data, draw(st.booleans()))
    if kind == "edit":
        return ("edit", user, draw(texts), draw(st.integers(1, 40)))
    return (kind, user, None, None)


async def _play(fake: FakeTelegram, actions, db) -> list[logging.LogRecord]:
    users = {uid: fake.user(f"U{uid}") for uid in (1001, 1002, 1003)}
    sent: list[dict] = []
    async with running_bot(fake, db, rate=(10_000, 1.0)) as bot:
        for kind, uid, value, extra in actions:
            user = users[uid]
            if kind == "text":
                update = fake.send_text(user, value) if value.strip() else None
                if update is not None and extra:  # the same message again, with fields from a future Bot API
                    update = fake.deliver({"message": {**update["message"], **extra}})
                sent += [update] if update else []
            elif kind == "press":
                mine = fake.messages(user.id)
                target = mine[-1].message_id if mine and extra else 1
                fake.press_data(user, target, value or "x")
            elif kind == "edit":
                fake.deliver(
                    {
                        "edited_message": {
                            "message_id": extra,
                            "date": 1,
                            "edit_date": 2,
                            "text": value or "x",
                            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                            "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
                        },
                    }
                )
            elif kind == "sticker":
                fake.send_sticker(user)
            elif kind == "duplicate" and sent:
                fake.deliver(sent[-1])
        bot.app.bot_data["shell"].flood = FloodGuard()  # the marker below must not count as flooding
        for user in users.values():  # updates of one chat are handled in order: the last reply means all are done
            last = _last_id(fake, user.id)
            fake.send_command(user, "/help")
            await fake.wait_for_message_async(user.id, "/portfolio", timeout=30, after=last)
        for run in bot.storage.runs.of(bot.storage.participants.get_or_create("telegram", "1001").id):
            dialogue = COURSE.get(run.dialogue_id)
            assert RunState.from_dict(run.state).node in dialogue.nodes


def _last_id(fake: FakeTelegram, chat: int) -> int:
    messages = fake.messages(chat)
    return messages[-1].message_id if messages else 0


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(update_actions(), min_size=5, max_size=60))
def test_the_bot_survives_generated_updates(tmp_path_factory, caplog, actions):
    caplog.clear()
    db = tmp_path_factory.mktemp("prop") / "bot.db"
    with caplog.at_level(logging.INFO, logger="elenchus"), FakeTelegram() as fake:
        asyncio.run(_play(fake, actions, db))
        fake.assert_no_violations()
    errors = [r.getMessage() for r in caplog.records if "event=error" in r.getMessage()]
    assert not errors, errors
