"""Running the real bot against the fake Bot API server, and speaking to it as users do."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

from bot.app.services import Services
from bot.config import Settings
from bot.content.loader import load_course
from bot.content.prompts import load_prompts
from bot.storage import Storage
from bot.telegram.app import build_application

from .content import CONTENT, PROMPTS, ROOT
from .fake_telegram import FakeTelegram, User

TITLE = "Worth the paper? How a micro-credential earns trust"
"""The first dialogue's title, as its menu button shows it."""


def settings_for(fake: FakeTelegram, db: Path, **overrides) -> Settings:
    base = Settings(
        db=db, token=fake.token, api_url=fake.base_url, file_url=fake.base_file_url, content=CONTENT, prompts=PROMPTS
    )
    return replace(base, **overrides)


@dataclass
class RunningBot:
    fake: FakeTelegram
    storage: Storage
    services: Services
    app: object = None


@contextlib.asynccontextmanager
async def running_bot(fake: FakeTelegram, db: Path, **overrides) -> AsyncIterator[RunningBot]:
    """The real Application, polling the fake server, in this event loop."""
    settings = settings_for(fake, db, **overrides)
    storage = Storage(db)
    services = Services(load_course(CONTENT), storage, settings.admins)
    app = build_application(settings, services, load_prompts(PROMPTS))
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(
        poll_interval=0,
        timeout=1,
        allowed_updates=["message", "edited_message", "callback_query", "poll", "poll_answer", "my_chat_member"],
    )
    try:
        yield RunningBot(fake, storage, services, app)

    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        storage.close()


def bot_process(fake: FakeTelegram, db: Path, log: Path, extra_env: dict | None = None) -> subprocess.Popen:
    """`python -m bot run` as a separate process, logging to a file."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "TELEGRAM_FILE_URL": fake.base_file_url,
        "ELENCHUS_DB": str(db),
        "ELENCHUS_LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }

    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )


class Participant:
    """One user in their private chat with the bot."""

    def __init__(self, fake: FakeTelegram, user: User):
        self.fake = fake
        self.user = user
        self.chat = user.id
        self.seen = 0
        """The newest bot message this participant has read; expect() looks past it."""
        self.read_to = 0
        """How far into that message's text they have read: the bot merges one turn's texts into one
        message, so what used to be the next message may be further down the same one."""

    async def command(self, command: str, payload: str | None = None) -> dict:
        return self.fake.send_command(self.user, command, payload=payload)

    async def write(self, text: str) -> dict:
        return self.fake.send_text(self.user, text)

    async def expect(self, contains: str, timeout: float = 10.0):
        """The next bot message that contains the text: further down the message read last, or after it."""
        last = next((m for m in self.fake.messages(self.chat) if m.message_id == self.seen), None)
        if last is not None and contains in (last.text or "")[self.read_to :]:
            self.read_to = (last.text or "").index(contains, self.read_to) + len(contains)
            return last
        message = await self.fake.wait_for_message_async(self.chat, contains, timeout=timeout, after=self.seen)
        if message.message_id > self.seen:
            text = message.text or ""
            self.seen, self.read_to = (
                message.message_id,
                (text.find(contains) + len(contains)) if contains in text else 0,
            )
        return message

    async def press(self, label: str, timeout: float = 10.0) -> dict:
        """Press the button with this label on the newest bot message that has one."""

        def find():
            for message in reversed(self.fake.messages(self.chat, include_deleted=False)):
                if label in message.button_labels:
                    return message
            return None

        message = await self.fake.wait_for_async(find, timeout, f"a button {label!r} for {self.user.first_name}")
        return self.fake.press(self.user, message.message_id, label)

    def bot_texts(self) -> list[str]:
        return [m.text or "" for m in self.fake.messages(self.chat)]
