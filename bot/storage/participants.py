"""Participants, their consent decisions, and erasure: who they are and what they agreed to."""

from __future__ import annotations

from datetime import datetime, timedelta

from .. import clock
from .database import Checkpoint, Database, columns
from .rows import Consent, Participant, PersonalData, Reflection, Role, Run, Stance

ERASED_TABLES = ("reflections", "stances", "runs", "consents")
"""Tables whose rows are counted back to the participant when they are forgotten."""


SENDER_PATHS = (
    "message.from.id",
    "edited_message.from.id",
    "callback_query.from.id",
    "poll_answer.user.id",
    "my_chat_member.from.id",
)
"""Where an update names its sender, for erasing the updates of someone who is forgotten."""


class Participants:
    def __init__(self, db: Database):
        self.db = db

    def get(self, participant_id: int) -> Participant | None:
        return self.db.one(
            Participant, f"select {columns(Participant)} from participants where id = ?", [participant_id]
        )

    def find(self, platform: str, external_id: str) -> Participant | None:
        return self.db.one(
            Participant,
            f"select {columns(Participant)} from participants where platform = ? and external_id = ?",
            [platform, str(external_id)],
        )

    def get_or_create(
        self, platform: str, external_id: str, *, name: str | None = None, locale: str | None = None
    ) -> Participant:
        """This participant, created on first sight."""
        found = self.find(platform, external_id)
        if found is not None:
            return found
        with self.db.transaction():
            self.db.insert(
                "participants",
                {
                    "platform": platform,
                    "external_id": str(external_id),
                    "name": name,
                    "locale": locale,
                    "created": self.db.clock(),
                },
            )
        found = self.find(platform, external_id)
        assert found is not None
        return found

    def set_locale(self, participant_id: int, locale: str) -> None:
        with self.db.transaction():
            self.db.update("participants", participant_id, {"locale": locale})

    def mark_blocked(self, participant_id: int, blocked: bool = True) -> None:
        with self.db.transaction():
            self.db.update("participants", participant_id, {"blocked": self.db.clock() if blocked else None})

    # ---- consent --------------------------------------------------------------------------

    def record_consent(self, participant_id: int, version: str, given: bool) -> None:
        with self.db.transaction():
            self.db.insert(
                "consents",
                {"participant_id": participant_id, "version": version, "given": int(given), "at": self.db.clock()},
            )

    def consent(self, participant_id: int) -> Consent | None:
        """The latest decision, or None if they were never asked."""
        return self.db.one(
            Consent,
            f"select {columns(Consent)} from consents where participant_id = ? order by id desc",
            [participant_id],
        )

    def has_consent(self, participant_id: int) -> bool:
        latest = self.consent(participant_id)
        return bool(latest and latest.given)

    # ---- their data -----------------------------------------------------------------------

    def everything_about(self, participant_id: int) -> PersonalData:
        """All rows stored about one participant, for their own copy (/mydata)."""
        participant = self.get(participant_id)
        assert participant is not None
        mine = "where participant_id = ? order by id"

        def roles(table: str) -> list[Role]:
            return self.db.rows(
                Role,
                f"select c.name as cohort, x.since as since from {table} x join cohorts c on c.id = x.cohort_id "
                "where x.participant_id = ? order by x.since",
                [participant_id],
            )

        return PersonalData(
            participant=participant,
            consents=self.db.rows(Consent, f"select {columns(Consent)} from consents {mine}", [participant_id]),
            runs=self.db.rows(Run, f"select {columns(Run)} from runs {mine}", [participant_id]),
            reflections=self.db.rows(
                Reflection, f"select {columns(Reflection)} from reflections {mine}", [participant_id]
            ),
            stances=self.db.rows(Stance, f"select {columns(Stance)} from stances {mine}", [participant_id]),
            memberships=roles("memberships"),
            facilitating=roles("facilitators"),
        )

    def forget(self, participant_id: int, *, scrub: bool = True) -> dict[str, int]:
        """Delete everything stored about a participant; returns what was deleted, per table.

        With `scrub` (the default), the write-ahead log is checkpointed and truncated afterwards,
        so no copy of the deleted rows is left on disk (see `scrub`); a batch of erasures passes
        False and scrubs once at the end.
        """
        counts = {}
        with self.db.transaction():
            for table in ERASED_TABLES:
                counts[table] = self.db.count(f"{table} where participant_id = ?", [participant_id])
                self.db.execute(f"delete from {table} where participant_id = ?", [participant_id])
            for table in ("memberships", "facilitators", "group_messages", "pending_texts"):
                self.db.execute(f"delete from {table} where participant_id = ?", [participant_id])
            self._forget_authorship(participant_id)
            self._forget_in_transit(participant_id)
            self.db.execute("delete from participants where id = ?", [participant_id])
        if scrub:
            self.scrub()
        return counts

    def _forget_authorship(self, participant_id: int) -> None:
        """Comments they wrote as a facilitator stay with the answers they comment on, without their
        name or id (comments on their own answers go with the answers: on delete cascade)."""
        self.db.execute(
            "update comments set author_id = null, author_name = null where author_id = ?", [participant_id]
        )

    def _forget_in_transit(self, participant_id: int) -> None:
        """Replies still owed to them (their private chat's outbox) and updates of theirs not yet
        handled (the inbox, which holds message texts until then)."""
        row = self.get(participant_id)
        if row is None or row.platform != "telegram" or not row.external_id.lstrip("-").isdigit():
            return
        self.db.execute("delete from outbox where chat = ?", [row.external_id])
        senders = " or ".join(f"json_extract(payload, '$.{path}') = ?" for path in SENDER_PATHS)
        self.db.execute(f"delete from inbox where {senders}", [int(row.external_id)] * len(SENDER_PATHS))

    def scrub(self) -> Checkpoint:
        """After deleting: leave no copy of deleted rows in the write-ahead log.

        `secure_delete` (set on every connection) has already zeroed them in the pages the log
        holds; the checkpoint writes those pages into the database file and truncates the log,
        which still held the earlier versions. `truncated` is False when a reader kept it from
        finishing; the copies then stay in the log until a later scrub gets through.
        """
        return self.db.checkpoint()

    def inactive(self, days: int, now: datetime | None = None) -> list[int]:
        """Participants whose last activity is older than `days`.

        Activity is the newest of: joining, a consent decision, a step in a run. Facilitators are
        kept: their role is staff, not activity; an administrator removes it.
        """
        cutoff = ((now or clock.now()) - timedelta(days=days)).isoformat(timespec="milliseconds")
        cutoff = cutoff.replace("+00:00", "Z")
        found = self.db.execute(
            """select p.id from participants p
               where p.id not in (select participant_id from facilitators)
               and max(p.created,
                         coalesce((select max(at) from consents c where c.participant_id = p.id), ''),
                         coalesce((select max(updated) from runs r where r.participant_id = p.id), '')) < ?""",
            [cutoff],
        ).fetchall()
        return [participant_id for (participant_id,) in found]
