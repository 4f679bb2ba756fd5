"""The fake's Bot API behaviour: state, updates for the bot, and one handler per method.

All state lives behind one `threading.Condition` (`BotApi.cond`, over an RLock). Every request
and every enqueued update notifies it, so long polls and the tests' `wait_for` wake at once.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .faults import Fault, FaultPlan, GroupRateLimit
from .groups import bot_sees, chat_member, detect_entities
from .html import HtmlError, utf16_len
from .spec import FilePart, Spec, load_spec
from .state import Chat, Group, Message, PollView, Request, StoredFile, User, Violation

__all__ = ["ApiError", "BotApi", "Reply"]

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
# Update types Telegram sends when allowed_updates was never set (or set to [])
_DEFAULT_UPDATES_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
_TOPIC_ICON_COLOR = 0x6FB9F0


class ApiError(Exception):
    """An error answer. `violation` marks the ones a correct bot never causes."""

    def __init__(
        self, status: int, description: str, *, violation: bool = True, parameters: dict | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.violation = violation
        self.parameters = parameters


@dataclass
class Reply:
    """What the HTTP layer sends back: a JSON body, or nothing after `hold` seconds (kind "timeout")."""

    status: int
    body: dict[str, Any] | None
    hold: float = 0.0


def _ok(result: Any) -> Reply:
    return Reply(200, {"ok": True, "result": result})


def _error(error: ApiError) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return Reply(error.status, body)


@dataclass
class _Queued:
    """An update waiting for getUpdates; `forced` ones came with their own update_id (see enqueue)."""

    update: dict
    forced: bool = False
    returned: bool = False


@dataclass
class _Chats:
    by_id: dict[int, Chat] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    messages: dict[int, list[Message]] = field(default_factory=dict)
    next_message_id: dict[int, int] = field(default_factory=dict)


class BotApi:
    """State and behaviour of the fake Bot API (the HTTP layer is in server.py)."""

    def __init__(self, token: str, bot_username: str, spec: Spec | None = None) -> None:
        self.token = token
        self.spec = spec or load_spec()
        self.cond = threading.Condition(threading.RLock())
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_username.removesuffix("_bot").replace("_", " ").title() or "Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.chats = _Chats()
        self.groups: dict[int, Group] = {}
        self._group_numbers = itertools.count(1)
        self.updates: list[_Queued] = []
        self.allowed_updates: list[str] | None = None
        self.poll_generation = 0
        self.waiting_polls = 0  # getUpdates calls blocked in their long poll right now
        self.requests: list[Request] = []
        self.violations: list[Violation] = []
        self.callback_answers: list[dict] = []
        self.open_queries: set[str] = set()
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[str, list[dict]] = {}
        self.menu_buttons: dict[str, dict] = {}
        self.webhook_url = ""
        self.blocked: set[int] = set()
        self.faults = FaultPlan()
        self.rate_limit: GroupRateLimit | None = None
        self.stopping = False
        self._ids = itertools.count(1)
        self._user_ids = itertools.count(1001)
        self._update_ids = itertools.count(1)
        self._handlers: dict[str, Callable[[dict, dict[str, FilePart]], Any]] = {
            "getMe": lambda p, f: self.bot_user,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendPoll": self._send_poll,
            "stopPoll": self._stop_poll,
            "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": lambda p, f: self.commands_for(p),
            "setChatMenuButton": self._set_menu_button,
            "getChatMenuButton": lambda p, f: self.menu_buttons.get(str(p.get("chat_id")), {"type": "commands"}),
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "leaveChat": self._leave_chat,
            "createForumTopic": self._create_forum_topic,
        }

    # ---- the request pipeline --------------------------------------------------------------

    def process(
        self, token: str, method: str, form: dict[str, str], files: dict[str, FilePart], form_errors: list[str]
    ) -> Reply:
        """Check, record and answer one request. Called by the HTTP layer, one thread per request."""
        with self.cond:
            started = time.monotonic()
            params: dict[str, Any] = dict(form)
            fault: Fault | None = None
            try:
                self._check_route(token, method)
                checked = self.spec.check_request(method, form, files)
                params = checked.params if not checked.errors else {**form, **checked.params}
                fault = self.faults.take(method)
                if fault is not None:
                    self._violations(method, params, checked.errors + form_errors)
                    reply = self._fault_reply(fault)
                else:
                    self._refuse_invalid(method, params, checked.errors + form_errors)
                    reply = _ok(self._execute(method, params, files))
            except ApiError as error:
                if error.violation:
                    self._violations(method, params, [f"{method}: {error.description}"])
                reply = _error(error)
            except Exception as error:  # a bug in the fake: make the test fail, not the bot guess
                self._violations(method, params, [f"{method}: the fake Telegram server crashed: {error!r}"])
                reply = _error(ApiError(500, f"Internal Server Error: the fake crashed ({error!r})"))
            self._record(method, params, files, started, reply, fault)
            return reply

    def _check_route(self, token: str, method: str) -> None:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        if self.spec.method(method) is None:
            raise ApiError(404, "Not Found: method not found")

    def _refuse_invalid(self, method: str, params: dict, errors: list[str]) -> None:
        """Record every error; answer with the first, as Telegram names one problem at a time."""
        if errors:
            self._violations(method, params, errors)
            raise ApiError(400, f"Bad Request: {errors[0].removeprefix(f'{method}: ')}", violation=False)

    def _violations(self, method: str, params: dict, messages: list[str]) -> None:
        self.violations += [Violation(method, message, params) for message in messages]

    def _fault_reply(self, fault: Fault) -> Reply:
        if fault.kind == "429":
            description = f"Too Many Requests: retry after {fault.retry_after}"
            return _error(ApiError(429, description, parameters={"retry_after": fault.retry_after}))
        if fault.kind == "500":
            return _error(ApiError(500, "Internal Server Error"))
        return Reply(0, None, hold=fault.hold)

    def _execute(self, method: str, params: dict, files: dict[str, FilePart]) -> Any:
        chat_id = params.get("chat_id")
        chat = self.chat(chat_id) if chat_id is not None else None
        if chat is not None:
            if chat.type == "private" and chat.id in self.blocked and method.startswith(("send", "copy", "forward")):
                raise ApiError(403, "Forbidden: bot was blocked by the user", violation=False)
            self._check_group_access(chat)
        limited = self.rate_limit if chat is not None and chat.is_group else None
        if limited is not None:
            retry_after = limited.retry_after(method, chat.id, params)  # type: ignore[union-attr]
            if retry_after is not None:
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    violation=False,
                    parameters={"retry_after": retry_after},
                )
        handler = self._handlers.get(method)
        result = handler(params, files) if handler is not None else self._generic(method, params)
        if limited is not None:
            limited.count(method, chat.id, params)  # type: ignore[union-attr]
        return result

    def _check_group_access(self, chat: Chat) -> None:
        """A group upgraded to a supergroup answers 400 with migrate_to_chat_id; one the bot is no
        longer in answers 403. Both are what Telegram does, not mistakes of the bot."""
        group = self.groups.get(chat.id)
        if group is None:
            return
        if group.migrated_to is not None:
            raise ApiError(400, MIGRATED, violation=False, parameters={"migrate_to_chat_id": group.migrated_to})
        if group.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat", violation=False)
        if not group.bot_is_member:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat", violation=False)

    def _record(
        self, method: str, params: dict, files: dict[str, FilePart], started: float, reply: Reply, fault: Fault | None
    ) -> None:
        description = reply.body.get("description") if reply.body else "connection dropped"
        self.requests.append(
            Request(
                method=method,
                params=params,
                files={name: (part.filename, part.content) for name, part in files.items()},
                time=started,
                status=reply.status or None,
                description=description,
                fault=fault.kind if fault else None,
            )
        )
        self.cond.notify_all()

    def _generic(self, method: str, params: dict) -> Any:
        """Methods without their own handler: a plain message for send*, True for setters."""
        returns = self.spec.method(method).get("returns", [])  # type: ignore[union-attr]
        if returns == ["Boolean"]:
            return True
        if returns == ["Message"] and "chat_id" in params:
            message = self._new_message(self.chat(params["chat_id"]), kind=method)
            message.text = params.get("text")
            return message.to_api(self.bot_user)
        raise ApiError(
            400,
            f"Bad Request: the fake Telegram server does not implement {method} (returns {returns}); extend botapi.py",
        )

    # ---- chats and messages -----------------------------------------------------------------

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

    def _send_poll(self, params: dict, files: dict) -> dict:
        chat = self.chat(params["chat_id"])
        message, reply_to = self._sent(chat, params, "poll")
        kind = params.get("type", "regular")
        options = [
            {"persistent_id": str(i), "text": rules.render(o["text"], o.get("text_parse_mode"))[0], "voter_count": 0}
            for i, o in enumerate(params["options"])
        ]
        poll: dict[str, Any] = {
            "id": str(next(self._ids) * 1_000_033),
            "question": rules.render(params["question"], params.get("question_parse_mode"))[0],
            "options": options,
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": params.get("is_anonymous", True),
            "type": kind,
            "allows_multiple_answers": params.get("allows_multiple_answers", False),
            "allows_revoting": params.get("allows_revoting", kind != "quiz"),
            "members_only": params.get("members_only", False),
        }
        if kind == "quiz":
            poll["correct_option_ids"] = params["correct_option_ids"]
        for name in ("explanation", "description"):
            if name in params:
                poll[name] = rules.render(params[name], params.get(f"{name}_parse_mode"))[0]
        if "open_period" in params:
            poll["open_period"] = params["open_period"]
            message.closes_at = time.time() + params["open_period"]
        if "close_date" in params:
            poll["close_date"] = params["close_date"]
            message.closes_at = params["close_date"]
        message.poll = poll
        return message.to_api(self.bot_user, reply_to)

    def _stop_poll(self, params: dict, files: dict) -> dict:
        message = self._target(params, "message with poll to stop not found")
        if message.poll is None or message.sender is not None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        self._expire(message)
        if message.poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        message.poll["is_closed"] = True
        message.reply_markup = params.get("reply_markup")
        return message.poll

    @staticmethod
    def _expire(message: Message) -> None:
        """Close a poll whose open_period / close_date has passed."""
        if message.poll is not None and message.closes_at is not None and time.time() >= message.closes_at:
            message.poll["is_closed"] = True

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

    # ---- callbacks, commands, settings -----------------------------------------------------------

    def _answer_callback_query(self, params: dict, files: dict) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self.open_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.open_queries.discard(query_id)
        self.callback_answers.append(params)
        return True

    def commands_for(self, params: dict) -> list[dict]:
        """The commands set for params' scope and language_code."""
        return self.commands.get(_scope_key(params), [])

    def _set_my_commands(self, params: dict, files: dict) -> bool:
        self.commands[_scope_key(params)] = params["commands"]
        return True

    def _delete_my_commands(self, params: dict, files: dict) -> bool:
        self.commands.pop(_scope_key(params), None)
        return True

    def _set_menu_button(self, params: dict, files: dict) -> bool:
        self.menu_buttons[str(params.get("chat_id"))] = params.get("menu_button", {"type": "default"})
        return True

    def _set_webhook(self, params: dict, files: dict) -> bool:
        self.webhook_url = params["url"]
        return True

    def _delete_webhook(self, params: dict, files: dict) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _webhook_info(self, params: dict, files: dict) -> dict:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self.updates)}

    def _get_file(self, params: dict, files: dict) -> dict:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return stored.file_api()

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
        topic = {"name": params["name"], "icon_color": params.get("icon_color", _TOPIC_ICON_COLOR)}
        if "icon_custom_emoji_id" in params:
            topic["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        message = self._new_message(chat, kind="service")
        message.extra = {"forum_topic_created": topic}
        message.thread_id = message.message_id
        group.topics[message.message_id] = params["name"]
        return {"message_thread_id": message.message_id, **topic}

    # ---- updates -------------------------------------------------------------------------------

    def enqueue(self, update: dict) -> dict:
        """Queue an update for getUpdates; gives it the next update_id unless it has one.

        An update that comes with its own update_id (a duplicate, say) is delivered once even
        if the bot already confirmed that id, so tests can check the bot ignores redeliveries."""
        with self.cond:
            forced = "update_id" in update
            if not forced:
                update = {"update_id": next(self._update_ids), **update}
            self.updates.append(_Queued(update, forced))
            self.cond.notify_all()
            return update

    def _confirm(self, offset: int | None) -> None:
        """getUpdates with an offset confirms (drops) the updates before it; a negative one keeps the last -offset."""
        if offset is not None and offset > 0:
            self.updates = [q for q in self.updates if q.update["update_id"] >= offset or (q.forced and not q.returned)]
        elif offset is not None and offset < 0:
            self.updates = self.updates[offset:]

    def _allowed(self, update: dict) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _DEFAULT_UPDATES_EXCLUDED

    def _get_updates(self, params: dict, files: dict) -> list[dict]:
        """Long polling: confirm by offset, then wait up to `timeout` s for updates (woken by enqueue).

        A newer getUpdates ends an older one with 409 Conflict, as Telegram does (this is what
        happens to a poll the client abandoned when it shut down)."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        self._confirm(params.get("offset"))
        if "allowed_updates" in params:
            self.allowed_updates = params["allowed_updates"] or None
        limit = min(max(params.get("limit", 100), 1), 100)
        self.poll_generation += 1
        generation = self.poll_generation
        deadline = time.monotonic() + max(params.get("timeout", 0), 0)
        while True:
            pending = [q for q in self.updates if self._allowed(q.update)][:limit]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0 or self.stopping:
                for queued in pending:
                    queued.returned = True
                return [q.update for q in pending]
            self.waiting_polls += 1
            self.cond.notify_all()
            try:
                self.cond.wait(remaining)
            finally:
                self.waiting_polls -= 1
            if generation != self.poll_generation:
                raise ApiError(409, CONFLICT, violation=False)

    # ---- acting as users ------------------------------------------------------------------------

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

    # ---- groups ---------------------------------------------------------------------------------

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
            message.extra = {"forum_topic_created": {"name": name, "icon_color": _TOPIC_ICON_COLOR}}
            message.thread_id = message.message_id
            group.topics[message.message_id] = name
            self._deliver(group, message, None)
            return message.message_id

    # ---- polls ----------------------------------------------------------------------------------

    def find_poll(self, user: User, chat: Chat | None, message_id: int) -> Message:
        """The bot's poll message `message_id` in `chat`, or in the one chat `user` is in that has it."""
        if chat is not None:
            chats = [chat.id]
        else:
            chats = [user.id] + [cid for cid, g in self.groups.items() if g.is_member(user.id)]
        found = [m for cid in chats for m in self.chats.messages.get(cid, []) if m.message_id == message_id and m.poll]
        found = [m for m in found if m.from_bot and not m.deleted]
        if len(found) != 1:
            where = f"chat {chat.id}" if chat else f"the chats {user.first_name} is in"
            problem = "no poll" if not found else "several polls"
            raise AssertionError(f"{problem} of the bot with message id {message_id} in {where}; pass chat=")
        return found[0]

    def vote(self, user: User, message: Message, option_ids: list[int]) -> dict | None:
        """`user` votes (or changes or retracts their vote, with []) in the bot's poll `message`."""
        with self.cond:
            poll = message.poll
            assert poll is not None
            group = self.groups.get(message.chat.id)
            if group is not None and not group.is_member(user.id):
                raise AssertionError(f"{user.first_name} is not a member of {message.chat.title!r} and cannot vote")
            self._expire(message)
            if poll["is_closed"]:
                raise AssertionError(f"the poll {poll['question']!r} is closed; no more votes")
            options = poll["options"]
            chosen = list(option_ids)
            if any(not isinstance(i, int) or not 0 <= i < len(options) for i in chosen) or len(set(chosen)) != len(
                chosen
            ):
                raise AssertionError(f"option ids must be distinct indexes 0-{len(options) - 1}, got {option_ids}")
            if len(chosen) > 1 and not poll["allows_multiple_answers"]:
                raise AssertionError("the poll allows only one answer")
            chosen.sort()
            previous = message.votes.get(user.id, [])
            if chosen == previous:
                raise AssertionError(f"{user.first_name} already voted {previous} (nothing to change)")
            if previous and not poll["allows_revoting"]:
                raise AssertionError("the poll does not allow changing or retracting a vote (allows_revoting)")
            for index in previous:
                options[index]["voter_count"] -= 1
            for index in chosen:
                options[index]["voter_count"] += 1
            if chosen:
                message.votes[user.id] = chosen
            else:
                message.votes.pop(user.id, None)
            poll["total_voter_count"] = len(message.votes)
            answer = None
            if not poll["is_anonymous"]:
                answer = self.enqueue(
                    {
                        "poll_answer": {
                            "poll_id": poll["id"],
                            "user": user.to_api(),
                            "option_ids": chosen,
                            "option_persistent_ids": [options[i]["persistent_id"] for i in chosen],
                        }
                    }
                )
            self.enqueue({"poll": copy.deepcopy(poll)})
            return answer

    def polls(self, chat_id: int) -> list[PollView]:
        with self.cond:
            found = [m for m in self.chats.messages.get(chat_id, []) if m.from_bot and m.poll is not None]
            for message in found:
                self._expire(message)
            return [PollView.of(m) for m in found]

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

    def file_by_path(self, token: str, path: str) -> bytes | None:
        """Content served at base_file_url + token + "/" + file_path (None: 404)."""
        with self.cond:
            if token != self.token:
                return None
            return next((f.content for f in self.files.values() if f.file_path == path), None)

    def shutdown(self) -> None:
        """Wake every waiting long poll so server threads end."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()


_NO_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


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


def _scope_key(params: dict) -> str:
    """Commands are stored per scope and language, like Telegram."""
    return json.dumps([params.get("scope", {"type": "default"}), params.get("language_code", "")], sort_keys=True)
