"""Reminders' rules over a real database: which reminder is due when, once a day, never in quiet
hours, never after finishing, not to a blocked chat; deadlines and the facilitators' view; the
participant's copy and erasure; the scaled clock."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot import clock
from bot.app.services import Services
from bot.storage import Storage

DIALOGUE = "value-and-trust"


def at(text: str) -> datetime:
    """A UTC moment from 'YYYY-MM-DD HH:MM' (Berlin is UTC+1 in December)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def services(course, tmp_path):
    opened = Services(course, Storage(tmp_path / "r.db"))
    yield opened
    opened.close()


def member(services: Services, cohort, name: str, wants: bool | None = True) -> int:
    person = services.participants.identify("telegram", str(1000 + len(name) * 7 + ord(name[0])), name=name)
    services.storage.cohorts.join(cohort.id, person.id)
    if wants is not None:
        services.reminders.choose(person.id, wants)
    return person.id


def render(reminder) -> dict:
    return {"text": f"{reminder.reason}:{reminder.dialogue.id}"}


def sent(services: Services) -> list[tuple[int, str, str]]:
    """(participant, day, reason) of every reminder claimed."""
    rows = services.storage.db.execute("select participant_id, day, reason from reminders order by id").fetchall()
    return [tuple(r) for r in rows]


def test_one_reminder_a_day_for_who_wants_it_and_never_in_quiet_hours(services):
    cohort = services.cohorts.create("C1", "test")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    alice = member(services, cohort, "Alice")
    member(services, cohort, "Bob", wants=False)
    member(services, cohort, "Cem", wants=None)
    assert services.reminders.send_due(at("2026-12-10 06:59"), render) == []  # 07:59 in Berlin: quiet
    assert services.reminders.send_due(at("2026-12-09 20:00"), render) == []  # 21:00 in Berlin: quiet
    chats = services.reminders.send_due(at("2026-12-10 07:00"), render)  # 08:00 in Berlin
    assert len(chats) == 1
    assert services.reminders.send_due(at("2026-12-10 19:59"), render) == []  # the same day: none more
    assert services.reminders.send_due(at("2026-12-11 07:30"), render) != []
    assert sent(services) == [(alice, "2026-12-10", "due"), (alice, "2026-12-11", "due")]
    queued = services.outbox.pending()
    assert [json.loads(json.dumps(item.payload))["text"] for item in queued] == [f"due:{DIALOGUE}"] * 2


def test_a_cohort_in_another_time_zone_with_other_quiet_hours(services):
    cohort = services.cohorts.create("Far", "test")
    services.reminders.set_time_zone(cohort, "America/New_York")
    services.reminders.set_quiet_hours(cohort, "22:00-09:30")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    member(services, cohort, "Alice")
    assert services.reminders.send_due(at("2026-12-10 14:29"), render) == []  # 09:29 in New York
    assert services.reminders.send_due(at("2026-12-10 14:30"), render) != []
    with pytest.raises(ValueError, match="zone"):
        services.reminders.set_time_zone(cohort, "Mars/Olympus")
    with pytest.raises(ValueError, match="quiet"):
        services.reminders.set_quiet_hours(cohort, "25:00-08:00")


def test_only_from_a_week_before_until_two_weeks_after_the_due_date(services):
    cohort = services.cohorts.create("C1", "test")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    member(services, cohort, "Alice")
    assert services.reminders.send_due(at("2026-12-07 12:00"), render) == []
    assert services.reminders.send_due(at("2026-12-08 12:00"), render) != []
    assert services.reminders.send_due(at("2026-12-16 12:00"), render) != []
    assert services.reminders.send_due(at("2026-12-30 12:00"), render) == []
    assert [reason for _, _, reason in sent(services)] == ["due", "late"]


def finish(services: Services, participant: int, dialogue: str, finished: str = "2026-12-10T10:00:00.000Z") -> None:
    services.storage.db.execute(
        "insert into runs (participant_id, dialogue_id, dialogue_version, visit, state, status, started, updated, "
        "finished) values (?, ?, 1, 1, '{}', 'finished', ?, ?, ?)",
        [participant, dialogue, finished, finished, finished],
    )


def test_never_for_a_finished_dialogue_and_a_run_left_half_way_is_reminded(services):
    cohort = services.cohorts.create("C1", "test")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    alice = member(services, cohort, "Alice")
    finish(services, alice, DIALOGUE)
    assert services.reminders.send_due(at("2026-12-11 12:00"), render) == []
    services.storage.db.execute(
        "insert into runs (participant_id, dialogue_id, dialogue_version, visit, state, status, started, updated) "
        "values (?, 'recognition', 1, 1, '{}', 'active', '2026-12-11T09:00:00.000Z', '2026-12-11T09:00:00.000Z')",
        [alice],
    )
    assert services.reminders.send_due(at("2026-12-11 12:00"), render) == []  # left only three hours ago
    assert services.reminders.send_due(at("2026-12-12 12:00"), render) != []
    assert sent(services) == [(alice, "2026-12-12", "halfway")]


def test_a_blocked_participant_is_not_reminded_and_a_refused_reminder_is_marked(services):
    cohort = services.cohorts.create("C1", "test")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    alice = member(services, cohort, "Alice")
    assert services.reminders.send_due(at("2026-12-10 12:00"), render) != []
    services.participants.blocked(alice)  # Telegram answered 403 to the send
    for item in services.outbox.pending():
        services.outbox.sent(item.id)
    assert services.reminders.settle() == 1
    assert services.reminders.send_due(at("2026-12-11 12:00"), render) == []
    statuses = services.storage.db.execute("select status from reminders").fetchall()
    assert statuses == [("refused",)]


def test_a_claim_is_settled_as_sent_once_its_message_left_the_outbox(services):
    cohort = services.cohorts.create("C1", "test")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    member(services, cohort, "Alice")
    services.reminders.send_due(at("2026-12-10 12:00"), render)
    assert services.reminders.settle() == 0, "still in the outbox: claimed, not sent"
    for item in services.outbox.pending():
        services.outbox.sent(item.id)
    assert services.reminders.settle() == 1
    assert services.storage.db.execute("select status from reminders").fetchall() == [("sent",)]


def test_the_facilitators_view_done_late_due(services):
    cohort = services.cohorts.create("C1", "test")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    alice = member(services, cohort, "Alice")
    member(services, cohort, "Bob")
    finish(services, alice, DIALOGUE)
    before = services.reminders.overview(cohort, at("2026-12-14 12:00"))
    after = services.reminders.overview(cohort, at("2026-12-16 12:00"))
    assert [(m.name, m.status) for m in before[0].members] == [("Alice", "done"), ("Bob", "due")]
    assert [(m.name, m.status) for m in after[0].members] == [("Alice", "done"), ("Bob", "late")]
    with pytest.raises(ValueError, match="dialogue"):
        services.reminders.set_deadline(cohort, "no-such", "2026-12-15", "test")
    with pytest.raises(ValueError, match="date"):
        services.reminders.set_deadline(cohort, DIALOGUE, "15.12.2026", "test")
    assert services.reminders.clear_deadline(cohort, DIALOGUE)
    assert services.reminders.overview(cohort, at("2026-12-16 12:00")) == []


def test_mydata_shows_and_forget_erases_the_reminders(services):
    cohort = services.cohorts.create("C1", "test")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    alice = member(services, cohort, "Alice")
    services.reminders.send_due(at("2026-12-10 12:00"), render)
    mine = services.rights.everything(alice)
    assert [(r.dialogue_id, r.day) for r in mine.reminders] == [(DIALOGUE, "2026-12-10")]
    assert mine.participant.reminders == 1
    services.rights.forget(alice)
    assert services.storage.db.execute("select count(*) from reminders").fetchone() == (0,)
    assert services.outbox.pending() == []


def test_the_scaled_clock_runs_an_hour_a_second_and_carries_on_after_a_restart():
    start = at("2026-12-10 12:00")
    epoch = time.time() - 2.0  # "started" two real seconds ago
    try:
        first = clock.configure(3600, start, epoch).now()
        assert timedelta(hours=2) <= first - start < timedelta(hours=2, minutes=6)
        again = clock.configure(3600, start, epoch).now()  # a restarted process, same settings
        assert again >= first
        assert clock.clock().real_seconds(3600) == 1.0
    finally:
        clock.configure()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_someone_in_the_middle_of_a_dialogue_is_not_interrupted(services):
    cohort = services.cohorts.create("C1", "test")
    services.reminders.set_deadline(cohort, DIALOGUE, "2026-12-15", "test")
    alice = member(services, cohort, "Alice")
    services.storage.db.execute(
        "insert into runs (participant_id, dialogue_id, dialogue_version, visit, state, status, started, updated) "
        "values (?, ?, 1, 1, '{}', 'active', '2026-12-10T11:30:00.000Z', '2026-12-10T11:30:00.000Z')",
        [alice, DIALOGUE],
    )
    assert services.reminders.send_due(at("2026-12-10 12:00"), render) == []
    assert services.reminders.send_due(at("2026-12-10 12:31"), render) != []
