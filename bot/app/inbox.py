"""Updates from a platform, recognised when they arrive twice (Telegram redelivers after a restart)."""

from __future__ import annotations

from ..storage import Storage


class Inbox:
    def __init__(self, storage: Storage):
        self.storage = storage

    def seen(self, update_id: int) -> bool:
        return self.storage.updates.seen(update_id)

    def done(self, update_id: int) -> None:
        self.storage.updates.mark(update_id)
