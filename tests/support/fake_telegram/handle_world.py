"""The tests' handle on the simulated world: users, groups and what happens in them, and acting
as users (send, reply, press, vote, edit). Each action enqueues the update the bot gets and returns it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .groups import detect_entities
from .state import Chat, PollView, User

if TYPE_CHECKING:
    from .botapi import BotApi


class WorldHandle:
    """A part of FakeTelegram (handle.py): the world side of the tests' handle."""

    api: BotApi

    # ---- users and chats -----------------------------------------------------------------------

    def user(
        self,
        first_name: str = "Alice",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> User:
        """A new user with a private chat with the bot (chat id == user id)."""
        with self.api.cond:
            return self.api.add_user(first_name, language_code, username, last_name)

    def group(
        self,
        title: str = "Course group",
        supergroup: bool = False,
        username: str | None = None,
        *,
        privacy: bool = True,
        admins: Sequence[User] = (),
        members: Sequence[User] = (),
        forum: bool = False,
        bot_member: bool = True,
    ) -> Chat:
        """A new group with the bot in it as a plain member (negative id; supergroups get the -100...
        ids Telegram gives them). `admins` are administrators, the first one the creator; admins and
        `members` are the members. Only members can post (others raise AssertionError).

        privacy=True emulates the bot's privacy mode: the bot gets a user's message only if it is a
        command ("/cmd", "/cmd@this_bot"; not "/cmd@other_bot"), a reply to the bot, mentions
        @bot_username, or is a service message. privacy=False, or the bot being an administrator
        (make_bot_admin), delivers everything. forum=True (supergroups only) enables topics.
        No update is enqueued for creating the group; bot_member=False makes a group without the bot,
        which add_bot then adds (with the my_chat_member and new_chat_members updates)."""
        with self.api.cond:
            chat = self.api.add_group(title, supergroup, username, privacy, tuple(admins), tuple(members), forum)
            if not bot_member:
                self.api.groups[chat.id].bot_status = "left"
            return chat

    def add_member(self, chat: Chat | int, user: User, by: User | None = None) -> dict | None:
        """`user` joins (or `by` adds them): a new_chat_members service message, delivered to the bot."""
        return self.api.add_member(self._group(chat), user, by)

    def remove_member(self, chat: Chat | int, user: User, kicked: bool = False, by: User | None = None) -> dict | None:
        """`user` leaves (kicked=True: an administrator, `by` or the creator, bans them): a
        left_chat_member service message, delivered to the bot; status "left" or "kicked"."""
        return self.api.remove_member(self._group(chat), user, kicked, by)

    def promote(self, chat: Chat | int, user: User, admin: bool = True) -> None:
        """Make a member an administrator (admin=False: a plain member again)."""
        self.api.promote(self._group(chat), user, admin)

    def make_bot_admin(self, chat: Chat | int, admin: bool = True, by: User | None = None) -> dict:
        """Promote the bot to administrator (admin=False: demote it): it then gets every message.
        Enqueues and returns the my_chat_member update (member -> administrator)."""
        return self.api.promote_bot(self._group(chat), admin, by)

    def remove_bot(self, chat: Chat | int, kicked: bool = False, by: User | None = None) -> dict:
        """The bot is removed from the group (by `by`, else the creator): a left_chat_member service
        message about the bot, then the returned my_chat_member update (old status member or
        administrator, new "left", or "kicked" if kicked). From then on every request about the chat
        answers 403 "Forbidden: bot is not a member of the group chat" ("bot was kicked from ...")."""
        return self.api.remove_bot(self._group(chat), kicked, by)

    def add_bot(self, chat: Chat | int, admin: bool = False, by: User | None = None) -> dict:
        """Add the bot (back) to a group: the returned my_chat_member update, then a new_chat_members message."""
        return self.api.add_bot(self._group(chat), admin, by)

    def migrate(self, chat: Chat | int, by: User | None = None) -> Chat:
        """Upgrade a group to a supergroup with a new -100... id, which is returned. The bot gets a
        service message with migrate_to_chat_id in the old chat and one with migrate_from_chat_id in
        the new; members, administrators, the bot's status and privacy mode move over. Every request
        naming the old id then answers 400 "group chat was upgraded to a supergroup chat" with
        parameters.migrate_to_chat_id (python-telegram-bot raises ChatMigrated); not a violation."""
        return self.api.migrate(self._group(chat), by)

    def create_topic(self, chat: Chat | int, name: str, by: User | None = None) -> int:
        """Open a topic in a forum supergroup (forum_topic_created service message); returns its message_thread_id."""
        return self.api.create_topic(self._group(chat), name, by)

    def _group(self, chat: Chat | int) -> Chat:
        chat_id = chat if isinstance(chat, int) else chat.id
        with self.api.cond:
            if chat_id not in self.api.groups:
                raise AssertionError(f"chat {chat_id} is not a group of this fake (make one with fake.group)")
            return self.api.chat(chat_id)

    def block(self, user: User, blocked: bool = True) -> None:
        """`user` blocks the bot: sends to their chat answer 403 Forbidden."""
        with self.api.cond:
            (self.api.blocked.add if blocked else self.api.blocked.discard)(user.id)

    def _chat(self, user: User, chat: Chat | int | None) -> Chat:
        chat_id = user.id if chat is None else chat if isinstance(chat, int) else chat.id
        with self.api.cond:
            return self.api.chat(chat_id)

    # ---- acting as a user: each enqueues an update and returns it ---------------------------------

    def send_text(
        self,
        user: User,
        text: str,
        chat: Chat | int | None = None,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict | None:
        """`user` types `text` (in their private chat, or in `chat`). Entities are added as Telegram
        does: bot_command for a leading "/cmd", mention for @username. In a group in privacy mode the
        update is enqueued only if the bot would get it; None means it was withheld (the message
        is still in history(chat_id), with delivered=False)."""
        return self.api.user_message(
            user, self._chat(user, chat), reply_to_message_id, thread_id, text=text, entities=detect_entities(text)
        )

    def reply(self, user: User, chat: Chat | int, to_message_id: int, text: str) -> dict | None:
        """`user` replies to message `to_message_id` in `chat` (replies to the bot always reach it)."""
        return self.send_text(user, text, chat=chat, reply_to_message_id=to_message_id)

    def vote(
        self, user: User, poll_message_id: int, option_ids: Sequence[int], chat: Chat | int | None = None
    ) -> dict | None:
        """`user` votes in the bot's poll (the message `poll_message_id`; in `chat`, or else the one
        chat of the user's that has it). A new choice changes the vote, [] retracts it. The poll's
        tally changes; for a non-anonymous poll a poll_answer update is enqueued and returned
        (option_ids [] when retracted), None for an anonymous one; a poll update with the new counts
        follows in both cases. A closed poll, or a change the poll does not allow, raises AssertionError."""
        with self.api.cond:
            target = None if chat is None else self.api.chat(chat if isinstance(chat, int) else chat.id)
            message = self.api.find_poll(user, target, poll_message_id)
            return self.api.vote(user, message, list(option_ids))

    def polls(self, chat_id: int) -> list[PollView]:
        """The bot's polls in a chat, in order, with their current tallies (PollView)."""
        return self.api.polls(chat_id)

    def send_command(
        self, user: User, command: str, payload: str | None = None, chat: Chat | int | None = None
    ) -> dict:
        """Send a command such as "/start" (or "/start@bot"), with a payload if given, and its bot_command entity."""
        if not command.startswith("/"):
            command = "/" + command
        text = f"{command} {payload}" if payload else command
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.api.user_message(user, self._chat(user, chat), text=text, entities=entities)

    def send_sticker(self, user: User, emoji: str = "👍", chat: Chat | int | None = None) -> dict:
        stored = self.api.user_file("sticker.webp", b"RIFF\x00\x00\x00\x00WEBP")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.api.user_message(user, self._chat(user, chat), kind="sticker", sticker=sticker)

    def send_photo(
        self,
        user: User,
        content: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        caption: str | None = None,
        chat: Chat | int | None = None,
    ) -> dict:
        stored = self.api.user_file("photo.jpg", content)
        return self.api.user_message(user, self._chat(user, chat), kind="photo", file=stored, caption=caption)

    def send_voice(
        self, user: User, duration: int = 3, content: bytes = b"OggS fake voice", chat: Chat | int | None = None
    ) -> dict:
        stored = self.api.user_file("voice.ogg", content)
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(content),
        }
        return self.api.user_message(user, self._chat(user, chat), kind="voice", voice=voice)

    def send_document(
        self,
        user: User,
        filename: str = "notes.txt",
        content: bytes = b"my notes",
        caption: str | None = None,
        chat: Chat | int | None = None,
    ) -> dict:
        stored = self.api.user_file(filename, content)
        return self.api.user_message(user, self._chat(user, chat), kind="document", file=stored, caption=caption)

    def send_location(
        self, user: User, latitude: float = 52.52, longitude: float = 13.405, chat: Chat | int | None = None
    ) -> dict:
        location = {"latitude": latitude, "longitude": longitude}
        return self.api.user_message(user, self._chat(user, chat), kind="location", location=location)

    def edit_text(self, user: User, message_id: int, text: str, chat: Chat | int | None = None) -> dict | None:
        """An edited_message update for a text message `user` sent earlier (in a group in privacy
        mode only if the edited message reaches the bot, e.g. a reply to it; else None)."""
        return self.api.user_edit(user, self._chat(user, chat), message_id, text)

    def press(self, user: User, bot_message_id: int, label: str, chat: Chat | int | None = None) -> dict:
        """Press the inline button labelled `label` on the bot's message as it is now."""
        target = self._chat(user, chat)
        with self.api.cond:
            message = self.api.find_message(target.id, bot_message_id)
            if message is None or not message.from_bot:
                raise AssertionError(f"no bot message {bot_message_id} in chat {target.id} (deleted or never sent)")
            button = next((b for b in message.buttons if b.get("text") == label), None)
            if button is None or "callback_data" not in button:
                raise AssertionError(
                    f"message {bot_message_id} has no callback button {label!r}; its buttons: {message.button_labels}"
                )
            return self.api.callback_query(user, target, bot_message_id, button["callback_data"])

    def press_data(self, user: User, bot_message_id: int, data: str, chat: Chat | int | None = None) -> dict:
        """A callback_query with any data, e.g. a forged button or one from a message since edited."""
        return self.api.callback_query(user, self._chat(user, chat), bot_message_id, data)

    def deliver(self, update: dict) -> dict:
        """Enqueue a raw update (give it an update_id to deliver a duplicate). The id of a raw
        callback_query is opened, as for a press, so the bot can answer it once."""
        query = update.get("callback_query")
        with self.api.cond:
            if isinstance(query, dict) and isinstance(query.get("id"), str):
                self.api.open_queries.add(query["id"])
            return self.api.enqueue(update)
