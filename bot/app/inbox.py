"""Updates in and replies out, durably: the inbox (every update stored before Telegram is told it
arrived, handled from there exactly once) and the outbox (a step's replies, committed with the
step, sent from there at least once). Both survive a crash; see README "Reliability"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..storage import Storage
from ..storage.outbox import Pending
from ..storage.participants import SENDER_PATHS

KEEP_HANDLED_DAYS = 7.0
"""How long the ids of handled updates are kept. Telegram keeps an unconfirmed update for up to 24
hours and redelivers it until it is confirmed; a week covers that with a wide margin (and a bot
that was down for days), after which an id cannot come back."""


class Inbox:
    def __init__(self, storage: Storage):
        self.storage = storage

    def seen(self, update_id: int) -> bool:
        """Handled already."""
        return self.storage.updates.seen(update_id)

    def known(self, update_id: int) -> str | None:
        """'handled', 'pending', 'unparseable', or None for a new update."""
        return self.storage.updates.known(update_id)

    def receive(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Keep an update until it is handled. A message is kept only of a sender who agreed to keep
        what they write (anyone else's is handled from memory, so a crash in between loses it). A
        button press is always kept, since it holds none of their words, only our button's data and
        who pressed it: so the press that gives consent survives a crash too. The message the button
        sits on is kept without its text. Kept?"""
        sender = _sender(payload)
        participant = self.storage.participants.find("telegram", str(sender)) if sender is not None else None
        consented = participant is not None and self.storage.participants.has_consent(participant.id)
        if not consented and "callback_query" not in payload:
            return False
        self.storage.updates.receive(update_id, payload if consented else _without_texts(payload))
        return True

    def reject(self, update_id: int, shape: str, error: str) -> None:
        self.storage.updates.reject(update_id, shape, error)

    def pending(self) -> Iterator[dict[str, Any]]:
        return self.storage.updates.pending()

    def done(self, update_id: int) -> None:
        self.storage.updates.mark(update_id)

    def prune(self, days: float = KEEP_HANDLED_DAYS) -> int:
        """Forget handled updates older than `days` (Telegram redelivers for at most a day); how many."""
        return self.storage.updates.prune(days)

    def unparseable(self) -> list[tuple[int, str, str, str]]:
        return self.storage.updates.unparseable()


class Outbox:
    def __init__(self, storage: Storage):
        self.storage = storage

    def pending(self, chat: str | None = None) -> list[Pending]:
        return self.storage.outbox.pending(chat)

    def sent(self, *item_ids: int) -> None:
        self.storage.outbox.sent(*item_ids)


_TEXTS = ("text", "caption", "entities", "caption_entities")


def _without_texts(payload: dict[str, Any]) -> dict[str, Any]:
    """A button press with the text of the message it sits on left out (it may quote the sender)."""
    query = dict(payload["callback_query"])
    if isinstance(query.get("message"), dict):
        query["message"] = {k: v for k, v in query["message"].items() if k not in _TEXTS}
    return {**payload, "callback_query": query}


def _sender(payload: dict[str, Any]) -> int | None:
    for path in SENDER_PATHS:
        value: Any = payload
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int):
            return value
    return None
