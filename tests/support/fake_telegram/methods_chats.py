"""Bot API methods on chats: getChat, getChatMember, getChatAdministrators, getChatMemberCount,
leaveChat, createForumTopic."""

from __future__ import annotations

from .groups import chat_member
from .replies import ApiError
from .world_groups import TOPIC_ICON_COLOR

_NO_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


class ChatMethods:
    """A part of BotApi (botapi.py holds the state and its lock, `cond`)."""

    def _get_chat(self, params: dict, files: dict) -> dict:
        chat = self.chat(params["chat_id"])
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": _NO_GIFTS}

    def _get_chat_member(self, params: dict, files: dict) -> dict:
        chat = self.chat(params["chat_id"])
        group = self.groups.get(chat.id)
        if params["user_id"] == self.bot_user["id"]:
            return chat_member(group.bot_status if group else "member", self.bot_user, chat)
        user = self.chats.users.get(params["user_id"])
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        return chat_member(group.status(user.id) if group else "member", user.to_api(), chat)

    def _get_chat_administrators(self, params: dict, files: dict) -> list[dict]:
        chat = self.chat(params["chat_id"])
        group = self.groups.get(chat.id)
        if group is None:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        admins = [chat_member(group.status(uid), self.chats.users[uid].to_api(), chat) for uid in group.administrators]
        if group.bot_status == "administrator":
            admins.append(chat_member("administrator", self.bot_user, chat))
        return admins

    def _get_chat_member_count(self, params: dict, files: dict) -> int:
        group = self.groups.get(self.chat(params["chat_id"]).id)
        if group is None:
            return 2
        return len(group.members) + (1 if group.bot_is_member else 0)

    def _leave_chat(self, params: dict, files: dict) -> bool:
        chat = self.chat(params["chat_id"])
        if chat.id not in self.groups:
            raise ApiError(400, "Bad Request: chat member status can't be changed in private chats")
        self.set_bot_status(chat, "left", None)
        return True

    def _create_forum_topic(self, params: dict, files: dict) -> dict:
        chat = self.chat(params["chat_id"])
        group = self.groups.get(chat.id)
        if group is None or not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        if group.bot_status != "administrator":
            raise ApiError(400, "Bad Request: not enough rights to create a topic")
        topic = {"name": params["name"], "icon_color": params.get("icon_color", TOPIC_ICON_COLOR)}
        if "icon_custom_emoji_id" in params:
            topic["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        message = self._new_message(chat, kind="service")
        message.extra = {"forum_topic_created": topic}
        message.thread_id = message.message_id
        group.topics[message.message_id] = params["name"]
        return {"message_thread_id": message.message_id, **topic}
