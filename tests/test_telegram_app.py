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
    await set_commands(SimpleNamespace(bot=bot), prompts)
    assert bot.calls == len(prompts.locales)
    assert "event=set_commands_failed" in caplog.text


def test_the_token_is_redacted_from_any_log_record():
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST %s", ("https://x/bot123:ABC/getMe",), None)
    RedactToken("123:ABC").filter(record)
    assert record.getMessage() == "POST https://x/bot<token>/getMe"
