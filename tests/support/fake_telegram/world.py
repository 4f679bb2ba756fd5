"""The simulated world: users, chats and their messages, and what users do in them (send,
edit, upload, press a button). Each action stores what happened and enqueues the update the bot
gets, unless a group's privacy mode withholds it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .groups import bot_sees, detect_entities
from .replies import ApiError
from .state import Chat, Group, Message, StoredFile, User


@dataclass
class Chats:
    by_id: dict[int, Chat] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    messages: dict[int, list[Message]] = field(default_factory=dict)
    next_message_id: dict[int, int] = field(default_factory=dict)


class World:
    """A part of BotApi (botapi.py holds the state and its lock, `cond`)."""

    def chat(self, chat_id: Any) -> Chat:
        """The chat a chat_id names (int, or "@username" of a group); unknown -> "chat not found"."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            found = [
                c
                for c in self.chats.by_id.values()
                if c.username and f"@{c.username}" == chat_id and c.type != "private"
            ]
            if found:
                return found[0]
        elif isinstance(chat_id, int) and chat_id in self.chats.by_id:
            return self.chats.by_id[chat_id]
        raise ApiError(400, "Bad Request: chat not found")

    def add_user(self, first_name: str, language_code: str | None, username: str | None, last_name: str | None) -> User:
        user_id = next(self._user_ids)
        user = User(user_id, first_name, language_code, username, last_name)
        self.chats.users[user_id] = user
        self.add_chat(Chat(user_id, "private", username=username, first_name=first_name, last_name=last_name))
        return user

    def add_chat(self, chat: Chat) -> Chat:
        self.chats.by_id[chat.id] = chat
        self.chats.messages.setdefault(chat.id, [])
        self.chats.next_message_id.setdefault(chat.id, 1)
        return chat

    def _new_message(self, chat: Chat, sender: User | None = None, kind: str = "text") -> Message:
        message_id = self.chats.next_message_id[chat.id]
        self.chats.next_message_id[chat.id] = message_id + 1
        message = Message(message_id=message_id, chat=chat, date=int(time.time()), sender=sender, kind=kind)
        self.chats.messages[chat.id].append(message)
        return message

    def find_message(self, chat_id: int, message_id: Any) -> Message | None:
        for message in self.chats.messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def user_message(
        self,
        user: User,
        chat: Chat,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
        **content: Any,
    ) -> dict | None:
        """Store a message `user` sends to `chat`; enqueue its update unless privacy mode withholds it
        (then return None; the message is still in the chat's history, with `delivered` False)."""
        with self.cond:
            group = self._acting_in(chat, user)
            reply_to = None
            if reply_to_message_id is not None:
                reply_to = self.find_message(chat.id, reply_to_message_id)
                if reply_to is None:
                    raise AssertionError(f"no message {reply_to_message_id} in chat {chat.id} to reply to")
            topic = self._user_thread(chat, group, thread_id, reply_to)
            message = self._new_message(chat, sender=user, kind=content.pop("kind", "text"))
            message.text = content.pop("text", None)
            message.entities = content.pop("entities", [])
            message.caption = content.pop("caption", None)
            message.file = content.pop("file", None)
            message.extra = content
            message.reply_to_message_id = reply_to_message_id
            message.thread_id = topic
            return self._deliver(group, message, reply_to)

    def _deliver(self, group: Group | None, message: Message, reply_to: Message | None) -> dict | None:
        """Enqueue the update for a user's (or a service) message if the bot gets it; else None."""
        message.delivered = bot_sees(group, message, reply_to, self.bot_user["username"])
        if not message.delivered:
            self.cond.notify_all()
            return None
        return self.enqueue({"message": message.to_api(self.bot_user, reply_to)})

    def _acting_in(self, chat: Chat, user: User | None) -> Group | None:
        """The group a user acts in (None for a private chat), refusing what no user could do there."""
        group = self.groups.get(chat.id)
        if group is None:
            return None
        if group.migrated_to is not None:
            raise AssertionError(
                f"group {chat.id} was upgraded to the supergroup {group.migrated_to}: use the Chat fake.migrate returned"
            )
        if user is not None and not group.is_member(user.id):
            raise AssertionError(
                f"{user.first_name} ({user.id}) is not a member of {chat.title!r} (status {group.status(user.id)!r}); "
                "pass members=/admins= to fake.group, or call fake.add_member"
            )
        return group

    def _user_thread(
        self, chat: Chat, group: Group | None, thread_id: int | None, reply_to: Message | None
    ) -> int | None:
        if thread_id is None:
            return reply_to.thread_id if reply_to is not None else None
        if group is None or not chat.is_forum or thread_id not in group.topics:
            raise AssertionError(f"no forum topic {thread_id} in chat {chat.id}; create one with fake.create_topic")
        return thread_id

    def user_file(self, filename: str, content: bytes) -> StoredFile:
        with self.cond:
            number = next(self._ids)
            stored = StoredFile(f"BQACAguser{number:06d}", f"AgADuser{number:06d}", filename, content)
            self.files[stored.file_id] = stored
            return stored

    def user_edit(self, user: User, chat: Chat, message_id: int, text: str) -> dict | None:
        """An edited_message update, if the bot gets the edited message (privacy mode: as for new ones)."""
        with self.cond:
            group = self._acting_in(chat, user)
            message = self.find_message(chat.id, message_id)
            if message is None or message.sender != user or message.text is None:
                raise AssertionError(f"{user.first_name} sent no text message {message_id} in chat {chat.id}")
            message.text = text
            message.entities = detect_entities(text)
            message.edit_date = int(time.time())
            reply_to = self.find_message(chat.id, message.reply_to_message_id) if message.reply_to_message_id else None
            if not bot_sees(group, message, reply_to, self.bot_user["username"]):
                self.cond.notify_all()
                return None
            return self.enqueue({"edited_message": message.to_api(self.bot_user, reply_to)})

    def callback_query(self, user: User, chat: Chat, message_id: int, data: str) -> dict:
        """Enqueue a callback_query from `user` for the bot's message `message_id` (which may be gone)."""
        with self.cond:
            message = self.find_message(chat.id, message_id)
            if message is not None:
                shown = message.to_api(self.bot_user)
            else:  # deleted or never sent: Telegram sends an InaccessibleMessage
                shown = {"chat": chat.to_api(), "message_id": message_id, "date": 0}
            query_id = str(next(self._ids) * 1_000_003)
            self.open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": user.to_api(),
                "message": shown,
                "chat_instance": str(abs(chat.id) * 31 + 7),
                "data": data,
            }
            return self.enqueue({"callback_query": query})
