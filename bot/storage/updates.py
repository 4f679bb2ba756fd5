"""Updates from Telegram: the durable inbox, the ids of updates already handled, and those that
could not be parsed.

An update is written to the inbox before Telegram is told it arrived (the next getUpdates offset,
or the webhook's 200), and deleted, in the same transaction that records it as handled, once it
has been handled. So after a crash every update is either handled or still in the inbox.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from .database import Database


def _days_before(now: str, days: float) -> str:
    """The ISO time `days` before `now`, in the same format as the stored times (comparable as text)."""
    moment = datetime.fromisoformat(now.replace("Z", "+00:00")) - timedelta(days=days)
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if now.endswith("Z") else text


class Updates:
    def __init__(self, db: Database):
        self.db = db

    def seen(self, update_id: int) -> bool:
        """Handled already (its step, if any, is stored)."""
        return self.db.count("processed_updates where update_id = ?", [update_id]) > 0

    def known(self, update_id: int) -> str | None:
        """'handled', 'pending' (in the inbox), 'unparseable', or None for an update never seen."""
        if self.seen(update_id):
            return "handled"
        if self.db.count("inbox where update_id = ?", [update_id]):
            return "pending"
        if self.db.count("unparseable_updates where update_id = ?", [update_id]):
            return "unparseable"
        return None

    def receive(self, update_id: int, payload: dict[str, Any]) -> None:
        with self.db.transaction():
            self.db.execute(
                "insert or ignore into inbox (update_id, received, payload) values (?, ?, ?)",
                [update_id, self.db.clock(), json.dumps(payload, ensure_ascii=False)],
            )

    def reject(self, update_id: int, shape: str, error: str) -> None:
        """An update that cannot be parsed: its shape (field names) and the error, never its content."""
        with self.db.transaction():
            self.db.execute(
                "insert or ignore into unparseable_updates (update_id, received, shape, error) values (?, ?, ?, ?)",
                [update_id, self.db.clock(), shape, error],
            )

    def pending(self) -> Iterator[dict[str, Any]]:
        """Updates received but not handled, oldest first."""
        for (payload,) in self.db.execute("select payload from inbox order by update_id").fetchall():
            yield json.loads(payload)

    def mark(self, update_id: int) -> None:
        """Handled: recorded as such, and gone from the inbox (with its content). A step stores this in
        its own transaction already; then nothing is written again."""
        if self.seen(update_id):
            return
        with self.db.transaction():
            self.db.execute(
                "insert or ignore into processed_updates (update_id, at) values (?, ?)", [update_id, self.db.clock()]
            )
            self.db.execute("delete from inbox where update_id = ?", [update_id])

    def prune(self, days: float) -> int:
        """Forget the ids of updates handled more than `days` ago (and any inbox row of one: handled
        rows are deleted with the step, this only tidies up); returns how many ids were forgotten."""
        cutoff = _days_before(self.db.clock(), days)
        with self.db.transaction():
            gone = self.db.execute("delete from processed_updates where at < ?", [cutoff]).rowcount
            self.db.execute("delete from inbox where update_id in (select update_id from processed_updates)")
        return gone

    def unparseable(self) -> list[tuple[int, str, str, str]]:
        return self.db.execute(
            "select update_id, received, shape, error from unparseable_updates order by update_id"
        ).fetchall()
