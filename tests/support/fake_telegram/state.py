"""What the fake server remembers: users, chats, messages, requests, violations.

These are plain records; their `to_api` methods give the Bot API JSON Telegram would send
(minimal but with every field api.json marks as required).
"""

from __future__ import annotations

import copy
import mimetypes
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MEMBER_STATUSES", "Chat", "Group", "Message", "PollView", "Request", "StoredFile", "User", "Violation"]

# ChatMember statuses of someone who is in the chat (the others are "left" and "kicked")
MEMBER_STATUSES = ("creator", "administrator", "member")


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
    is_forum: bool = False  # a supergroup with topics

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name", "is_forum"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class Group:
    """Who is in a group or supergroup, and how the bot takes part in it.

    `statuses` maps user ids to their ChatMember status ("creator", "administrator", "member",
    "left", "kicked"), in the order they joined; users never seen there are "left". The bot's own
    status is `bot_status`. `privacy` emulates the bot's privacy mode in this group. A group that
    was upgraded to a supergroup keeps its record with `migrated_to` set to the supergroup's id.
    """

    chat: Chat
    privacy: bool = True
    statuses: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    migrated_to: int | None = None
    topics: dict[int, str] = field(default_factory=dict)  # forum topics: message_thread_id -> name

    def status(self, user_id: int) -> str:
        return self.statuses.get(user_id, "left")

    def is_member(self, user_id: int) -> bool:
        return self.status(user_id) in MEMBER_STATUSES

    @property
    def bot_is_member(self) -> bool:
        return self.bot_status in MEMBER_STATUSES

    @property
    def bot_reads_everything(self) -> bool:
        """Privacy mode off, or the bot is an administrator (admins get every message)."""
        return not self.privacy or self.bot_status == "administrator"

    @property
    def creator(self) -> int | None:
        return next((uid for uid, status in self.statuses.items() if status == "creator"), None)

    @property
    def administrators(self) -> list[int]:
        """The human administrators, the creator first."""
        creator = self.creator
        admins = [uid for uid, status in self.statuses.items() if status == "administrator"]
        return ([creator] if creator is not None else []) + admins

    @property
    def members(self) -> list[int]:
        """Everyone in the group now (administrators included, the bot not)."""
        return [uid for uid, status in self.statuses.items() if status in MEMBER_STATUSES]


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
    thread_id: int | None = None  # forum topic (message_thread_id)
    delivered: bool | None = None  # a user's message: whether the bot got an update for it (privacy mode)
    votes: dict[int, list[int]] = field(default_factory=dict)  # a poll's votes: user id -> option ids
    closes_at: float | None = None  # a poll's open_period / close_date (Unix time)

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

    @property
    def force_reply(self) -> bool:
        """Whether the bot sent this message with a ForceReply markup."""
        return bool(self.reply_markup and self.reply_markup.get("force_reply"))

    @property
    def input_field_placeholder(self) -> str | None:
        return (self.reply_markup or {}).get("input_field_placeholder") if self.force_reply else None

    @property
    def shown(self) -> str:
        """What the message shows as text: its text, else its caption, else its poll's question."""
        if self.text is not None:
            return self.text
        if self.caption:
            return self.caption
        return self.poll["question"] if self.poll else ""

    @property
    def service(self) -> bool:
        """A service message (new_chat_members, left_chat_member, migrate_to_chat_id, ...)."""
        return self.kind == "service"

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
        if self.thread_id is not None:
            data["message_thread_id"] = self.thread_id
            if self.chat.is_forum:
                data["is_topic_message"] = True
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
class PollView:
    """One of the bot's polls as it is now (see FakeTelegram.polls)."""

    chat_id: int
    message_id: int
    poll_id: str
    question: str
    options: list[str]
    counts: list[int]  # voter_count per option
    total_voter_count: int
    is_anonymous: bool
    is_closed: bool
    allows_multiple_answers: bool
    type: str
    votes: dict[int, list[int]]  # user id -> option ids chosen (retracted votes are gone)
    api: dict[str, Any]  # the Poll object as Telegram sends it

    @property
    def tally(self) -> dict[str, int]:
        """Option text -> number of voters."""
        return dict(zip(self.options, self.counts, strict=True))

    @classmethod
    def of(cls, message: Message) -> PollView:
        poll = copy.deepcopy(message.poll or {})
        return cls(
            chat_id=message.chat.id,
            message_id=message.message_id,
            poll_id=poll["id"],
            question=poll["question"],
            options=[o["text"] for o in poll["options"]],
            counts=[o["voter_count"] for o in poll["options"]],
            total_voter_count=poll["total_voter_count"],
            is_anonymous=poll["is_anonymous"],
            is_closed=poll["is_closed"],
            allows_multiple_answers=poll["allows_multiple_answers"],
            type=poll["type"],
            votes=copy.deepcopy(message.votes),
            api=poll,
        )


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
