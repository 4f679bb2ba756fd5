"""The one adapter that turns rendered messages (messages.py) into Bot API calls.

It knows Telegram's ways: HTML parse mode (the application's default, see app.py), ForceReply and inline keyboards, forum topics, a group
that became a supergroup (ChatMigrated: the chat's records follow it and the message is sent
again), a chat that refuses the bot (Forbidden: reported, nothing more sent there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from telegram import Bot, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram import Message as Sent
from telegram.constants import ChatAction
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from .messages import Document, Keyboard, Outgoing, Photo, Poll, Text

log = logging.getLogger("elenchus.telegram")


class Sender:
    def __init__(
        self,
        on_forbidden: Callable[[str], None] = lambda chat: None,
        on_migrated: Callable[[str, str], None] = lambda old, new: None,
    ):
        self.on_forbidden = on_forbidden
        """Called with the chat that refused the bot (a participant blocked it, or it was removed)."""
        self.on_migrated = on_migrated
        """Called with (old chat id, new chat id) when a group became a supergroup."""

    async def send_all(
        self,
        bot: Bot,
        chat: int | str,
        messages: Sequence[Outgoing],
        thread: int | None = None,
    ) -> list[tuple[Outgoing, Sent]]:
        """Send in order; stop at a chat that refuses the bot. Returns what was sent, with Telegram's
        message."""
        sent = []
        for message in messages:
            result = await self.send(bot, chat, message, thread)
            if result is None:
                break
            sent.append((message, result))
        return sent

    async def send(self, bot: Bot, chat: int | str, message: Outgoing, thread: int | None = None) -> Sent | None:
        """One message; None when the chat refuses the bot."""
        chat = str(chat)
        for _ in range(2):
            try:
                return await self._call(bot, int(chat), message, thread)
            except ChatMigrated as moved:
                self.on_migrated(chat, str(moved.new_chat_id))
                chat = str(moved.new_chat_id)
            except Forbidden:
                log.info("event=forbidden")
                self.on_forbidden(chat)
                return None
        return None

    async def _call(self, bot: Bot, chat: int, message: Outgoing, thread: int | None) -> Sent:
        if isinstance(message, Text):
            return await bot.send_message(
                chat,
                message.text,
                reply_markup=_markup(message),
                message_thread_id=thread,
                reply_parameters=ReplyParameters(message.reply_to, allow_sending_without_reply=True)
                if message.reply_to
                else None,
            )
        if isinstance(message, Poll):
            return await bot.send_poll(
                chat, message.question, list(message.options), is_anonymous=False, message_thread_id=thread
            )
        if isinstance(message, Photo):
            return await bot.send_photo(
                chat,
                InputFile(message.data, filename=message.filename),
                caption=message.caption or None,
                parse_mode=None,  # a caption is plain text (not HTML like the application's default)
                message_thread_id=thread,
            )
        assert isinstance(message, Document)
        return await bot.send_document(
            chat, InputFile(message.data, filename=message.filename), message_thread_id=thread
        )

    async def edit(self, bot: Bot, chat: int | str, message_id: int, message: Text) -> bool:
        """Replace a sent message's text and buttons; False if Telegram refused (gone, not modified)."""
        try:
            await bot.edit_message_text(
                message.text,
                chat_id=int(chat),
                message_id=message_id,
                reply_markup=_keyboard(message.keyboard),
            )
        except BadRequest:
            return False
        except TelegramError as exc:
            log.info("event=edit_failed error=%s", type(exc).__name__)
            return False
        return True

    async def typing(self, bot: Bot, chat: int | str) -> None:
        """The typing indicator: only for a reply that is slow to come (see Shell.typing_after)."""
        await quietly(bot.send_chat_action(int(chat), ChatAction.TYPING))

    async def strip_buttons(self, bot: Bot, chat: int | str, message_id: int) -> None:
        await quietly(bot.edit_message_reply_markup(int(chat), message_id, reply_markup=None))


async def quietly(call) -> None:
    """A call whose failure changes nothing for the user (a typing indicator, a button answer)."""
    try:
        await call
    except TelegramError as exc:
        log.info("event=ignored_error error=%s", type(exc).__name__)


def _markup(message: Text) -> InlineKeyboardMarkup | ForceReply | None:
    if message.force_reply is not None:
        return ForceReply(selective=message.selective or None, input_field_placeholder=message.force_reply)
    return _keyboard(message.keyboard)


def _keyboard(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row] for row in keyboard]
    )
