"""A participant's rights over their data: read it (/mydata), take their reflections (/portfolio),
erase it (/forget), and erasure after the retention period the consent text promises."""

from __future__ import annotations

from ..engine import Course
from ..exports.records import PortfolioEntry
from ..storage import Storage
from ..storage.rows import PersonalData
from .dialogues import Dialogues
from .records import portfolio_entries


class DataRights:
    def __init__(self, course: Course, storage: Storage, dialogues: Dialogues):
        self.course = course
        self.storage = storage
        self.dialogues = dialogues

    def portfolio(self, participant_id: int, locale: str = "en") -> list[PortfolioEntry]:
        return portfolio_entries(
            self.course,
            self.storage.runs.of(participant_id),
            self.storage.runs.reflections(participant_id),
            self.storage.runs.stances(participant_id),
            locale,
        )

    def everything(self, participant_id: int) -> PersonalData:
        return self.storage.participants.everything_about(participant_id)

    def forget(self, participant_id: int) -> dict[str, int]:
        """Erase everything about the participant; returns what was deleted, per table."""
        self.dialogues.drop_memory(participant_id)
        return self.storage.participants.forget(participant_id)

    def purge_inactive(self, days: int) -> int:
        """Forget everyone inactive for longer than `days`; returns how many."""
        stale = self.storage.participants.inactive(days)
        for participant_id in stale:
            self.forget(participant_id)
        return len(stale)
