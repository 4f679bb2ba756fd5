"""A Telegram group as a test sees it: the bot's messages there, and the steps of a session."""

from __future__ import annotations


class Room:
    """A Telegram group, as its members see the bot's messages in it."""

    def __init__(self, fake, chat):
        self.fake = fake
        self.chat = chat

    @property
    def id(self) -> int:
        return self.chat.id

    def bot_messages(self):
        return self.fake.messages(self.id)

    async def expect(self, contains: str, after: int | None = None, timeout: float = 15.0):
        return await self.fake.wait_for_message_async(self.id, contains, timeout=timeout, after=after)

    def last_id(self) -> int:
        messages = self.bot_messages()
        return messages[-1].message_id if messages else 0

    async def question(self, contains: str, after: int):
        message = await self.expect(contains, after)
        assert message.reply_markup and message.reply_markup.get("force_reply"), "questions ask for replies"
        return message

    async def poll(self, after: int):
        return await self.fake.wait_for_async(
            lambda: next((m for m in self.bot_messages() if m.poll and m.message_id > after), None), what="a poll"
        )

    async def control(self, after: int):
        return await self.fake.wait_for_async(
            lambda: next(
                (m for m in self.bot_messages() if "Next ▶" in m.button_labels and m.message_id > after), None
            ),
            what="the Next button",
        )

    async def next(self, facilitator, after: int) -> int:
        """Press Next on the newest control message; returns the id it was pressed on."""
        control = await self.control(after)
        self.fake.press(facilitator.user, control.message_id, "Next ▶", chat=self.chat)
        return control.message_id
