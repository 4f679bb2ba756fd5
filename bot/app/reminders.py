"""Deadlines and reminders: the rules, for the Telegram and the CLI shells and the scheduler.

A facilitator says which dialogues a cohort expects by when, in the cohort's time zone, and when
it must not be disturbed (quiet hours). A participant who opted in gets at most one reminder a
day (their cohort's local day): for the dialogue due soonest that they have not finished (up to
REMIND_BEFORE days before it is due, and LATE_DAYS after), else for a dialogue they left half-way
(untouched for IDLE). Never in quiet hours, never for a dialogue they finished, never to someone
who blocked the bot (until they write again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..clock import is_quiet, local, parse_quiet, stamp, valid_zone
from ..engine import Course, Dialogue
from ..storage import Storage
from ..storage.rows import Cohort, Deadline, Subscriber

log = logging.getLogger("elenchus.reminders")

REMIND_BEFORE = 7
"""Days before a due date from which a participant who has not finished is reminded."""
LATE_DAYS = 14
"""Days after a due date during which a participant who has not finished is still reminded."""
IDLE = timedelta(days=1)
"""A run untouched this long counts as left half-way."""
BUSY = timedelta(hours=1)
"""Someone who took a step this recently is not interrupted by a reminder (it comes later that day)."""


@dataclass(frozen=True)
class Reminder:
    """One reminder to send now: to whom, for which dialogue, why."""

    subscriber: Subscriber
    dialogue: Dialogue
    reason: str
    """due, late or halfway."""
    due: str | None
    day: str


Render = Callable[[Reminder], dict]
"""A shell's message for a reminder, as an outbox payload."""


@dataclass(frozen=True)
class Standing:
    """Where one member stands with one due dialogue."""

    participant_id: int
    name: str
    status: str
    """done, late (past the date, not finished) or due (not finished yet, date not passed)."""
    active: bool


@dataclass(frozen=True)
class DeadlineView:
    dialogue: Dialogue
    due: str
    members: list[Standing]


class Reminders:
    def __init__(
        self, course: Course, storage: Storage, time_zone: str = "Europe/Berlin", quiet_hours: str = "21:00-08:00"
    ):
        self.course = course
        self.storage = storage
        self.time_zone = time_zone
        self.quiet_hours = quiet_hours

    # ---- for facilitators ---------------------------------------------------------------------

    def set_deadline(self, cohort: Cohort, dialogue_id: str, due: str, actor: str) -> Dialogue:
        """ValueError('dialogue') for an unknown dialogue, ValueError('date') for a date not YYYY-MM-DD."""
        dialogue = self.course.get(dialogue_id)
        if dialogue is None:
            raise ValueError("dialogue")
        try:
            day = date.fromisoformat(due)
        except ValueError:
            raise ValueError("date") from None
        if len(due) != 10:
            raise ValueError("date")
        self.storage.reminders.set_deadline(cohort.id, dialogue.id, day.isoformat(), actor)
        return dialogue

    def clear_deadline(self, cohort: Cohort, dialogue_id: str) -> bool:
        return self.storage.reminders.clear_deadline(cohort.id, dialogue_id)

    def set_time_zone(self, cohort: Cohort, zone: str) -> None:
        if not valid_zone(zone):
            raise ValueError("zone")
        self.storage.reminders.set_schedule(cohort.id, time_zone=zone)

    def set_quiet_hours(self, cohort: Cohort, quiet: str) -> None:
        if parse_quiet(quiet) is None:
            raise ValueError("quiet")
        self.storage.reminders.set_schedule(cohort.id, quiet_hours=quiet.strip())

    def zone_and_quiet(self, cohort_id: int) -> tuple[str, str]:
        found = self.storage.reminders.schedule(cohort_id)
        zone = (found.time_zone if found else None) or self.time_zone
        quiet = (found.quiet_hours if found else None) or self.quiet_hours
        return zone, quiet

    def zone_and_quiet_of(self, participant_id: int) -> tuple[str, str]:
        """The time zone and quiet hours of the participant's cohort (the defaults without one)."""
        row = self.storage.participants.get(participant_id)
        if row is None or row.cohort_id is None:
            return self.time_zone, self.quiet_hours
        return self.zone_and_quiet(row.cohort_id)

    def overview(self, cohort: Cohort, now: datetime) -> list[DeadlineView]:
        """Each due dialogue of the cohort, with every member: done, late or due."""
        zone, _ = self.zone_and_quiet(cohort.id)
        today = local(now, zone).date().isoformat()
        deadlines = [d for d in self.storage.reminders.deadlines(cohort.id) if self.course.get(d.dialogue_id)]
        rows = self.storage.reminders.progress(cohort.id, [d.dialogue_id for d in deadlines])
        views = []
        for deadline in deadlines:
            members = [
                Standing(
                    row.participant_id,
                    row.name or "",
                    "done" if row.finished else ("late" if today > deadline.due else "due"),
                    bool(row.active),
                )
                for row in rows
                if row.dialogue_id == deadline.dialogue_id
            ]
            dialogue = self.course.get(deadline.dialogue_id)
            assert dialogue is not None
            views.append(DeadlineView(dialogue, deadline.due, members))
        return views

    # ---- for participants ---------------------------------------------------------------------

    def choose(self, participant_id: int, wanted: bool) -> None:
        self.storage.reminders.choose(participant_id, wanted)

    def choice(self, participant_id: int) -> bool | None:
        """True or False as they chose; None if they were never asked."""
        return self.storage.reminders.choice(participant_id)

    # ---- the scheduler --------------------------------------------------------------------------

    def send_due(self, now: datetime, render: Render) -> list[str]:
        """Claim and queue (the outbox) every reminder due now; the chats that got one."""
        self.storage.reminders.settle()
        chats = []
        cohorts: dict[int, tuple[list[Deadline], str, str]] = {}
        for subscriber in self.storage.reminders.subscribers():
            if subscriber.cohort_id not in cohorts:  # read once per cohort and tick
                zone, quiet = self.zone_and_quiet(subscriber.cohort_id)
                cohorts[subscriber.cohort_id] = (self.storage.reminders.deadlines(subscriber.cohort_id), zone, quiet)
            reminder = self._due_for(subscriber, *cohorts[subscriber.cohort_id], now)
            if reminder is None:
                continue
            claimed = self.storage.reminders.claim(
                subscriber, reminder.dialogue.id, reminder.day, reminder.reason, render(reminder)
            )
            if claimed is not None:
                log.info("event=reminder_claimed reminder=%d participant=%d", claimed, subscriber.participant_id)
                chats.append(subscriber.external_id)
        return chats

    def owed_chats(self) -> list[str]:
        """Chats whose reminder is still to be sent (claimed, its message in the outbox)."""
        return self.storage.reminders.owed_chats()

    def settle(self) -> int:
        """Mark reminders whose message has left the outbox (sent, or refused by a blocked chat)."""
        return self.storage.reminders.settle()

    def _due_for(
        self, subscriber: Subscriber, deadlines: list[Deadline], zone: str, quiet: str, now: datetime
    ) -> Reminder | None:
        here = local(now, zone)
        quiet_hours = parse_quiet(quiet)
        if quiet_hours is not None and is_quiet(here.time(), quiet_hours):
            return None
        day = here.date()
        if self.storage.reminders.has_claimed(subscriber.participant_id, day.isoformat()):
            return None
        if self.storage.reminders.active_since(subscriber.participant_id, stamp(now - BUSY)):
            return None
        finished = self.storage.reminders.finished_dialogues(subscriber.participant_id)
        for deadline in deadlines:
            dialogue = self.course.get(deadline.dialogue_id)
            if dialogue is None or dialogue.id in finished:
                continue
            left = (date.fromisoformat(deadline.due) - day).days
            if -LATE_DAYS <= left <= REMIND_BEFORE:
                reason = "late" if left < 0 else "due"
                return Reminder(subscriber, dialogue, reason, deadline.due, day.isoformat())
        for dialogue_id in self.storage.reminders.left_halfway(subscriber.participant_id, stamp(now - IDLE)):
            dialogue = self.course.get(dialogue_id)
            if dialogue is not None and dialogue.id not in finished:
                return Reminder(subscriber, dialogue, "halfway", None, day.isoformat())
        return None
