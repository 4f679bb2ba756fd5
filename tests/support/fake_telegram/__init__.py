"""A fake Telegram Bot API server for end-to-end tests (see README.md).

    with FakeTelegram() as fake:
        app = Application.builder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
        alice = fake.user("Alice")
        fake.send_command(alice, "/start")
        fake.wait_for_message(alice.id, "Welcome")
        fake.assert_no_violations()

Every request the bot sends is checked against api.json (the official spec); what Telegram would
refuse is answered 400 and recorded in `fake.violations`.
"""

from __future__ import annotations

from .handle import FakeTelegram
from .state import Chat, Message, PollView, Request, User, Violation

__all__ = ["Chat", "FakeTelegram", "Message", "PollView", "Request", "User", "Violation"]
