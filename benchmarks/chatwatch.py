"""Per-chat wake-ups from the fake Bot API server, for asyncio drivers that act as participants.

The fake records every request the bot makes (`BotApi._record`, called in the server's request
thread while it holds the fake's lock). ChatWatch wraps that method: each request that concerns a
private chat is appended to that chat's list and the chat's asyncio.Event is set in the driver's
event loop (call_soon_threadsafe). A driver waits for "the next bot request in my chat that
matches", without polling, without sleeping and without a thread per participant.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tests.support.fake_telegram import FakeTelegram


@dataclass(frozen=True)
class Seen:
    """One request of the bot, as the fake answered it."""

    time: float
    """When the fake started handling it (time.monotonic, the fake's own Request.time)."""
    method: str
    text: str
    """sendMessage / editMessageText text (HTML as sent); "" for other methods."""
    message_id: int | None
    """The message the answer describes, when it describes one (sendMessage, editMessageText)."""
    ok: bool


class ChatWatch:
    def __init__(self, fake: FakeTelegram, loop: asyncio.AbstractEventLoop):
        self.fake = fake
        self.loop = loop
        self.seen: dict[int, list[Seen]] = defaultdict(list)
        self.events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.callback_chats: dict[str, int] = {}
        """callback_query id -> chat, so answerCallbackQuery (which names no chat) counts for its chat."""
        self.other = 0
        """Requests that concern no chat (getUpdates, getMe, setMyCommands)."""
        self._original = fake.api._record
        fake.api._record = self._record  # an instance attribute shadows the method

    def close(self) -> None:
        with contextlib.suppress(AttributeError):
            del self.fake.api._record

    def _record(self, method: str, params: dict, files: dict, started: float, reply: Any, fault: Any) -> None:
        self._original(method, params, files, started, reply, fault)
        chat = self._chat_of(method, params)
        if chat is None:
            self.other += 1
            return
        result = reply.body.get("result") if reply.body else None
        message_id = result.get("message_id") if isinstance(result, dict) else None
        text = params.get("text")
        self.seen[chat].append(
            Seen(started, method, text if isinstance(text, str) else "", message_id, reply.status == 200)
        )
        self.loop.call_soon_threadsafe(self._wake, chat)

    def _chat_of(self, method: str, params: dict) -> int | None:
        if method == "answerCallbackQuery":
            return self.callback_chats.get(str(params.get("callback_query_id")))
        chat = params.get("chat_id")
        if chat is None:
            return None
        try:
            return int(chat)
        except (TypeError, ValueError):
            return None

    def _wake(self, chat: int) -> None:
        event = self.events.get(chat)
        if event is not None:
            event.set()

    def mark(self, chat: int) -> int:
        """How many requests of the chat are recorded so far: pass it to wait() as `after`."""
        return len(self.seen[chat])

    async def wait(self, chat: int, after: int, contains: str, timeout: float) -> tuple[int, Seen]:
        """The first sendMessage in the chat, from index `after` on, whose text contains `contains`."""
        event = self.events[chat]
        seen = self.seen[chat]
        index = after
        async with asyncio.timeout(timeout):
            while True:
                event.clear()  # before looking, so a request recorded meanwhile sets it again
                end = len(seen)
                while index < end:
                    entry = seen[index]
                    if entry.method == "sendMessage" and entry.ok and contains in entry.text:
                        return index, entry
                    index += 1
                await event.wait()

    def first_after(self, chat: int, index: int) -> Seen | None:
        """The chat's first request at or after index (the first reply to an update sent then)."""
        seen = self.seen[chat]
        return seen[index] if index < len(seen) else None
