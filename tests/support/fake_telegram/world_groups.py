"""The simulated world's groups: members and administrators joining, leaving and being
promoted, the bot added, promoted or removed, a group upgraded to a supergroup, forum topics."""

from __future__ import annotations

import time
from typing import Any

from .groups import chat_member
from .state import Chat, Group, User

TOPIC_ICON_COLOR = 0x6FB9F0


class GroupWorld:
    """A part of BotApi (botapi.py holds the state and its lock, `cond`)."""

    def add_group(
        self,
        title: str,
        supergroup: bool,
        username: str | None,
        privacy: bool,
        admins: tuple[User, ...] | list[User],
        members: tuple[User, ...] | list[User],
        forum: bool,
    ) -> Chat:
        """A group (negative id; supergroups get -100... ids) with the bot in it as a member."""
        with self.cond:
            for user in [*admins, *members]:
                if self.chats.users.get(user.id) != user:
                    raise ValueError(f"{user!r} is not a user of this fake (make users with fake.user)")
            if forum and not supergroup:
                raise ValueError("only supergroups can be forums (pass supergroup=True)")
            chat_id = self._new_group_id(supergroup)
            chat = self.add_chat(
                Chat(chat_id, "supergroup" if supergroup else "group", title=title, username=username, is_forum=forum)
            )
            group = Group(chat, privacy)
            for index, admin in enumerate(admins):
                group.statuses[admin.id] = "creator" if index == 0 else "administrator"
            for member in members:
                group.statuses.setdefault(member.id, "member")
            self.groups[chat.id] = group
            return chat

    def _new_group_id(self, supergroup: bool) -> int:
        number = next(self._group_numbers)
        return -(1_000_000_000_000 + number) if supergroup else -(4_000_000_000 + number)

    def _someone_in_charge(self, group: Group, by: User | None, exclude: int | None = None) -> User | None:
        """`by` if given, else the creator, an administrator or a member (None if the group is empty)."""
        if by is not None:
            return by
        candidates = [uid for uid in group.administrators + group.members if uid != exclude]
        return self.chats.users[candidates[0]] if candidates else None

    def _service(self, group: Group, sender: User | None, **fields: Any) -> dict | None:
        """Post a service message in the group from `sender`; the bot gets it if it is a member."""
        message = self._new_message(group.chat, sender=sender, kind="service")
        message.extra = fields
        return self._deliver(group, message, None)

    def _chat_member_update(self, group: Group, user: User, old: str, new: str, by: User | None) -> None:
        """Telegram sends chat_member updates to administrator bots only (and only if allowed_updates lists them)."""
        if group.bot_status == "administrator":
            self.enqueue({"chat_member": self._member_change(group, user.to_api(), old, new, by)})

    def _member_change(self, group: Group, user: dict, old: str, new: str, by: User | None) -> dict:
        return {
            "chat": group.chat.to_api(),
            "from": by.to_api() if by is not None else self.bot_user,
            "date": int(time.time()),
            "old_chat_member": chat_member(old, user, group.chat),
            "new_chat_member": chat_member(new, user, group.chat),
        }

    def add_member(self, chat: Chat, user: User, by: User | None) -> dict | None:
        with self.cond:
            group = self._acting_in(chat, by)
            assert group is not None, f"chat {chat.id} is not a group"
            if group.is_member(user.id):
                raise AssertionError(f"{user.first_name} is already a member of {chat.title!r}")
            old = group.status(user.id)
            group.statuses.pop(user.id, None)
            group.statuses[user.id] = "member"
            update = self._service(group, by or user, new_chat_members=[user.to_api()])
            self._chat_member_update(group, user, old, "member", by or user)
            return update

    def remove_member(self, chat: Chat, user: User, kicked: bool, by: User | None) -> dict | None:
        with self.cond:
            group = self._acting_in(chat, by)
            assert group is not None, f"chat {chat.id} is not a group"
            if not group.is_member(user.id):
                raise AssertionError(f"{user.first_name} is not a member of {chat.title!r}")
            remover = self._someone_in_charge(group, by, exclude=user.id) if kicked else by or user
            old = group.status(user.id)
            update = self._service(group, remover or user, left_chat_member=user.to_api())
            group.statuses[user.id] = "kicked" if kicked else "left"
            self._chat_member_update(group, user, old, group.statuses[user.id], remover)
            return update

    def promote(self, chat: Chat, user: User, admin: bool) -> None:
        with self.cond:
            group = self._acting_in(chat, user)
            assert group is not None, f"chat {chat.id} is not a group"
            old = group.status(user.id)
            if old == "creator":
                raise AssertionError(f"{user.first_name} created {chat.title!r}; the creator's status cannot change")
            group.statuses[user.id] = "administrator" if admin else "member"
            self._chat_member_update(group, user, old, group.statuses[user.id], self._someone_in_charge(group, None))

    def set_bot_status(self, chat: Chat, status: str, by: User | None) -> dict:
        """Change the bot's status in a group and enqueue the my_chat_member update telling it so."""
        with self.cond:
            group = self._acting_in(chat, by)
            assert group is not None, f"chat {chat.id} is not a group"
            old = group.bot_status
            if old == status:
                raise AssertionError(f"the bot's status in {chat.title!r} is already {status!r}")
            change = self._member_change(group, self.bot_user, old, status, by)
            group.bot_status = status
            return self.enqueue({"my_chat_member": change})

    def promote_bot(self, chat: Chat, admin: bool, by: User | None) -> dict:
        with self.cond:
            group = self._acting_in(chat, by)
            assert group is not None, f"chat {chat.id} is not a group"
            return self.set_bot_status(chat, "administrator" if admin else "member", self._someone_in_charge(group, by))

    def add_bot(self, chat: Chat, admin: bool, by: User | None) -> dict:
        with self.cond:
            group = self._acting_in(chat, by)
            assert group is not None, f"chat {chat.id} is not a group"
            if group.bot_is_member:
                raise AssertionError(f"the bot is already in {chat.title!r}")
            adder = self._someone_in_charge(group, by)
            update = self.set_bot_status(chat, "administrator" if admin else "member", adder)
            self._service(group, adder, new_chat_members=[self.bot_user])
            return update

    def remove_bot(self, chat: Chat, kicked: bool, by: User | None) -> dict:
        with self.cond:
            group = self._acting_in(chat, by)
            assert group is not None, f"chat {chat.id} is not a group"
            if not group.bot_is_member:
                raise AssertionError(f"the bot is not in {chat.title!r}")
            remover = self._someone_in_charge(group, by)
            if remover is not None:  # the bot still gets the service message about itself
                self._service(group, remover, left_chat_member=self.bot_user)
            return self.set_bot_status(chat, "kicked" if kicked else "left", remover)

    def migrate(self, chat: Chat, by: User | None) -> Chat:
        """Upgrade a group to a supergroup with a new id; the old id answers 400 with migrate_to_chat_id."""
        with self.cond:
            group = self._acting_in(chat, by)
            if group is None or chat.type != "group":
                raise AssertionError(f"only a group can be upgraded to a supergroup; chat {chat.id} is a {chat.type}")
            upgrader = self._someone_in_charge(group, by)
            new_chat = self.add_chat(Chat(self._new_group_id(True), "supergroup", title=chat.title))
            moved = Group(new_chat, group.privacy, dict(group.statuses), group.bot_status)
            self.groups[new_chat.id] = moved
            self._service(group, upgrader, migrate_to_chat_id=new_chat.id)
            group.migrated_to = new_chat.id
            self._service(moved, upgrader, migrate_from_chat_id=chat.id)
            return new_chat

    def create_topic(self, chat: Chat, name: str, by: User | None) -> int:
        """A user opens a forum topic: a forum_topic_created service message; returns its message_thread_id."""
        with self.cond:
            group = self._acting_in(chat, by)
            if group is None or not chat.is_forum:
                raise AssertionError(f"chat {chat.id} is not a forum (fake.group(..., supergroup=True, forum=True))")
            opener = self._someone_in_charge(group, by)
            message = self._new_message(chat, sender=opener, kind="service")
            message.extra = {"forum_topic_created": {"name": name, "icon_color": TOPIC_ICON_COLOR}}
            message.thread_id = message.message_id
            group.topics[message.message_id] = name
            self._deliver(group, message, None)
            return message.message_id
