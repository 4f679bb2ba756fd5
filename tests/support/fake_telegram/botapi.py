"""The fake's Bot API: its state, the request pipeline (check, fault, execute, record) and the
table of methods. The methods are in methods_*.py, the simulated world (users, chats, groups,
polls, what users do) in world*.py; BotApi puts them together.

All state lives behind one `threading.Condition` (`BotApi.cond`, over an RLock). Every request
and every enqueued update notifies it, so long polls and the tests' `wait_for` wake at once.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from .faults import Fault, FaultPlan, GroupRateLimit
from .methods_bot import BotMethods
from .methods_chats import ChatMethods
from .methods_messages import MessageMethods
from .methods_polls import PollMethods
from .methods_updates import Queued, UpdateMethods
from .replies import ApiError, Reply, error_reply, ok_reply
from .spec import FilePart, Spec, load_spec
from .state import Chat, Group, Request, StoredFile, Violation
from .world import Chats, World
from .world_groups import GroupWorld
from .world_polls import PollWorld

__all__ = ["ApiError", "BotApi", "Reply"]

MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"


class BotApi(MessageMethods, PollMethods, UpdateMethods, ChatMethods, BotMethods, GroupWorld, PollWorld, World):
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
        self.chats = Chats()
        self.groups: dict[int, Group] = {}
        self._group_numbers = itertools.count(1)
        self.updates: list[Queued] = []
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
                    reply = ok_reply(self._execute(method, params, files))
            except ApiError as error:
                if error.violation:
                    self._violations(method, params, [f"{method}: {error.description}"])
                reply = error_reply(error)
            except Exception as error:  # a bug in the fake: make the test fail, not the bot guess
                self._violations(method, params, [f"{method}: the fake Telegram server crashed: {error!r}"])
                reply = error_reply(ApiError(500, f"Internal Server Error: the fake crashed ({error!r})"))
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
            return error_reply(ApiError(429, description, parameters={"retry_after": fault.retry_after}))
        if fault.kind == "500":
            return error_reply(ApiError(500, "Internal Server Error"))
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
            f"Bad Request: the fake Telegram server does not implement {method} (returns {returns}); add it to a methods_*.py",
        )

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
