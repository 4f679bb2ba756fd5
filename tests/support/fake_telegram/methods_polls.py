"""Bot API methods on polls: sendPoll, stopPoll (votes are the world's: world_polls.py)."""

from __future__ import annotations

import time
from typing import Any

from . import rules
from .replies import ApiError
from .state import Message


class PollMethods:
    """A part of BotApi (botapi.py holds the state and its lock, `cond`)."""

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
