"""A Telegram group as its members see the bot's messages in it, and the people of two courses,
for tests of group sessions."""

from __future__ import annotations

from dataclasses import dataclass

from .bot_harness import Participant
from .staff import become_facilitator, new_cohort


class Room:
    """The bot's messages in one group, and waiting for them."""

    def __init__(self, fake, chat):
        self.fake = fake
        self.chat = chat

    @property
    def id(self) -> int:
        return self.chat.id

    def bot_messages(self):
        return self.fake.messages(self.id)

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.bot_messages()]

    async def expect(self, contains: str, after: int | None = None, timeout: float = 15.0):
        return await self.fake.wait_for_message_async(self.id, contains, timeout=timeout, after=after)

    def last_id(self) -> int:
        messages = self.bot_messages()
        return messages[-1].message_id if messages else 0

    async def question(self, contains: str | int = "", after: int = 0):
        """The next open question (a message that asks for a reply) after message `after`, with
        this text if given (`question(after)` also works)."""
        if isinstance(contains, int):
            contains, after = "", contains

        def find():
            return next(
                (
                    m
                    for m in self.bot_messages()
                    if m.force_reply and m.message_id > after and contains in (m.text or "")
                ),
                None,
            )

        return await self.fake.wait_for_async(find, 15.0, f"a question {contains!r}")

    async def poll(self, after: int):
        return await self.fake.wait_for_async(
            lambda: next((m for m in self.bot_messages() if m.poll and m.message_id > after), None), what="a poll"
        )

    async def control(self, after: int = 0):
        return await self.fake.wait_for_async(
            lambda: next(
                (m for m in self.bot_messages() if "Next ▶" in m.button_labels and m.message_id > after), None
            ),
            what="the Next button",
        )

    async def next(self, facilitator: Participant, after: int = 0) -> int:
        """Press Next on the newest control message; returns the id it was pressed on."""
        control = await self.control(after)
        self.fake.press(facilitator.user, control.message_id, "Next ▶", chat=self.chat)
        return control.message_id


@dataclass
class Courses:
    """An administrator and two cohorts, MC-X (facilitated by Fiona) and MC-Y (by Yusuf)."""

    ada: Participant
    fiona: Participant
    yusuf: Participant
    invite_x: str
    invite_y: str


async def two_courses(fake, ada: Participant) -> Courses:
    invite_x, lead_x = await new_cohort(ada, "MC-X")
    invite_y, lead_y = await new_cohort(ada, "MC-Y")
    fiona = Participant(fake, fake.user("Fiona"))
    yusuf = Participant(fake, fake.user("Yusuf"))
    await become_facilitator(fiona, lead_x, "MC-X")
    await become_facilitator(yusuf, lead_y, "MC-Y")
    return Courses(ada, fiona, yusuf, invite_x, invite_y)


async def consenting(fake, name: str, invite: str | None = None) -> Participant:
    """A participant who agreed to keep their answers (and joined a cohort, with an invite)."""
    p = Participant(fake, fake.user(name))
    await p.command("/start", payload=invite)
    await p.press("Yes, keep my answers")
    await p.expect("Pick a dialogue")
    return p
