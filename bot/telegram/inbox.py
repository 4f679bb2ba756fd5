"""The durable inbox on the polling side: every update is stored before Telegram is told it
arrived (polling: before the next offset; webhook: before the 200, see webhook.py), and an update
that cannot be parsed is set aside instead of wedging the bot.

python-telegram-bot confirms updates by asking for the next offset as soon as a batch is queued,
before it is handled. This request class sees each getUpdates answer first: it writes new updates
to the inbox (so the confirmation that follows is safe), and hands on a bare update (only its id,
so the offset still moves on) for one that is already in the inbox or that cannot be parsed. It
never logs an update's content.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from ..app.inbox import Inbox

log = logging.getLogger("elenchus.telegram")


class InboxRequest(HTTPXRequest):
    """The getUpdates connection, with the inbox between Telegram and the application."""

    def __init__(self, inbox: Inbox, **kwargs: Any):
        super().__init__(**kwargs)
        self.gate = InboxGate(inbox)

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        try:
            data = json.loads(payload.decode("utf-8", "replace"))
        except ValueError as exc:
            log.error("event=invalid_json_from_telegram bytes=%d", len(payload))
            raise TelegramError("Invalid server response") from exc
        if isinstance(data, dict) and data.get("ok") and isinstance(data.get("result"), list):
            data["result"] = [u for u in (self.gate.take(raw) for raw in data["result"]) if u is not None]
        return data


class InboxGate:
    """Between Telegram and the application, for polling and for the webhook alike."""

    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    def take(self, raw: Any) -> dict[str, Any] | None:
        """What the application gets for one update of the batch."""
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int):
            log.error("event=update_without_id")
            return None
        try:
            return self._take(update_id, raw)
        except sqlite3.Error as exc:  # a full or read-only disk: handle it anyway, without the inbox
            log.error("event=inbox_write_failed update=%d error=%s", update_id, type(exc).__name__)
            return raw if parse_problem(raw) is None else {"update_id": update_id}

    def _take(self, update_id: int, raw: dict[str, Any]) -> dict[str, Any]:
        known = self.inbox.known(update_id)
        if known == "handled":
            return raw  # handled before: the shell shows the current step again
        if known is not None:
            return {"update_id": update_id}  # in the inbox already (replayed from there) or set aside
        problem = parse_problem(raw)
        if problem is not None:
            self.inbox.reject(update_id, shape(raw), problem)
            log.warning("event=unparseable_update update=%d error=%s", update_id, problem)
            return {"update_id": update_id}
        self.inbox.receive(update_id, raw)
        return raw


def parse_problem(raw: dict[str, Any]) -> str | None:
    """Why python-telegram-bot cannot make an Update of this data, or None if it can."""
    try:
        Update.de_json(raw, None)
    except Exception as exc:  # whatever the library raises on malformed data
        return type(exc).__name__
    return None


def shape(value: Any, depth: int = 3) -> str:
    """The structure of an update without its content: field names and value types."""
    return json.dumps(_shape(value, depth), sort_keys=True)


def _shape(value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v, depth - 1) for k, v in value.items()} if depth > 0 else "object"
    if isinstance(value, list):
        return [_shape(value[0], depth - 1)] if value and depth > 0 else "list"
    return type(value).__name__


def is_bare(update: Update) -> bool:
    """A placeholder for an update that is handled elsewhere (from the inbox) or set aside."""
    return set(update.to_dict()) <= {"update_id"}
