"""What the fake server remembers: users, chats, messages, requests, violations.

These are plain records; their `to_api` methods give the Bot API JSON Telegram would send
(minimal but with every field api.json marks as required).
"""

from __future__ import annotations

import copy
import mimetypes
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Chat", "Message", "Request", "StoredFile", "User", "Violation"]


@dataclass(frozen=True)
class User:
    """A Telegram user the tests act as. Their private chat with the bot has id == user id."""

    id: int
    first_name: str
    language_code: str | None = "en"
    username: str | None = None
    last_name: str | None = None
    is_bot: bool = False

    @property
    def chat_id(self) -> int:
        return self.id

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class Chat:
    """A private chat (id == user id), or a group / supergroup (negative id)."""

    id: int
    type: str  # "private", "group" or "supergroup"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class StoredFile:
    """A file Telegram holds: one the bot uploaded or a user sent. Served under base_file_url."""

    file_id: str
    file_unique_id: str
    filename: str
    content: bytes

    @property
    def file_path(self) -> str:
        return f"documents/{self.file_unique_id}_{self.filename}"

    @property
    def mime_type(self) -> str:
        return mimetypes.guess_type(self.filename, strict=False)[0] or "application/octet-stream"

    def document_api(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.filename,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }

    def photo_api(self) -> list[dict[str, Any]]:
        """Telegram answers a photo with several sizes; two are enough."""
        base = {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": len(self.content)}
        return [{**base, "width": 90, "height": 90}, {**base, "width": 800, "height": 600}]

    def file_api(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass
class Message:
    """A message in a chat, in its current state (after edits; `deleted` once deleted).

    `text` and `caption` are what the user sees (HTML already parsed); `sent_text` and
    `sent_caption` are the strings the bot sent, markup included. `sender` is None for the bot.
    """

    message_id: int
    chat: Chat
    date: int
    sender: User | None = None
    text: str | None = None
    sent_text: str | None = None
    entities: list[dict] = field(default_factory=list)
    parse_mode: str | None = None
    caption: str | None = None
    sent_caption: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    reply_markup: dict | None = None
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    poll: dict | None = None
    kind: str = "text"
    deleted: bool = False
    edit_date: int | None = None
    edits: int = 0
    reply_to_message_id: int | None = None
    file: StoredFile | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # other Message fields (sticker, voice, ...)

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def from_bot(self) -> bool:
        return self.sender is None

    @property
    def buttons(self) -> list[dict]:
        """The inline keyboard's buttons, row by row, flattened."""
        if not self.reply_markup:
            return []
        return [button for row in self.reply_markup.get("inline_keyboard", []) for button in row]

    @property
    def button_labels(self) -> list[str]:
        return [button.get("text", "") for button in self.buttons]

    def snapshot(self) -> Message:
        """A copy that later edits on the server do not change."""
        return copy.deepcopy(self)

    def to_api(self, bot: dict[str, Any], with_reply: Message | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.to_api(),
            "from": bot if self.sender is None else self.sender.to_api(),
        }
        if self.edit_date:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.text
        if self.entities:
            data["entities"] = self.entities
        if self.caption:
            data["caption"] = self.caption
        if self.caption_entities:
            data["caption_entities"] = self.caption_entities
        if self.file is not None and self.kind == "document":
            data["document"] = self.file.document_api()
        if self.file is not None and self.kind == "photo":
            data["photo"] = self.file.photo_api()
        if self.poll is not None:
            data["poll"] = self.poll
        if self.reply_markup and "inline_keyboard" in self.reply_markup:  # Telegram echoes only inline keyboards
            data["reply_markup"] = self.reply_markup
        if with_reply is not None:
            data["reply_to_message"] = with_reply.to_api(bot)
        data.update(self.extra)
        return data


@dataclass(frozen=True)
class Request:
    """One call the bot made. `params` are decoded (JSON strings parsed back into objects);
    `files` maps part names to (filename, bytes); `status` is the HTTP status answered
    (None when a fault dropped the connection)."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    time: float
    status: int | None = 200
    description: str | None = None
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class Violation:
    """A request Telegram would have refused (or that breaks the Bot API's rules)."""

    method: str
    message: str
    params: dict[str, Any]

    def __str__(self) -> str:
        return self.message
