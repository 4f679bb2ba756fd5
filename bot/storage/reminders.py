"""Deadlines, a cohort's time zone and quiet hours, who wants reminders, and the reminders claimed.

A reminder is claimed in the same transaction as its message is put in the outbox: one row per
participant and local day (a unique index), so a bot killed at any moment and restarted neither
loses a reminder (the outbox sends it after the restart) nor sends a second one that day (the
row is there). `settle` later marks claimed reminders whose message has left the outbox.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .database import Database, columns
from .outbox import Outbox
from .rows import CohortSchedule, Deadline, MemberProgress, ReminderRecord, Subscriber


class Reminders:
    def __init__(self, db: Database, outbox: Outbox):
        self.db = db
        self.outbox = outbox

    # ---- deadlines and a cohort's schedule ------------------------------------------------------

    def set_deadline(self, cohort_id: int, dialogue_id: str, due: str, set_by: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "insert into deadlines (cohort_id, dialogue_id, due, set_by, at) values (?, ?, ?, ?, ?) "
                "on conflict (cohort_id, dialogue_id) do update set due = excluded.due, "
                "set_by = excluded.set_by, at = excluded.at",
                [cohort_id, dialogue_id, due, set_by, self.db.clock()],
            )

    def clear_deadline(self, cohort_id: int, dialogue_id: str) -> bool:
        with self.db.transaction():
            cursor = self.db.execute(
                "delete from deadlines where cohort_id = ? and dialogue_id = ?", [cohort_id, dialogue_id]
            )
        return cursor.rowcount > 0

    def deadlines(self, cohort_id: int) -> list[Deadline]:
        return self.db.rows(
            Deadline,
            f"select {columns(Deadline)} from deadlines where cohort_id = ? order by due, dialogue_id",
            [cohort_id],
        )

    def schedule(self, cohort_id: int) -> CohortSchedule | None:
        return self.db.one(
            CohortSchedule,
            "select id as cohort_id, name, time_zone, quiet_hours from cohorts where id = ?",
            [cohort_id],
        )

    def set_schedule(self, cohort_id: int, *, time_zone: str | None = None, quiet_hours: str | None = None) -> None:
        values = {k: v for k, v in (("time_zone", time_zone), ("quiet_hours", quiet_hours)) if v is not None}
        if values:
            with self.db.transaction():
                self.db.update("cohorts", cohort_id, values)

    # ---- participants' choice ---------------------------------------------------------------

    def choose(self, participant_id: int, wanted: bool) -> None:
        with self.db.transaction():
            self.db.update("participants", participant_id, {"reminders": int(wanted)})

    def choice(self, participant_id: int) -> bool | None:
        row = self.db.execute("select reminders from participants where id = ?", [participant_id]).fetchone()
        return None if row is None or row[0] is None else bool(row[0])

    def subscribers(self) -> list[Subscriber]:
        """Who wants reminders and has not blocked the bot, with the cohort they belong to now."""
        return self.db.rows(
            Subscriber,
            "select id as participant_id, external_id, locale, cohort_id from participants "
            "where reminders = 1 and blocked is null and cohort_id is not null and platform = 'telegram' order by id",
        )

    # ---- what a participant has done ----------------------------------------------------------

    def finished_dialogues(self, participant_id: int) -> set[str]:
        rows = self.db.execute(
            "select distinct dialogue_id from runs where participant_id = ? and status = 'finished'", [participant_id]
        ).fetchall()
        return {dialogue_id for (dialogue_id,) in rows}

    def left_halfway(self, participant_id: int, before: str) -> list[str]:
        """Dialogues with a private run in progress, untouched since `before`, most recent first."""
        rows = self.db.execute(
            "select dialogue_id from runs where participant_id = ? and status = 'active' "
            "and group_session_id is null and updated < ? order by updated desc",
            [participant_id, before],
        ).fetchall()
        return [dialogue_id for (dialogue_id,) in rows]

    def active_since(self, participant_id: int, since: str) -> bool:
        """Whether they took a step in a dialogue after `since`."""
        return self.db.count("runs where participant_id = ? and updated >= ?", [participant_id, since]) > 0

    def progress(self, cohort_id: int, dialogue_ids: list[str]) -> list[MemberProgress]:
        """Each member of the cohort, for each of these dialogues: finished when, or in progress."""
        found: list[MemberProgress] = []
        for dialogue_id in dialogue_ids:
            found += self.db.rows(
                MemberProgress,
                """select p.id as participant_id, p.name as name, ? as dialogue_id,
                          (select min(r.finished) from runs r where r.participant_id = p.id
                             and r.dialogue_id = ? and r.status = 'finished') as finished,
                          exists(select 1 from runs r where r.participant_id = p.id and r.dialogue_id = ?
                             and r.status = 'active') as active
                   from memberships m join participants p on p.id = m.participant_id
                   where m.cohort_id = ? order by p.name collate nocase, p.id""",
                [dialogue_id, dialogue_id, dialogue_id, cohort_id],
            )
        return found

    # ---- claiming and settling ----------------------------------------------------------------

    def claim(
        self, subscriber: Subscriber, dialogue_id: str, day: str, reason: str, payload: dict[str, Any]
    ) -> int | None:
        """Claim today's reminder for this participant and queue its message, in one transaction;
        None if they had one on this day already."""
        try:
            with self.db.transaction():
                reminder_id = self.db.insert(
                    "reminders",
                    {
                        "participant_id": subscriber.participant_id,
                        "cohort_id": subscriber.cohort_id,
                        "dialogue_id": dialogue_id,
                        "day": day,
                        "reason": reason,
                        "status": "claimed",
                        "claimed": self.db.clock(),
                    },
                )
                self.outbox.add(subscriber.external_id, [payload | {"reminder": reminder_id}])
        except sqlite3.IntegrityError:
            return None
        return reminder_id

    def owed_chats(self) -> list[str]:
        """Chats with a reminder still in the outbox (its send failed, or is under way)."""
        rows = self.db.execute(
            "select distinct chat from outbox where json_extract(payload, '$.reminder') is not null order by chat"
        ).fetchall()
        return [chat for (chat,) in rows]

    def has_claimed(self, participant_id: int, day: str) -> bool:
        return self.db.count("reminders where participant_id = ? and day = ?", [participant_id, day]) > 0

    def settle(self) -> int:
        """Claimed reminders whose message has left the outbox: sent, or refused when the bot was
        blocked meanwhile (Telegram answered 403). Returns how many were settled."""
        rows = self.db.execute(
            "select r.id, p.blocked from reminders r join participants p on p.id = r.participant_id "
            "where r.status = 'claimed' and not exists (select 1 from outbox o "
            "where json_extract(o.payload, '$.reminder') = r.id)"
        ).fetchall()
        if not rows:
            return 0
        now = self.db.clock()
        with self.db.transaction():
            for reminder_id, blocked in rows:
                status = "refused" if blocked else "sent"
                self.db.execute("update reminders set status = ?, sent = ? where id = ?", [status, now, reminder_id])
        return len(rows)

    def of(self, participant_id: int) -> list[ReminderRecord]:
        return self.db.rows(
            ReminderRecord,
            f"select {columns(ReminderRecord)} from reminders where participant_id = ? order by id",
            [participant_id],
        )

    def forget(self, participant_id: int) -> int:
        """Delete a participant's reminders (joins the caller's transaction)."""
        with self.db.transaction():
            count = self.db.count("reminders where participant_id = ?", [participant_id])
            self.db.execute("delete from reminders where participant_id = ?", [participant_id])
        return count
