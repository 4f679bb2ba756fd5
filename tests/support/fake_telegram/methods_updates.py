"""Updates for the bot: the queue (enqueue), getUpdates (long polling), setWebhook,
deleteWebhook, getWebhookInfo."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .replies import ApiError

CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
# Update types Telegram sends when allowed_updates was never set (or set to [])
_DEFAULT_UPDATES_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}


@dataclass
class Queued:
    """An update waiting for getUpdates; `forced` ones came with their own update_id (see enqueue)."""

    update: dict
    forced: bool = False
    returned: bool = False


class UpdateMethods:
    """A part of BotApi (botapi.py holds the state and its lock, `cond`)."""

    def enqueue(self, update: dict) -> dict:
        """Queue an update for getUpdates; gives it the next update_id unless it has one.

        An update that comes with its own update_id (a duplicate, say) is delivered once even
        if the bot already confirmed that id, so tests can check the bot ignores redeliveries."""
        with self.cond:
            forced = "update_id" in update
            if not forced:
                update = {"update_id": next(self._update_ids), **update}
            self.updates.append(Queued(update, forced))
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
