"""FakeTelegram, the tests' handle on the fake server: start and stop it, observe the bot, wait
without sleeping, inject faults. Making users and groups and acting as users: handle_world.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .botapi import BotApi
from .faults import Fault, GroupRateLimit
from .handle_world import WorldHandle
from .server import FakeServer
from .state import Message, Request, Violation

T = TypeVar("T")
DEFAULT_TOKEN = "123456:TEST-token"


class FakeTelegram(WorldHandle):
    """The fake server, and the tests' handle on it: act as users, observe the bot, inject faults."""

    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "elenchus_test_bot") -> None:
        self.token = token
        self.bot_username = bot_username
        self.api = BotApi(token, bot_username)
        self._server: FakeServer | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        """Serve on 127.0.0.1 at a free port, in a daemon thread."""
        if self._server is None:
            self.api.stopping = False
            self._server = FakeServer(self.api)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake Telegram server is not started")
        return self._server.port

    @property
    def base_url(self) -> str:
        """For Application.builder().base_url(...): the bot then calls base_url + token + "/" + method."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def waiting_polls(self) -> int:
        """How many getUpdates calls are blocked in a long poll right now."""
        with self.api.cond:
            return self.api.waiting_polls

    @property
    def bot_user(self) -> dict[str, Any]:
        return dict(self.api.bot_user)

    # ---- observing the bot --------------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        with self.api.cond:
            return list(self.api.requests)

    def calls(self, method: str) -> list[Request]:
        """The requests of one method, e.g. fake.calls("sendMessage")."""
        return [r for r in self.requests if r.method == method]

    @property
    def callback_answers(self) -> list[dict]:
        with self.api.cond:
            return list(self.api.callback_answers)

    @property
    def violations(self) -> list[Violation]:
        with self.api.cond:
            return list(self.api.violations)

    def clear_violations(self) -> None:
        with self.api.cond:
            self.api.violations.clear()

    def assert_no_violations(self) -> None:
        violations = self.violations
        if violations:
            listing = "\n".join(f"  - {v.message}" for v in violations)
            raise AssertionError(f"the bot sent {len(violations)} request(s) Telegram would refuse:\n{listing}")

    def messages(self, chat_id: int, include_deleted: bool = True) -> list[Message]:
        """The bot's messages in a chat, in order, as they are now (copies; `deleted` marks deleted ones)."""
        with self.api.cond:
            found = self.api.chats.messages.get(chat_id, [])
            return [m.snapshot() for m in found if m.from_bot and (include_deleted or not m.deleted)]

    def history(self, chat_id: int) -> list[Message]:
        """Every message in a chat, the users' and the bot's."""
        with self.api.cond:
            return [m.snapshot() for m in self.api.chats.messages.get(chat_id, [])]

    def last_message(self, chat_id: int) -> Message | None:
        """The bot's newest message in the chat that is not deleted."""
        current = self.messages(chat_id, include_deleted=False)
        return current[-1] if current else None

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """The commands set by setMyCommands for a scope (default scope when None)."""
        params = {"language_code": language_code} | ({"scope": scope} if scope else {})
        with self.api.cond:
            return self.api.commands_for(params)

    # ---- waiting -----------------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "a condition") -> T:
        """Block until predicate() is truthy (re-checked on every request and update); return its value."""
        deadline = time.monotonic() + timeout
        with self.api.cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{self.summary()}")
                self.api.cond.wait(remaining)

    async def wait_for_async(self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "a condition") -> T:
        """wait_for in a worker thread, so the event loop (and a bot running on it) keeps going."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout, what)

    def _find_message(self, chat_id: int, contains: str, after: int | None) -> Message | None:
        for message in self.messages(chat_id, include_deleted=False):
            if (after is None or message.message_id > after) and contains in message.shown:
                return message
        return None

    def wait_for_message(
        self, chat_id: int, contains: str = "", timeout: float = 10.0, after: int | None = None
    ) -> Message:
        """The first bot message in the chat (newer than message id `after`, if given) whose visible text,
        caption or poll question contains `contains`; it may already be there or arrive later."""
        what = f"a bot message in chat {chat_id} containing {contains!r}" + (f" after message {after}" if after else "")
        return self.wait_for(lambda: self._find_message(chat_id, contains, after), timeout, what)

    async def wait_for_message_async(
        self, chat_id: int, contains: str = "", timeout: float = 10.0, after: int | None = None
    ) -> Message:
        return await asyncio.to_thread(self.wait_for_message, chat_id, contains, timeout, after)

    def summary(self, last: int = 8) -> str:
        """The last few requests (getUpdates left out) and the violations, for failure messages."""
        with self.api.cond:
            shown = [r for r in self.api.requests if r.method != "getUpdates"][-last:]
            lines = [f"last {len(shown)} requests (without getUpdates):"]
            lines += [
                f"  {r.method} -> {r.status}{' ' + r.description if r.description else ''} {_brief(r.params)}"
                for r in shown
            ]
            lines += [f"violations: {len(self.api.violations)}"] + [
                f"  - {v.message}" for v in self.api.violations[-last:]
            ]
            return "\n".join(lines)

    # ---- faults ----------------------------------------------------------------------------------

    def fail(
        self,
        method: str | None = "sendMessage",
        times: int = 1,
        kind: str = "429",
        retry_after: int = 1,
        hold: float = 3.0,
    ) -> None:
        """The next `times` calls of `method` (any method when None) fail: kind "429" (flood control with
        parameters.retry_after), "500" (Internal Server Error) or "timeout" (no answer for `hold`
        seconds, then the connection is closed; the call has no effect)."""
        with self.api.cond:
            self.api.faults.add(Fault(method, times, str(kind), retry_after, hold))

    def group_rate_limit(
        self, per_minute: int | None = 20, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """At most `per_minute` messages posted in one group (or supergroup) within `window` seconds.

        Counted: successful sendMessage, sendPoll, sendPhoto, sendDocument, ... copy/forward (not
        edits, deletions, sendChatAction or failed calls). Over the limit a send is answered 429 with
        parameters.retry_after = whole seconds until a slot frees (at least 1; python-telegram-bot
        raises RetryAfter). Use a short window (per_minute=20, window=3.0) to keep a test quick, or
        pass `clock` (a function returning seconds) to move time on by hand. None turns the limit off."""
        with self.api.cond:
            self.api.rate_limit = GroupRateLimit(per_minute, window, clock) if per_minute is not None else None


def _brief(params: dict) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return text if len(text) <= 160 else text[:157] + "..."
