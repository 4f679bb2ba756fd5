"""What every Telegram handler shares: who is writing, their language, sending through the one
adapter, refusing duplicates and floods, and turning a refused database write into a notice.

Replies in a private chat cost as few Bot API calls as they can (Telegram allows a bot about 30
messages a second in all): what a handler says in the chat of the update it handles is held until
the update is done, the next outbox flush or a document, and goes out merged with what follows
(messages.merge); a choice's note is folded into the next message the same way. The typing
indicator is sent only when an update has shown nothing after TYPING_AFTER seconds; held texts
are sent then instead, so a progress message never waits long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Bot, CallbackQuery, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from ..app.inbox import Pending
from ..app.services import Services
from ..config import Settings
from ..content.prompts import Prompts
from .flood import FloodGuard
from .inbox import is_bare
from .messages import Keyboard, Outgoing, Text, from_payload, merge
from .render import esc, visible_length
from .sender import Sender, quietly

log = logging.getLogger("elenchus.telegram")

PLATFORM = "telegram"
REOPEN_AFTER = 3
"""Refused writes in a row after which the database connection is opened anew."""
FAILED = object()
"""What `stored` returns when the database refused a write."""
TYPING_AFTER = 1.0
"""Seconds an update may go without a visible reply before held texts go out, or the typing
indicator when there are none (a document being built, a slow export)."""

_handling: ContextVar[str | None] = ContextVar("handling", default=None)
"""The private chat of the update this task handles (python-telegram-bot runs one task per update)."""


@dataclass(frozen=True)
class Who:
    participant: int
    chat: int
    locale: str
    name: str
    asked: bool = False
    """They have decided about consent (either way)."""
    consents: bool = False


class Shell:
    """The Telegram shell's shared state and helpers; the handler classes use one instance."""

    def __init__(self, services: Services, prompts: Prompts, settings: Settings):
        self.services = services
        self.prompts = prompts
        self.settings = settings
        self.flood = FloodGuard()
        self.sender = Sender(on_forbidden=self._forbidden, on_migrated=services.groups.move_chat)
        self.replayed_queries: set[str] = set()
        """Button presses replayed from the inbox after a restart: not answered again."""
        self._refused = 0
        """Writes the database refused in a row."""
        self._delivered: set[int] = set()
        """Outbox items sent whose deletion the database refused (a read-only or full disk)."""
        self._drains: dict[str, asyncio.Task] = {}
        self._flushing: dict[str | None, tuple[asyncio.Lock, int]] = {}
        """chat -> (the lock of its flush, how many flushes hold or wait for it)."""
        self._unrecorded = 0
        self._recorded = asyncio.Event()
        self._recorded.set()
        self._again: set[str] = set()
        self.on_sent: Callable[[str, dict, Any], None] | None = None
        """Records a sent group message that later updates refer to (set by the group handlers)."""
        self.outdated: Callable[[dict], bool] | None = None
        """Whether a queued message belongs to a step the group has left (set by the group handlers)."""
        self.on_finish: Callable[[Bot, int], Awaitable[None]] | None = None
        """Ends a group session whose last stretch was posted (set by the group handlers)."""
        self.on_duplicate: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]] | None = None
        """Shows the current step again when an update that was handled arrives again."""
        self._held: dict[str, list[Outgoing]] = {}
        """Private chat -> texts said while its update is handled, not sent yet (merged with what follows)."""
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._releasing: dict[str, asyncio.Task] = {}
        """A timer's release of held texts, in flight: what is sent next in that chat waits for it."""

    # ---- who ------------------------------------------------------------------------------

    def who(self, update: Update) -> Who:
        user = update.effective_user
        person = self.services.participants.identify(PLATFORM, str(user.id), name=user.first_name)
        locale = self.prompts.locale_for(person.locale, user.language_code)
        chat = update.effective_chat.id if update.effective_chat else user.id
        return Who(person.id, chat, locale, user.first_name or "", person.asked_current, person.consents)

    def t(self, who: Who, key: str, **values: object) -> str:
        return self.prompts.t(key, who.locale, **values)

    def translator(self, locale: str):
        return lambda key, **values: self.prompts.t(key, locale, **values)

    # ---- sending --------------------------------------------------------------------------

    async def send(self, bot: Bot, who: Who, messages: Sequence[Outgoing]) -> None:
        """Messages for a participant: held (merged with what follows) in the chat of the update being
        handled, at once anywhere else; a document sends what is held before it."""
        chat = str(who.chat)
        if chat != _handling.get():
            await self.sender.send_all(bot, chat, [m for m, _ in merge(messages, visible_length)])
            return
        self._held.setdefault(chat, []).extend(messages)
        if any(not isinstance(m, Text) for m in messages):
            await self.release(bot, chat)

    async def say(self, bot: Bot, who: Who, key: str, keyboard: Keyboard = (), **values: object) -> None:
        await self.send(bot, who, [Text(self.t(who, key, **values), keyboard)])

    def note(self, who: Who, note: str) -> None:
        """A short note (plain text, shown in italics) at the top of the next message, e.g. what a
        pressed button chose: no edit of the old message, no message of its own."""
        if str(who.chat) == _handling.get():
            self._held.setdefault(str(who.chat), []).append(Text(f"<i>{esc(note)}</i>"))

    def handling(self, bot: Bot, chat: int) -> None:
        """An update of this private chat is being handled: hold its texts, and start the clock after
        which it gets the held texts or the typing indicator."""
        key = str(chat)
        _handling.set(key)
        self._stop_timer(key)
        self._timers[key] = asyncio.get_running_loop().call_later(TYPING_AFTER, self._slow, bot, key)

    def _slow(self, bot: Bot, chat: str) -> None:
        self._timers.pop(chat, None)
        if chat in self._releasing:
            return
        held = self._held.pop(chat, [])
        call = self._send_merged(bot, chat, held) if held else self.sender.typing(bot, chat)
        task = asyncio.get_running_loop().create_task(call)
        self._releasing[chat] = task
        task.add_done_callback(lambda _t: self._releasing.pop(chat, None))

    def _stop_timer(self, chat: str) -> None:
        timer = self._timers.pop(chat, None)
        if timer is not None:
            timer.cancel()

    async def _settled(self, chat: str) -> None:
        """Wait for a release the timer started, so messages keep their order."""
        self._stop_timer(chat)
        task = self._releasing.get(chat)
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(task)

    async def release(self, bot: Bot, chat: str) -> None:
        """Send what is held for a chat, merged (the update is done, or a document follows)."""
        await self._settled(chat)
        held = self._held.pop(chat, [])
        if held:
            await self._send_merged(bot, chat, held)

    async def _send_merged(self, bot: Bot, chat: str, messages: list[Outgoing]) -> None:
        await self.sender.send_all(bot, chat, [m for m, _ in merge(messages, visible_length)])

    async def flush(self, bot: Bot, chat: str | None = None) -> int:
        """Send what the outbox holds (for one chat, or all), oldest first: replies committed with
        their step. Each is deleted once sent, so a crash in between sends it again after the restart.
        In a private chat, consecutive texts go out as one message, after what is held for it.

        One flush per chat at a time: a participant's own step and a notice from another chat (a
        facilitator's comment) may flush the same chat at once, and must not send an item twice."""
        lock, users = self._flushing.get(chat, (asyncio.Lock(), 0))
        self._flushing[chat] = (lock, users + 1)
        try:
            async with lock:
                if chat is not None and not chat.startswith("-"):
                    return await self._flush_private(bot, chat)
                return await self._flush(bot, chat)
        finally:
            lock, users = self._flushing[chat]
            if users == 1:
                del self._flushing[chat]
            else:
                self._flushing[chat] = (lock, users - 1)

    async def _flush(self, bot: Bot, chat: str | None) -> int:
        sent = 0
        for item in self.services.outbox.pending(chat):
            if item.id not in self._delivered:
                await self._deliver(bot, item)
                sent += 1
            self._strike([item.id])
        return sent

    async def _flush_private(self, bot: Bot, chat: str) -> int:
        await self._settled(chat)
        items = self.services.outbox.pending(chat)
        done = [i.id for i in items if i.id in self._delivered]
        if done:
            self._strike(done)
        items = [i for i in items if i.id not in self._delivered]
        if any("finish" in i.payload or "record" in i.payload for i in items):  # a group's kind of item
            return await self._flush_items(bot, items)
        lead = self._held.pop(chat, [])
        ids: list[int | None] = [None] * len(lead) + [i.id for i in items]
        at = 0
        for message, count in merge([*lead, *(from_payload(i.payload) for i in items)], visible_length):
            await self.sender.send_all(bot, chat, [message])  # a refusal (blocked) strikes it off too
            self._strike([i for i in ids[at : at + count] if i is not None])
            at += count
        return len(items)

    async def _flush_items(self, bot: Bot, items: list[Pending]) -> int:
        for item in items:
            await self._deliver(bot, item)
            self._strike([item.id])
        return len(items)

    def _strike(self, ids: list[int]) -> None:
        """Delete sent outbox items, in one transaction; if the database refuses, remember them, so
        they are never sent twice."""
        try:
            self.services.outbox.sent(*ids)
            self._delivered.difference_update(ids)
        except sqlite3.Error as exc:
            self._delivered.update(ids)
            log.warning("event=outbox_mark_failed error=%s", type(exc).__name__)

    async def _deliver(self, bot: Bot, item: Pending) -> None:
        if "finish" in item.payload:
            if self.on_finish is not None:
                await self.on_finish(bot, item.payload["finish"])
            return
        message = from_payload(item.payload)
        record = item.payload.get("record")
        if record and self.outdated is not None and self.outdated(record):
            return
        self._unrecorded += bool(record)
        self._recorded.clear()
        try:
            sent = await self.sender.send_all(bot, item.chat, [message], item.thread)
            if sent and record and self.on_sent is not None:
                self.on_sent(item.chat, record, sent[0][1])
        finally:
            self._unrecorded -= bool(record)
            if not self._unrecorded:
                self._recorded.set()

    async def recorded(self, timeout: float = 10.0) -> None:
        """Wait until every message on its way has been recorded: a reply or a vote can reach the bot
        before the bot has heard back that the question or poll it answers was posted."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._recorded.wait(), timeout)

    def kick(self, bot: Bot, chat: str) -> None:
        """Drain a group's outbox in the background: posting waits on the group's rate limit (about
        20 messages a minute), which must hold up neither members' replies nor other chats."""
        task = self._drains.get(chat)
        if task is not None and not task.done():
            self._again.add(chat)
            return
        self._drains[chat] = asyncio.get_running_loop().create_task(self._drain(bot, chat))

    async def _drain(self, bot: Bot, chat: str) -> None:
        try:
            while True:
                self._again.discard(chat)
                await self.flush(bot, chat)
                if chat not in self._again:
                    return
        except Exception as exc:  # logged without content; the outbox keeps what was not sent
            log.error("event=drain_failed error=%s", type(exc).__name__)

    async def stop_drains(self) -> None:
        for task in self._drains.values():
            task.cancel()
        self._drains.clear()

    async def private_press(self, update: Update) -> Who | None:
        """Who pressed a button in a private chat; a press anywhere else is only answered (the
        participants' and the staff's buttons work in private chats only)."""
        if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
            await self.answer(update.callback_query)
            return None
        return self.who(update)

    async def answer(self, query: CallbackQuery, text: str | None = None, show_alert: bool = False) -> None:
        """Answer a button press, unless it was answered before a restart (its update replayed from
        the inbox): Telegram refuses a second or late answer."""
        if query.id in self.replayed_queries:
            self.replayed_queries.discard(query.id)
            return
        await quietly(query.answer(text, show_alert=show_alert))

    def _forbidden(self, chat: str) -> None:
        """A private chat refused the bot: that participant blocked it. A group: the bot was removed."""
        if chat.startswith("-"):
            for session_id in self.services.groups.end_all_in(chat):
                log.info("event=session_ended_bot_removed session=%d", session_id)
            return
        person = self.services.participants.identify(PLATFORM, chat)
        self.services.participants.blocked(person.id)
        log.info("event=blocked participant=%d", person.id)

    def stored(self, action, *args: Any, **kwargs: Any):
        """Run a storing use case; FAILED when the database refused it (disk full, read-only)."""
        try:
            result = action(*args, **kwargs)
        except sqlite3.Error as exc:
            log.error("event=save_failed error=%s sqlite=%s", type(exc).__name__, getattr(exc, "sqlite_errorname", "-"))
            self._refused += 1
            if self._refused >= REOPEN_AFTER:
                self._reopen()
            return FAILED
        self._refused = 0
        return result

    def _reopen(self) -> None:
        """Writes keep failing: try a new connection; if the database cannot even be opened, stop
        with an error, so the supervisor (systemd) restarts the bot once it can."""
        self._refused = 0
        try:
            self.services.reopen()
            log.warning("event=database_reopened")
        except sqlite3.Error as exc:
            log.critical("event=database_unusable sqlite=%s", getattr(exc, "sqlite_errorname", type(exc).__name__))
            logging.shutdown()
            os._exit(3)  # every step is committed or not at all: stopping here loses nothing

    # ---- around every update ----------------------------------------------------------------

    async def skip_duplicates(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Before any handler: drop placeholders and floods; an update handled before is answered
        with what is still owed (the outbox) or the current step, never silently dropped."""
        if is_bare(update):
            raise ApplicationHandlerStop
        chat = update.effective_chat
        if chat is not None and chat.type == ChatType.PRIVATE:
            self.handling(context.bot, chat.id)
        if self.services.inbox.seen(update.update_id):
            log.info("event=duplicate update=%d", update.update_id)
            owed = await self.flush(context.bot, str(chat.id)) if chat is not None else 0
            if not owed and self.on_duplicate is not None:
                await self.on_duplicate(update, context)
            await self.replied(context.bot)
            raise ApplicationHandlerStop
        user = update.effective_user
        if user is None:
            return
        verdict = self.flood.check(user.id, time.monotonic())
        if verdict == "ok":
            return
        if verdict == "notice" and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            log.info("event=flood user_bucket_full=1")
            await self.say(context.bot, self.who(update), "chat.slow_down")
        await self.replied(context.bot)
        raise ApplicationHandlerStop

    async def replied(self, bot: Bot) -> None:
        """The update is handled: send what is held for its chat."""
        chat = _handling.get()
        if chat is not None:
            _handling.set(None)
            await self.release(bot, chat)

    async def mark_done(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.replied(context.bot)
        try:
            self.services.inbox.done(update.update_id)
        except sqlite3.Error as exc:  # bookkeeping only; the step itself was stored or refused already
            log.warning("event=mark_update_failed error=%s", type(exc).__name__)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log without texts; when the database refused a write, tell the person so they can retry."""
        update_id = update.update_id if isinstance(update, Update) else None
        await self.replied(context.bot)
        if isinstance(context.error, sqlite3.Error) and isinstance(update, Update) and update.effective_chat:
            language = update.effective_user.language_code if update.effective_user else None
            text = self.prompts.t("chat.save_failed", self.prompts.locale_for(language))
            await self.sender.send(context.bot, update.effective_chat.id, Text(text))
        log.error(
            "event=error update=%s error=%s",
            update_id,
            type(context.error).__name__,
            exc_info=(type(context.error), context.error, context.error.__traceback__),
        )
