"""Cohorts and who may see them: the rules, in one place, for both the Telegram and the CLI shells.

Administrators (ELENCHUS_ADMINS) create cohorts and may see all of them; a facilitator sees only
the cohorts they facilitate; a participant sees none. Every check is made again on every command
and button press: nothing in callback data is trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..storage import Storage

NAME = re.compile(r"[\w.-]{1,40}")
CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Joined:
    kind: str
    """invite (now a member) or facilitator (now facilitating)."""
    cohort: dict[str, Any]
    new: bool


class Cohorts:
    def __init__(self, storage: Storage, admins: frozenset[str] = frozenset()):
        self.storage = storage
        self.admins = admins
        """Telegram user ids, as text."""

    def is_admin(self, participant_id: int) -> bool:
        row = self.storage.get_participant(participant_id)
        return row["platform"] == "telegram" and row["external_id"] in self.admins

    def create(self, name: str, created_by: str) -> dict[str, Any]:
        """A new cohort; ValueError with a reason an administrator understands."""
        if not NAME.fullmatch(name):
            raise ValueError("name")
        if self.storage.cohort_by_name(name) is not None:
            raise ValueError("exists")
        return self.storage.create_cohort(name, created_by)

    def use_code(self, participant_id: int, code: str) -> Joined | None:
        """A /start payload: join as participant or become facilitator; None for unknown codes."""
        if not CODE.fullmatch(code):
            return None
        found = self.storage.cohort_by_code(code)
        if found is None:
            return None
        cohort, kind = found
        if kind == "invite":
            return Joined(kind, cohort, self.storage.join(cohort["id"], participant_id))
        return Joined(kind, cohort, self.storage.add_facilitator(cohort["id"], participant_id))

    def visible(self, participant_id: int) -> list[dict[str, Any]]:
        """The cohorts this person may see: all for administrators, their own for facilitators."""
        if self.is_admin(participant_id):
            return self.storage.cohorts()
        return self.storage.facilitated(participant_id)

    def may_see(self, participant_id: int, cohort_id: int) -> bool:
        return self.is_admin(participant_id) or self.storage.is_facilitator(participant_id, cohort_id)

    def is_staff(self, participant_id: int) -> bool:
        return self.is_admin(participant_id) or bool(self.storage.facilitated(participant_id))

    def find_visible(self, participant_id: int, name: str) -> dict[str, Any] | None:
        """A cohort by name, only if this person may see it (so a name reveals nothing)."""
        cohort = self.storage.cohort_by_name(name)
        if cohort is None or not self.may_see(participant_id, cohort["id"]):
            return None
        return cohort


def deep_link(bot_username: str, code: str | None) -> str | None:
    return f"https://t.me/{bot_username}?start={code}" if code else None
