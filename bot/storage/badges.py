"""Which dialogues a cohort's course credential requires, when its facilitators have said so."""

from __future__ import annotations

import json

from .database import Database


class BadgeRequirements:
    def __init__(self, db: Database):
        self.db = db

    def of(self, cohort_id: int) -> tuple[str, ...] | None:
        """The cohort's dialogue ids, or None when it has no set of its own."""
        row = self.db.execute("select dialogues from badge_requirements where cohort_id = ?", [cohort_id]).fetchone()
        return tuple(json.loads(row[0])) if row else None

    def set(self, cohort_id: int, dialogue_ids: tuple[str, ...] | None) -> None:
        """Store the cohort's set; None removes it (course.yaml decides again)."""
        with self.db.transaction():
            self.db.execute("delete from badge_requirements where cohort_id = ?", [cohort_id])
            if dialogue_ids is not None:
                self.db.execute(
                    "insert into badge_requirements (cohort_id, dialogues, at) values (?, ?, ?)",
                    [cohort_id, json.dumps(list(dialogue_ids)), self.db.clock()],
                )
