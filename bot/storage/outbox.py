"""The outbox: a step's replies, committed in the same transaction as the step, deleted once sent.

So a crash between storing a step and sending its replies loses no reply: they go out after the
restart. The payloads are opaque to storage (the shell's rendered messages, as JSON).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .database import Database


@dataclass(frozen=True)
class Pending:
    id: int
    chat: str
    thread: int | None
    payload: dict[str, Any]


class Outbox:
    def __init__(self, db: Database):
        self.db = db

    def add(
        self, chat: str, payloads: Iterable[dict[str, Any]], *, thread: int | None = None, update_id: int | None = None
    ) -> None:
        """Queue messages for a chat (joins the caller's transaction, if any)."""
        now = self.db.clock()
        with self.db.transaction():
            for payload in payloads:
                self.db.insert(
                    "outbox",
                    {
                        "chat": chat,
                        "thread": thread,
                        "payload": json.dumps(payload, ensure_ascii=False),
                        "created": now,
                        "update_id": update_id,
                    },
                )

    def pending(self, chat: str | None = None) -> list[Pending]:
        where, args = ("where chat = ?", [chat]) if chat is not None else ("", [])
        rows = self.db.execute(f"select id, chat, thread, payload from outbox {where} order by id", args).fetchall()
        return [Pending(i, c, t, json.loads(p)) for i, c, t, p in rows]

    def sent(self, *item_ids: int) -> None:
        """Sent: deleted, all in one statement (the texts merged into one message go together)."""
        if not item_ids:
            return
        marks = ", ".join("?" * len(item_ids))
        self.db.execute(f"delete from outbox where id in ({marks})", list(item_ids))

    def queued(self, chat: str, kind: str, participant: int, node: str | None = None) -> bool:
        """Whether a message of this kind for this member waits in the outbox (not yet posted)."""
        where = (
            "chat = ? and json_extract(payload, '$.record.kind') = ? "
            "and json_extract(payload, '$.record.participant') = ?"
        )
        args: list[object] = [chat, kind, participant]
        if node is not None:
            where += " and json_extract(payload, '$.record.node') = ?"
            args.append(node)
        return self.db.count(f"outbox where {where}", args) > 0
