"""Cohorts with their invitation codes, who belongs to and who facilitates them, and the audit log."""

from __future__ import annotations

import json
import secrets
from typing import Any

from .database import Database, columns
from .rows import AuditEntry, Cohort, CohortCounts

CODE_COLUMNS = {"invite": "invite_code", "facilitator": "facilitator_code"}
CODE_PREFIXES = {"invite": "j", "facilitator": "f"}


def new_code(prefix: str) -> str:
    """A deep-link code: 128 random bits in Telegram's payload alphabet [A-Za-z0-9_-], 23 characters."""
    return prefix + secrets.token_urlsafe(16)


class Cohorts:
    def __init__(self, db: Database):
        self.db = db

    def create(self, name: str, created_by: str) -> Cohort:
        """A cohort with fresh, unguessable invitation and facilitator codes."""
        with self.db.transaction():
            cohort_id = self.db.insert(
                "cohorts",
                {
                    "name": name,
                    "created_by": created_by,
                    "created": self.db.clock(),
                    "invite_code": new_code(CODE_PREFIXES["invite"]),
                    "facilitator_code": new_code(CODE_PREFIXES["facilitator"]),
                },
            )
        cohort = self.get(cohort_id)
        assert cohort is not None
        return cohort

    def get(self, cohort_id: int) -> Cohort | None:
        return self.db.one(Cohort, f"select {columns(Cohort)} from cohorts where id = ?", [cohort_id])

    def by_name(self, name: str) -> Cohort | None:
        return self.db.one(Cohort, f"select {columns(Cohort)} from cohorts where name = ? collate nocase", [name])

    def all(self) -> list[Cohort]:
        return self.db.rows(Cohort, f"select {columns(Cohort)} from cohorts order by name collate nocase")

    def with_counts(self) -> list[CohortCounts]:
        return [
            CohortCounts(
                cohort,
                self.db.count("memberships where cohort_id = ?", [cohort.id]),
                self.db.count("facilitators where cohort_id = ?", [cohort.id]),
            )
            for cohort in self.all()
        ]

    def by_code(self, code: str) -> tuple[Cohort, str] | None:
        """The cohort a deep-link code belongs to, and whether it invites a participant or a facilitator."""
        for kind, column in CODE_COLUMNS.items():
            cohort = self.db.one(Cohort, f"select {columns(Cohort)} from cohorts where {column} = ?", [code])
            if cohort is not None:
                return cohort, kind
        return None

    def renew_code(self, cohort_id: int, kind: str) -> str:
        code = new_code(CODE_PREFIXES[kind])
        with self.db.transaction():
            self.db.update("cohorts", cohort_id, {CODE_COLUMNS[kind]: code})
        return code

    def revoke_code(self, cohort_id: int, kind: str) -> None:
        with self.db.transaction():
            self.db.update("cohorts", cohort_id, {CODE_COLUMNS[kind]: None})

    # ---- members and facilitators ---------------------------------------------------------

    def join(self, cohort_id: int, participant_id: int) -> bool:
        """Make the participant a member (their answers from now on count for this cohort); False if
        they already were."""
        with self.db.transaction():
            new = not self.is_member(participant_id, cohort_id)
            if new:
                self.db.insert(
                    "memberships", {"cohort_id": cohort_id, "participant_id": participant_id, "since": self.db.clock()}
                )
            self.db.update("participants", participant_id, {"cohort_id": cohort_id})
        return new

    def is_member(self, participant_id: int, cohort_id: int) -> bool:
        return self.db.count("memberships where cohort_id = ? and participant_id = ?", [cohort_id, participant_id]) > 0

    def add_facilitator(self, cohort_id: int, participant_id: int) -> bool:
        with self.db.transaction():
            if self.is_facilitator(participant_id, cohort_id):
                return False
            self.db.insert(
                "facilitators", {"cohort_id": cohort_id, "participant_id": participant_id, "since": self.db.clock()}
            )
        return True

    def is_facilitator(self, participant_id: int, cohort_id: int) -> bool:
        return self.db.count("facilitators where cohort_id = ? and participant_id = ?", [cohort_id, participant_id]) > 0

    def facilitated(self, participant_id: int) -> list[Cohort]:
        return self.db.rows(
            Cohort,
            f"select {columns(Cohort, 'c')} from cohorts c join facilitators f on f.cohort_id = c.id "
            "where f.participant_id = ? order by c.name collate nocase",
            [participant_id],
        )

    def facilitator_platform_ids(self, platform: str) -> list[str]:
        """Everyone who facilitates a cohort, by their platform id (for their command menu)."""
        found = self.db.execute(
            "select distinct p.external_id from facilitators f join participants p on p.id = f.participant_id "
            "where p.platform = ? order by p.external_id",
            [platform],
        ).fetchall()
        return [external_id for (external_id,) in found]

    # ---- audit ----------------------------------------------------------------------------

    def record_audit(self, actor: str, action: str, scope: dict[str, Any], records: int) -> None:
        with self.db.transaction():
            self.db.insert(
                "audit",
                {
                    "actor": actor,
                    "action": action,
                    "scope": json.dumps(scope, sort_keys=True),
                    "records": records,
                    "at": self.db.clock(),
                },
            )

    def audit_log(self, limit: int = 50) -> list[AuditEntry]:
        return self.db.rows(AuditEntry, f"select {columns(AuditEntry)} from audit order by id desc limit ?", [limit])
