"""End to end, not timed: how many rate-limited Bot API calls a participant's update costs.

Telegram lets a bot send about 30 messages a second, and python-telegram-bot's rate limiter counts
every call that names a chat (sendMessage, sendChatAction, edits; answerCallbackQuery names none).
So the calls per update decide how many people the bot can serve at once. A participant plays
every dialogue of the course from /start to its end; the calls the bot made are counted per update.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from telegram import Update
from telegram.ext import CommandHandler

from bot.telegram.flood import FloodGuard
from bot.telegram.messages import Document, Text

from ..support.bot_harness import running_bot
from ..support.fake_telegram import FakeTelegram, User

TARGET = 1.25
"""Rate-limited calls per participant update (issue 15)."""
ANSWER = "I would check how it was assessed, because a transparent test shows what was learned, for example a project."
TURN_END = re.compile(r"Step \d+ of \d+|A follow-up:|What next\?")
"""Text of the message that ends the bot's reply to an update (a step, a probe, the end)."""


class Counted:
    """A participant who counts the updates they send."""

    def __init__(self, fake: FakeTelegram, user: User):
        self.fake, self.user, self.updates, self.seen = fake, user, 0, 0

    async def next_turn(self, pattern: re.Pattern = TURN_END):
        """The bot's newest message after the ones read, once it is the end of a reply."""

        def find():
            for message in reversed(self.fake.messages(self.user.id)):
                if message.message_id <= self.seen:
                    return None
                if pattern.search(message.text or ""):
                    return message
            return None

        message = await self.fake.wait_for_async(find, 20, f"the bot's reply after message {self.seen}")
        self.seen = message.message_id
        return message

    def press(self, message, label: str) -> None:
        self.updates += 1
        self.fake.press(self.user, message.message_id, label)

    def write(self, text: str) -> None:
        self.updates += 1
        self.fake.send_text(self.user, text)

    def command(self, text: str) -> None:
        self.updates += 1
        self.fake.send_command(self.user, text)


async def play_every_dialogue(p: Counted) -> list[str]:
    p.command("/start")
    consent = await p.next_turn(re.compile("may we keep your answers"))
    p.press(consent, "Yes, keep my answers")
    menu = await p.next_turn(re.compile("Pick a dialogue"))
    titles = [label for label in menu.button_labels]
    for title in titles:
        p.press(menu, title)
        while True:
            turn = await p.next_turn()
            text = turn.text or ""
            if "What next?" in text:
                break
            labels = turn.button_labels
            if labels:
                p.press(turn, labels[min(1, len(labels) - 1)])
            else:
                p.write(ANSWER)
        p.command("/menu")
        menu = await p.next_turn(re.compile("Pick a dialogue"))
    return titles


async def test_every_dialogue_costs_at_most_target_calls_per_update(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        bot.app.bot_data["shell"].flood = FloodGuard(burst=10**9)  # faster than a person, never a flood
        p = Counted(fake, fake.user("Counter"))
        titles = await play_every_dialogue(p)
        finished = bot.storage.database.count("runs where status = 'finished'")
    made = [r for r in fake.requests if r.method != "getUpdates" and "chat_id" in r.params]
    by_method = Counter(r.method for r in made)
    per_update = len(made) / p.updates
    assert finished == len(titles) >= 10, "every dialogue of the course was played to its end"
    assert per_update <= TARGET, (per_update, p.updates, by_method)
    assert by_method["editMessageText"] == 0, "a choice is noted in the next message, not by an edit"
    assert not fake.violations


async def test_typing_only_when_nothing_is_shown_for_a_second_and_held_texts_go_out_then(fake, tmp_path):
    """A handler that awaits something slow (a document being built, an export in a worker): what it
    said before goes out after a second on its own; with nothing to show, the typing indicator."""
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        shell = bot.app.bot_data["shell"]
        gate = asyncio.Event()

        async def slow_text(update: Update, context) -> None:
            who = shell.who(update)
            await shell.send(context.bot, who, [Text("Preparing it")])
            await gate.wait()
            await shell.send(context.bot, who, [Text("Here it is")])

        async def slow_document(update: Update, context) -> None:
            await gate.wait()
            await shell.send(context.bot, shell.who(update), [Document(b"data", "slow.txt")])

        bot.app.handlers[0][0:0] = [CommandHandler("slowtext", slow_text), CommandHandler("slowdoc", slow_document)]
        user = fake.user("Slow")
        fake.send_command(user, "/slowtext")
        await fake.wait_for_message_async(user.id, "Preparing it", timeout=10)
        assert not fake.calls("sendChatAction"), "a text was shown: no typing indicator"
        gate.set()
        await fake.wait_for_message_async(user.id, "Here it is", timeout=10)
        gate.clear()
        fake.send_command(user, "/slowdoc")
        await fake.wait_for_async(lambda: fake.calls("sendChatAction"), 10, "the typing indicator")
        gate.set()
        await fake.wait_for_async(lambda: [m for m in fake.messages(user.id) if m.document], 10, "the document")
        (typing,) = fake.calls("sendChatAction")
        assert typing.params["action"] == "typing"
