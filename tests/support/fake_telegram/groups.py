"""Groups: which messages a bot in privacy mode receives, entities Telegram adds, ChatMember objects.

Privacy mode (https://core.telegram.org/bots/features#privacy-mode), as emulated here: in a group
where privacy mode is on and the bot is not an administrator, the bot receives only

- commands: text starting with "/" ("/cmd" or "/cmd@this_bot"; "/cmd@other_bot" is for another bot),
- replies to one of the bot's messages,
- messages that mention the bot (@bot_username),
- service messages (new_chat_members, left_chat_member, migrate_to_chat_id, ...).

(Telegram delivers a bare "/cmd" only if this bot was the last to post in the group; the fake
always delivers it.) With privacy mode off, or when the bot is an administrator, it gets everything.
"""

from __future__ import annotations

import re
from typing import Any

from .html import utf16_len
from .state import Chat, Group, Message

__all__ = ["addressed_to_bot", "bot_sees", "chat_member", "detect_entities"]

_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?=\s|$)")
_MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{4,31})(?!\w)")

# Rights of a human administrator (all the fields ChatMemberAdministrator requires, and pinning)
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


def detect_entities(text: str) -> list[dict]:
    """The entities Telegram's clients attach to a typed text: a leading bot command, @mentions."""
    entities = []
    command = _COMMAND_RE.match(text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))})
    for mention in _MENTION_RE.finditer(text):
        if command and mention.start() < command.end():
            continue
        entities.append(
            {"type": "mention", "offset": utf16_len(text[: mention.start()]), "length": utf16_len(mention.group(0))}
        )
    return entities


def addressed_to_bot(message: Message, reply_to: Message | None, bot_username: str) -> bool:
    """Whether a message reaches a bot in privacy mode: a command for it, a reply to it, a mention of it."""
    if message.service:
        return True
    if reply_to is not None and reply_to.from_bot:
        return True
    text = message.text if message.text is not None else message.caption or ""
    command = _COMMAND_RE.match(text)
    if command and (command.group(2) is None or command.group(2).lower() == bot_username.lower()):
        return True
    return any(m.group(1).lower() == bot_username.lower() for m in _MENTION_RE.finditer(text))


def bot_sees(group: Group | None, message: Message, reply_to: Message | None, bot_username: str) -> bool:
    """Whether Telegram sends the bot an update for `message` (a user's message or a service message)."""
    if group is None:  # a private chat
        return True
    if not group.bot_is_member or group.migrated_to is not None:
        return False
    return group.bot_reads_everything or addressed_to_bot(message, reply_to, bot_username)


def chat_member(status: str, user: dict[str, Any], chat: Chat) -> dict[str, Any]:
    """The ChatMember object (ChatMemberOwner, ...Administrator, ...Member, ...Left, ...Banned) for a status."""
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        rights = dict(_ADMIN_RIGHTS)
        if chat.type == "supergroup":
            rights["can_manage_topics"] = True
        return {"status": "administrator", "user": user, **rights}
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    if status in ("member", "left"):
        return {"status": status, "user": user}
    raise ValueError(f"unknown chat member status {status!r}")
