"""Bot API methods on the bot's own settings and callbacks: answerCallbackQuery, setMyCommands,
deleteMyCommands (getMyCommands, getChatMenuButton and getMe answer from the table in botapi.py),
setChatMenuButton, getFile."""

from __future__ import annotations

import json

from .replies import ApiError


class BotMethods:
    """A part of BotApi (botapi.py holds the state and its lock, `cond`)."""

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

    def _get_file(self, params: dict, files: dict) -> dict:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return stored.file_api()


def _scope_key(params: dict) -> str:
    """Commands are stored per scope and language, like Telegram."""
    return json.dumps([params.get("scope", {"type": "default"}), params.get("language_code", "")], sort_keys=True)
