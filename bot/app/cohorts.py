"""Cohorts and who may see them: the rules, in one place, for both the Telegram and the CLI shells.

Administrators (ELENCHUS_ADMINS) create cohorts and may see all of them; a facilitator sees only
the cohorts they facilitate; a participant sees none. Every check is made again on every command
and button press: nothing in callback data is trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..storage import Storage
from ..storage.rows import AuditEntry, Cohort, CohortCounts

NAME = re.compile(r"[\w.-]{1,40}")
CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
KINDS = ("invite", "facilitator")


@dataclass(frozen=True)
class Joined:
    kind: str
    """invite (now a member) or facilitator (now facilitating)."""
    cohort: Cohort
    new: bool


class Cohorts:
    def __init__(self, storage: Storage, admins: frozenset[str] = frozenset()):
        self.storage = storage
        self.admins = admins
        """Telegram user ids, as text."""

    def is_admin(self, participant_id: int) -> bool:
        row = self.storage.participants.get(participant_id)
        return row is not None and row.platform == "telegram" and row.external_id in self.admins

    def create(self, name: str, created_by: str) -> Cohort:
        """A new cohort; ValueError with a reason an administrator understands."""
        if not NAME.fullmatch(name):
            raise ValueError("name")
        if self.storage.cohorts.by_name(name) is not None:
            raise ValueError("exists")
        return self.storage.cohorts.create(name, created_by)

    def use_code(self, participant_id: int, code: str) -> Joined | None:
        """A /start payload: join as participant or become facilitator; None for unknown codes."""
        if not CODE.fullmatch(code):
            return None
        found = self.storage.cohorts.by_code(code)
        if found is None:
            return None
        cohort, kind = found
        if kind == "invite":
            return Joined(kind, cohort, self.storage.cohorts.join(cohort.id, participant_id))
        return Joined(kind, cohort, self.storage.cohorts.add_facilitator(cohort.id, participant_id))

    def visible(self, participant_id: int) -> list[Cohort]:
        """The cohorts this person may see: all for administrators, their own for facilitators."""
        if self.is_admin(participant_id):
            return self.storage.cohorts.all()
        return self.storage.cohorts.facilitated(participant_id)

    def may_see(self, participant_id: int, cohort_id: int) -> bool:
        return self.is_admin(participant_id) or self.storage.cohorts.is_facilitator(participant_id, cohort_id)

    def facilitates(self, participant_id: int, cohort_id: int) -> bool:
        return self.storage.cohorts.is_facilitator(participant_id, cohort_id)

    def is_staff(self, participant_id: int) -> bool:
        return self.is_admin(participant_id) or bool(self.storage.cohorts.facilitated(participant_id))

    def find_visible(self, participant_id: int, name: str) -> Cohort | None:
        """A cohort by name, only if this person may see it (so a name reveals nothing)."""
        cohort = self.storage.cohorts.by_name(name)
        if cohort is None or not self.may_see(participant_id, cohort.id):
            return None
        return cohort

    def get_visible(self, participant_id: int, cohort_id: int) -> Cohort | None:
        """A cohort by id (from a button), only if this person may see it."""
        if not self.may_see(participant_id, cohort_id):
            return None
        return self.storage.cohorts.get(cohort_id)

    def staff_chats(self) -> list[tuple[int, bool]]:
        """The private chats of facilitators and administrators in Telegram, (chat id, is an
        administrator): each gets a command menu with the staff's commands."""
        chats = {int(i): False for i in self.storage.cohorts.facilitator_platform_ids("telegram") if i.isdigit()}
        chats |= {int(i): True for i in self.admins if i.isdigit()}
        return sorted(chats.items())

    # ---- for administrators -----------------------------------------------------------------

    def by_name(self, name: str) -> Cohort | None:
        """Any cohort by name: for administrators and operators only (callers check)."""
        return self.storage.cohorts.by_name(name)

    def with_counts(self) -> list[CohortCounts]:
        return self.storage.cohorts.with_counts()

    def change_code(self, cohort: Cohort, kind: str, *, renew: bool) -> Cohort:
        """Replace (renew) or withdraw (revoke) a cohort's invitation or facilitator link."""
        if kind not in KINDS:
            raise ValueError(kind)
        if renew:
            self.storage.cohorts.renew_code(cohort.id, kind)
        else:
            self.storage.cohorts.revoke_code(cohort.id, kind)
        changed = self.storage.cohorts.get(cohort.id)
        assert changed is not None
        return changed

    def audit_log(self, limit: int = 50) -> list[AuditEntry]:
        return self.storage.cohorts.audit_log(limit)


def deep_link(bot_username: str, code: str | None) -> str | None:
    """The t.me link that starts the bot with this code (python-telegram-bot checks the payload)."""
    from telegram.helpers import create_deep_linked_url  # only where links are printed (start-up of `check`)

    return create_deep_linked_url(bot_username, code) if code else None
