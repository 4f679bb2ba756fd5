"""Telegram updates already handled (ids and times only, no content), so a redelivery is recognised."""

from __future__ import annotations

from .database import Database


class Updates:
    def __init__(self, db: Database):
        self.db = db

    def seen(self, update_id: int) -> bool:
        return self.db.count("processed_updates where update_id = ?", [update_id]) > 0

    def mark(self, update_id: int) -> None:
        with self.db.transaction():
            self.db.execute(
                "insert or ignore into processed_updates (update_id, at) values (?, ?)", [update_id, self.db.clock()]
            )
