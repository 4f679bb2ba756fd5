"""Bot API methods on messages: sendMessage, sendDocument, sendPhoto, editMessageText,
editMessageCaption, editMessageReplyMarkup, deleteMessage, deleteMessages."""

from __future__ import annotations

import time
from typing import Any

from . import rules
from .html import HtmlError, utf16_len
from .replies import ApiError
from .spec import FilePart
from .state import Chat, Message, StoredFile

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class MessageMethods:
    """A part of BotApi (botapi.py holds the state and its lock, `cond`)."""

    def _target(self, params: dict, not_found: str) -> Message:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: the fake Telegram server does not support inline messages")
        message = self.find_message(self.chat(params["chat_id"]).id, params.get("message_id"))
        if message is None:
            raise ApiError(400, f"Bad Request: {not_found}")
        return message

    def _render(self, params: dict, field_name: str, entities_name: str) -> tuple[str, str, list[dict]]:
        """(sent string, visible text, entities) for a text or caption parameter."""
        sent = params.get(field_name, "")
        try:
            visible, entities = rules.render(sent, params.get("parse_mode"))
        except HtmlError as error:  # already refused by the spec check; kept for safety
            raise ApiError(400, f"Bad Request: {error}") from error
        if entities_name in params:
            entities = params[entities_name]
        visible, entities = _strip(visible, entities)
        return sent, visible, entities

    def _reply_target(self, chat: Chat, params: dict) -> Message | None:
        """The message reply_parameters names in this chat (replies across chats are refused)."""
        reply = params.get("reply_parameters")
        if not reply:
            return None
        if "chat_id" in reply and self.chat(reply["chat_id"]).id != chat.id:
            raise ApiError(
                400,
                "Bad Request: message to be replied not found: reply_parameters.chat_id names another chat "
                f"({reply['chat_id']}); the fake does not support replies across chats",
            )
        target = self.find_message(chat.id, reply.get("message_id"))
        if target is None:
            if not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            return None
        if "quote" in reply:
            quote = rules.render(reply["quote"], reply.get("quote_parse_mode"))[0]
            if quote not in target.shown:
                raise ApiError(400, "Bad Request: the quote is not a part of the message to be replied to")
        return target

    def _thread(self, chat: Chat, params: dict, reply_to: Message | None) -> int | None:
        """The forum topic a send goes to: message_thread_id, else the topic of the message replied to."""
        thread_id = params.get("message_thread_id")
        if thread_id is None:
            return reply_to.thread_id if reply_to is not None else None
        group = self.groups.get(chat.id)
        if group is None or not chat.is_forum or thread_id not in group.topics:
            raise ApiError(400, "Bad Request: message thread not found")
        return thread_id

    def _sent(self, chat: Chat, params: dict, kind: str) -> tuple[Message, Message | None]:
        reply_to = self._reply_target(chat, params)
        thread_id = self._thread(chat, params, reply_to)
        message = self._new_message(chat, kind=kind)
        message.reply_markup = params.get("reply_markup")
        message.parse_mode = params.get("parse_mode")
        message.reply_to_message_id = reply_to.message_id if reply_to else None
        message.thread_id = thread_id
        return message, reply_to

    # ---- sending -----------------------------------------------------------------------------

    def _send_message(self, params: dict, files: dict) -> dict:
        chat = self.chat(params["chat_id"])
        message, reply_to = self._sent(chat, params, "text")
        message.sent_text, message.text, message.entities = self._render(params, "text", "entities")
        return message.to_api(self.bot_user, reply_to)

    def _store_file(self, value: Any, default_name: str) -> StoredFile:
        """The file an InputFile parameter names: an upload, a known file_id, or a URL."""
        if isinstance(value, FilePart):
            number = next(self._ids)
            stored = StoredFile(f"BQACAgfake{number:06d}", f"AgADfake{number:06d}", value.filename, value.content)
            self.files[stored.file_id] = stored
            return stored
        if value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            number = next(self._ids)
            return StoredFile(
                f"BQACAgurl{number:06d}", f"AgADurl{number:06d}", value.rsplit("/", 1)[-1] or default_name, b""
            )
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _send_file(self, params: dict, field_name: str, default_name: str) -> dict:
        chat = self.chat(params["chat_id"])
        stored = self._store_file(params[field_name], default_name)
        message, reply_to = self._sent(chat, params, field_name)
        message.file = stored
        message.sent_caption, message.caption, message.caption_entities = self._render(
            params, "caption", "caption_entities"
        )
        if field_name == "document":
            message.document = (stored.filename, stored.content)
        else:
            message.photo = stored.content
        return message.to_api(self.bot_user, reply_to)

    def _send_document(self, params: dict, files: dict) -> dict:
        return self._send_file(params, "document", "document")

    def _send_photo(self, params: dict, files: dict) -> dict:
        return self._send_file(params, "photo", "photo.jpg")

    # ---- editing and deleting ------------------------------------------------------------------

    def _editable(self, params: dict) -> Message:
        message = self._target(params, "message to edit not found")
        if message.sender is not None:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _edit_text(self, params: dict, files: dict) -> dict:
        message = self._editable(params)
        if message.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        sent, visible, entities = self._render(params, "text", "entities")
        markup = params.get("reply_markup")
        if (visible, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise ApiError(400, NOT_MODIFIED, violation=False)
        message.sent_text, message.text, message.entities = sent, visible, entities
        message.parse_mode, message.reply_markup = params.get("parse_mode"), markup
        return self._edited(message)

    def _edit_caption(self, params: dict, files: dict) -> dict:
        message = self._editable(params)
        if message.file is None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        sent, visible, entities = self._render(params, "caption", "caption_entities")
        markup = params.get("reply_markup")
        if (visible, entities, markup) == (message.caption or "", message.caption_entities, message.reply_markup):
            raise ApiError(400, NOT_MODIFIED, violation=False)
        message.sent_caption, message.caption, message.caption_entities = sent, visible, entities
        message.parse_mode, message.reply_markup = params.get("parse_mode"), markup
        return self._edited(message)

    def _edit_reply_markup(self, params: dict, files: dict) -> dict:
        message = self._editable(params)
        markup = params.get("reply_markup")
        if markup == message.reply_markup or (not markup and not message.reply_markup):
            raise ApiError(400, NOT_MODIFIED, violation=False)
        message.reply_markup = markup
        return self._edited(message)

    def _edited(self, message: Message) -> dict:
        message.edit_date = int(time.time())
        message.edits += 1
        return message.to_api(self.bot_user)

    def _delete_message(self, params: dict, files: dict) -> bool:
        message = self.find_message(self.chat(params["chat_id"]).id, params["message_id"])
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        message.deleted = True
        return True

    def _delete_messages(self, params: dict, files: dict) -> bool:
        """Telegram skips the ids it cannot delete."""
        chat = self.chat(params["chat_id"])
        for message_id in params["message_ids"]:
            message = self.find_message(chat.id, message_id)
            if message is not None:
                message.deleted = True
        return True


def _strip(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram drops whitespace around a message text; entities move with the text."""
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    stripped = text.strip()
    size = utf16_len(stripped)
    moved = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            moved.append({**entity, "offset": start, "length": end - start})
    return stripped, moved
