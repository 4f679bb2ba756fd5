"""Pacing: Telegram's flood limits, retries, and the order of updates within one chat.

A 429 (RetryAfter) about one chat pauses that chat only; python-telegram-bot's AIORateLimiter
would pause every request of the bot, so one group hitting its limit of about 20 messages a
minute would hold up every participant. Transient network errors and 5xx answers are retried with
backoff; BadRequest (a NetworkError in python-telegram-bot) is final.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor, ExtBot

log = logging.getLogger("elenchus.telegram")

NETWORK_RETRIES = 5
RETRY_AFTER_RETRIES = 10


class Stopping(TelegramError):
    """The bot is stopping: a call that would wait out a flood limit gives up (what it would have
    sent stays in the outbox and goes out after the restart)."""


class RetryingRateLimiter(AIORateLimiter):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._paused: dict[object, float] = {}
        """chat id (or None for the whole bot) -> monotonic time until which it waits after a 429."""
        self._stopping: asyncio.Event | None = None

    def stop_waiting(self) -> None:
        """SIGTERM: no call waits any longer, so the bot stops within moments."""
        self._stopping_event().set()

    def _stopping_event(self) -> asyncio.Event:
        if self._stopping is None:
            self._stopping = asyncio.Event()
        return self._stopping

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[override]
        chat = _chat_of(data)
        delay, network_failures, limited = 0.25, 0, 0
        while True:
            await self._wait_pause(chat)
            try:
                return await self._run_request(
                    chat=chat is not None,
                    group=chat if _is_group(chat) else False,
                    allow_paid_broadcast=bool(data.get("allow_paid_broadcast", False)),
                    callback=callback,
                    args=args,
                    kwargs=kwargs,
                )
            except RetryAfter as exc:
                limited += 1
                if limited > RETRY_AFTER_RETRIES:
                    raise
                seconds = (
                    exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
                )
                self._paused[chat] = max(self._paused.get(chat, 0.0), time.monotonic() + float(seconds) + 0.1)
                log.info("event=rate_limited method=%s seconds=%.1f", endpoint, float(seconds))
            except BadRequest:
                raise
            except NetworkError as exc:
                network_failures += 1
                if network_failures > NETWORK_RETRIES:
                    raise
                log.warning("event=retry method=%s attempt=%d error=%s", endpoint, network_failures, type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 4.0)

    async def _wait_pause(self, chat: object) -> None:
        """Wait out a 429 about this chat, and one about the whole bot (a request without a chat)."""
        for key in {chat, None}:
            until = self._paused.get(key, 0.0)
            wait = until - time.monotonic()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping_event().wait(), wait)
                    raise Stopping("the bot is stopping")
            elif until:
                self._paused.pop(key, None)


class ElenchusApplication(Application):
    """python-telegram-bot's Application, which on stop first tells the rate limiter to stop
    waiting: stopping waits for the updates being handled, and one of them may be waiting out a
    flood limit of a minute."""

    async def stop(self) -> None:
        limiter = self.bot.rate_limiter
        if isinstance(limiter, RetryingRateLimiter):
            limiter.stop_waiting()
        await super().stop()


WITHOUT_PARSE_MODE = frozenset({"editMessageReplyMarkup", "sendPoll", "stopPoll"})
"""Methods the bot uses that python-telegram-bot sends through its generic message path, which adds
the default parse_mode although the Bot API lists none for them (Telegram ignores it)."""


class HtmlBot(ExtBot):
    """ExtBot with Defaults(parse_mode=HTML) that sends parse_mode only to methods that take one."""

    __slots__ = ()

    async def _do_post(self, endpoint: str, data: dict[str, Any], **kwargs: Any):  # type: ignore[override]
        if endpoint in WITHOUT_PARSE_MODE:
            data.pop("parse_mode", None)
        return await super()._do_post(endpoint, data, **kwargs)


class ElenchusBuilder(ApplicationBuilder):
    """ApplicationBuilder that builds an HtmlBot (same settings, same slots)."""

    def _build_ext_bot(self) -> ExtBot:
        bot = super()._build_ext_bot()
        bot.__class__ = HtmlBot
        return bot


def _chat_of(data: dict[str, Any]) -> object:
    chat = data.get("chat_id")
    with contextlib.suppress(ValueError, TypeError):
        chat = int(chat)  # type: ignore[arg-type]
    return chat


def _is_group(chat: object) -> bool:
    return (isinstance(chat, int) and chat < 0) or isinstance(chat, str)


class PerChatOrder(BaseUpdateProcessor):
    """Updates of different chats run concurrently; those of one chat run one after another.

    So one participant flooding the bot only queues their own messages, and each participant's
    answers are handled in the order they were sent.
    """

    def __init__(self, max_concurrent_updates: int = 4096):
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}
        """chat -> (its lock, how many updates hold or wait for it)."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        started = False
        try:
            async with self.turn_of(_order_key(update)):
                started = True
                await coroutine
        finally:
            if not started and hasattr(coroutine, "close"):
                coroutine.close()  # cancelled while waiting its turn (the bot is stopping): never run

    @contextlib.asynccontextmanager
    async def turn_of(self, key: object) -> AsyncIterator[None]:
        """Wait for this chat's turn (a private chat's key is its id): what the bot sends on its own
        (a reminder) goes out between two of the chat's updates, never while one is handled."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]  # nobody else waits: a later update may start a new lock
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        self._locks.clear()


def _order_key(update: object) -> object:
    """One chat's updates in order; in a group, a member's answers form their own line, so they are
    stored while the facilitator's Next waits on the group's rate limit."""
    if not isinstance(update, Update):
        return 0
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is not None:
        answering = message is not None and message.reply_to_message is not None and not _is_command(message)
        if chat.type in ("group", "supergroup") and answering and user is not None:
            return (chat.id, user.id)
        return chat.id
    return user.id if user is not None else 0


def _is_command(message) -> bool:
    return bool(message.text and message.text.startswith("/"))
