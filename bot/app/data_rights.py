"""A participant's rights over their data: read it (/mydata), take their reflections (/portfolio),
erase it (/forget), and erasure after the retention period the consent text promises.

Erasure reaches the disk: after the rows are deleted, the write-ahead log is checkpointed and
truncated (storage `Participants.scrub`). If a reader holds the log, the operator is told in the
log, and the next erasure or retention run (every 6 hours while the bot runs) scrubs again.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from ..engine import Course
from ..exports.records import PortfolioEntry
from ..storage import Storage
from ..storage.rows import PersonalData
from .dialogues import Dialogues
from .records import portfolio_entries

log = logging.getLogger("elenchus.data_rights")


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
            comments=self.storage.feedback.of(participant_id),
        )

    def everything(self, participant_id: int) -> PersonalData:
        found = with_feedback(self.storage, self.storage.participants.everything_about(participant_id))
        return replace(found, reminders=self.storage.reminders.of(participant_id))

    def forget(self, participant_id: int) -> dict[str, int]:
        """Erase everything about the participant, on disk too; returns what was deleted, per table."""
        self.dialogues.drop_memory(participant_id)
        with self.storage.transaction():
            self.storage.reminders.forget(participant_id)
            counts = self.storage.participants.forget(participant_id, scrub=False)
        self._scrub()
        return counts

    def purge_inactive(self, days: int) -> int:
        """Forget everyone inactive for longer than `days`; returns how many.

        One scrub after the batch, and also when nobody was due: it finishes an earlier erasure
        whose scrub a reader held up."""
        stale = self.storage.participants.inactive(days)
        for participant_id in stale:
            self.dialogues.drop_memory(participant_id)
            with self.storage.transaction():
                self.storage.reminders.forget(participant_id)
                self.storage.participants.forget(participant_id, scrub=False)
        self._scrub()
        return len(stale)

    def _scrub(self) -> None:
        result = self.storage.participants.scrub()
        if not result.truncated:
            log.warning(
                "event=erasure_checkpoint_incomplete attempts=%d log_frames=%d checkpointed=%d retry=next_scrub",
                result.attempts,
                result.log_frames,
                result.checkpointed,
            )


def with_feedback(storage: Storage, data: PersonalData) -> PersonalData:
    """/mydata with the comments on their answers, those they wrote, and their sharing choices."""
    participant_id = data.participant.id
    return replace(
        data,
        comments=storage.feedback.of(participant_id),
        comments_written=storage.feedback.written_by(participant_id),
        peer_sharing=storage.feedback.sharing(participant_id),
    )
