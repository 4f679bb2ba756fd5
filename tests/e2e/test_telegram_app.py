"""Unit tests of the Telegram shell's pieces that need no server."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from telegram.error import BadRequest

from bot.telegram.app import RedactToken, set_commands


class RefusingBot:
    def __init__(self):
        self.calls = 0

    async def set_my_commands(self, *args, **kwargs):
        self.calls += 1
        raise BadRequest("commands refused")


async def test_a_failing_command_menu_never_stops_the_bot(prompts, caplog):
    bot = RefusingBot()
    await set_commands(SimpleNamespace(bot=bot), prompts, staff=[(42, False)])
    assert bot.calls == 3 * len(prompts.locales), "every scope and language tried: private chats, group admins, staff"
    assert "event=set_commands_failed" in caplog.text


def test_the_token_is_redacted_from_any_log_record():
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST %s", ("https://x/bot123:ABC/getMe",), None)
    RedactToken("123:ABC").filter(record)
    assert record.getMessage() == "POST https://x/bot<token>/getMe"


async def test_updates_of_one_chat_run_in_order_even_when_they_pile_up():
    import asyncio

    from telegram import Chat, Message, Update

    from bot.telegram.app import PerChatOrder

    order = PerChatOrder()
    done: list[int] = []
    release = asyncio.Event()

    def update(n: int) -> Update:
        chat = Chat(-5, "group")
        return Update(n, message=Message(n, None, chat))

    gate = asyncio.Event()

    async def work(n: int, wait_for: asyncio.Event | None) -> None:
        if wait_for is not None:
            await wait_for.wait()
        done.append(n)

    first = asyncio.create_task(order.do_process_update(update(1), work(1, release)))
    await asyncio.sleep(0)
    second = asyncio.create_task(order.do_process_update(update(2), work(2, gate)))
    await asyncio.sleep(0)
    release.set()
    await first
    third = asyncio.create_task(order.do_process_update(update(3), work(3, None)))
    for _ in range(5):
        await asyncio.sleep(0)  # give a wrongly unlocked third update every chance to overtake
    gate.set()
    await asyncio.gather(second, third)
    assert done == [1, 2, 3]
