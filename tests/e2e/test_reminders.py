"""Reminders end to end: `python -m bot run` with a scaled clock (ELENCHUS_CLOCK_SCALE: a day passes
in seconds) against the fake Bot API server, killed with SIGKILL and restarted.

What is checked is what participants see (the reminders in their chats, the button that resumes
the dialogue) and what is stored (each reminder's day and the moment it was claimed, by the bot's
clock): at most one a day, never in quiet hours, never after finishing, none lost or repeated
across a kill, and a participant who blocked the bot is tried once and not again.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..support.bot_harness import TITLE, Participant, bot_process
from ..support.chaos import Walker, _play
from ..support.staff import new_cohort

SCALE = 14400
"""Four hours of the bot's clock a real second: a day in six seconds."""
BERLIN = ZoneInfo("Europe/Berlin")
REMINDER = "A reminder:"
DIALOGUE = "value-and-trust"


class Clocked:
    """The bot's scaled clock, as the test reads it: the same start and epoch the bot was given."""

    def __init__(self, start: str):
        self.start = datetime.fromisoformat(start.replace("Z", "+00:00"))
        self.epoch = time.time()
        self.env = {
            "ELENCHUS_CLOCK_SCALE": str(SCALE),
            "ELENCHUS_CLOCK_START": start,
            "ELENCHUS_CLOCK_EPOCH": repr(self.epoch),
            "ELENCHUS_RATE": "1000/1",
        }

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.epoch) * SCALE)

    async def until(self, moment: datetime) -> None:
        """Wait (in real time) until the bot's clock shows `moment`."""
        await asyncio.sleep(max(0.0, (moment - self.now()).total_seconds() / SCALE))


def stored(db: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """Read the bot's database as it stands (read-only, beside the running bot)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def reminders_of(db: Path, p: Participant) -> list[tuple[str, str, str]]:
    """(day, claimed, status) of each reminder stored for this participant."""
    return stored(
        db,
        "select r.day, r.claimed, r.status from reminders r join participants p on p.id = r.participant_id "
        "where p.external_id = ? order by r.id",
        (str(p.user.id),),
    )


def seen(fake, p: Participant) -> list:
    return [m for m in fake.messages(p.chat) if (m.text or "").startswith(REMINDER)]


def local(claimed: str) -> datetime:
    return datetime.fromisoformat(claimed.replace("Z", "+00:00")).astimezone(BERLIN)


def assert_once_a_day_outside_quiet_hours(rows: list[tuple[str, str, str]]) -> None:
    days = [day for day, _, _ in rows]
    assert len(days) == len(set(days)), f"two reminders on one day: {days}"
    for day, claimed, _ in rows:
        moment = local(claimed)
        assert 8 <= moment.hour < 21, f"a reminder in quiet hours: {moment}"
        assert moment.date().isoformat() == day
    first = date.fromisoformat(days[0])
    assert days == [(first + timedelta(days=i)).isoformat() for i in range(len(days))], f"a day was lost: {days}"


async def join(p: Participant, invite: str, remind: bool) -> None:
    await p.command("/start", payload=invite)
    await p.expect("You have joined C1")
    await p.press("Yes, keep my answers")
    await p.expect("Shall I remind you")
    await p.press("Yes, remind me" if remind else "No reminders")
    await p.expect("Reminders are on" if remind else "Reminders are off")


def stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


async def test_once_a_day_never_in_quiet_hours_never_after_finishing_and_a_blocked_chat_once(fake, tmp_path):
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    clock = Clocked("2026-12-10T15:00:00Z")  # 16:00 in Berlin
    admin = Participant(fake, fake.user("Ada"))
    proc = bot_process(fake, db, log, {**clock.env, "ELENCHUS_ADMINS": str(admin.user.id)})
    try:
        invite, _ = await new_cohort(admin, "C1")
        await admin.command("/due", payload=f"C1 {DIALOGUE} 2026-12-14")
        await admin.expect("is to finish")
        alice, bob, dora = (Participant(fake, fake.user(n)) for n in ("Alice", "Bob", "Dora"))
        walker = Walker(fake, "Cem")
        cem = Participant(fake, walker.user)
        for p, remind in ((alice, True), (bob, True), (cem, True), (dora, False)):
            await join(p, invite, remind)
            if p is bob:  # at once: on a busy machine the next joins take hours of the scaled clock
                fake.block(bob.user)
                sends_before_block = len(fake.calls("sendMessage"))
        await cem.expect(REMINDER, timeout=30)  # reminded before he finished
        await cem.press(TITLE)
        await _play(walker, time.monotonic() + 120)
        assert walker.done, walker.stuck
        (finished,) = stored(db, "select max(finished) from runs where status = 'finished'")[0]
        await clock.until(local(finished) + timedelta(days=2, hours=14))  # past two more mornings

        rows = reminders_of(db, alice)
        assert len(rows) >= 3
        assert_once_a_day_outside_quiet_hours(rows)
        assert len(seen(fake, alice)) == len(rows), "every reminder claimed reached Alice, once"
        assert all(status == "sent" for _, _, status in rows[:-1])
        assert "due by 2026-12-14" in seen(fake, alice)[0].text

        assert reminders_of(db, dora) == [] and seen(fake, dora) == [], "Dora said no"
        cem_rows = reminders_of(db, cem)
        assert cem_rows and all(claimed < finished for _, claimed, _ in cem_rows), "none after Cem finished"
        recap = max(m.message_id for m in fake.messages(cem.chat) if "Your recap" in (m.text or ""))
        assert [m for m in seen(fake, cem) if m.message_id > recap] == []

        to_bob = [
            r
            for r in fake.calls("sendMessage")[sends_before_block:]
            if r.params.get("chat_id") == bob.chat and str(r.params.get("text", "")).startswith(REMINDER)
        ]
        assert [r.status for r in to_bob] == [403], "Bob, once he blocked the bot, was tried once"
        statuses = [status for _, _, status in reminders_of(db, bob)]
        assert statuses[-1:] == ["refused"] and set(statuses[:-1]) <= {"sent"}, statuses  # sent: before the block
        assert stored(
            db, "select blocked is not null from participants where external_id = ?", (str(bob.user.id),)
        ) == [(1,)]

        await alice.press(f"Continue {TITLE}")
        await alice.expect("Before we start")
        await admin.command("/due", payload="C1")
        overview = await admin.expect("deadlines (Europe/Berlin, quiet 21:00-08:00)")
        assert "1 done, 0 late, 3 due" in overview.text and "Cem (P" in overview.text
    finally:
        stop(proc)
    assert "A reminder" not in log.read_text(), "no message texts in the log"


async def test_kill_9_while_a_reminder_is_on_its_way_neither_loses_nor_repeats_it(fake, tmp_path):
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    clock = Clocked("2026-12-10T09:00:00Z")  # 10:00 in Berlin
    admin = Participant(fake, fake.user("Ada"))
    env = {**clock.env, "ELENCHUS_ADMINS": str(admin.user.id)}
    proc = bot_process(fake, db, log, env)
    try:
        invite, _ = await new_cohort(admin, "C1")
        await admin.command("/due", payload=f"C1 {DIALOGUE} 2026-12-14")
        await admin.expect("is to finish")
        alice = Participant(fake, fake.user("Alice"))
        await join(alice, invite, True)
        await alice.expect(REMINDER, timeout=30)
        fake.fail("sendMessage", times=1, kind="timeout", hold=30.0)  # the next reminder hangs on its way

        def held():
            return [r for r in fake.calls("sendMessage") if r.params.get("chat_id") == alice.chat and r.status is None]

        await fake.wait_for_async(held, timeout=60, what="the second reminder on its way")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    rows = reminders_of(db, alice)
    assert [status for _, _, status in rows] == ["sent", "claimed"], "claimed, with its message in the outbox"
    assert len(seen(fake, alice)) == 1, "the held message never arrived"

    proc = bot_process(fake, db, log, env)
    try:
        second = await fake.wait_for_async(lambda: seen(fake, alice)[1:], timeout=30, what="the second reminder")
        assert len(second) == 1
        await clock.until(local(rows[1][1]) + timedelta(days=1, hours=2))
        await fake.wait_for_async(lambda: len(reminders_of(db, alice)) >= 3, timeout=30, what="a third day")
    finally:
        stop(proc)
    rows = reminders_of(db, alice)
    assert_once_a_day_outside_quiet_hours(rows)
    await fake.wait_for_async(lambda: len(seen(fake, alice)) == len(rows), timeout=5, what="every reminder shown")
    assert len(seen(fake, alice)) == len(rows), "none lost, none repeated"


async def test_reminders_choice_in_privacy_and_due_only_for_a_cohorts_own_facilitators(fake, tmp_path):
    from ..support.bot_harness import running_bot
    from ..support.staff import become_facilitator

    admin = Participant(fake, fake.user("Ada"))
    async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(admin.user.id)})) as bot:
        invite_a, lead_a = await new_cohort(admin, "C1")
        await new_cohort(admin, "C2")
        alice = Participant(fake, fake.user("Alice"))
        await join(alice, invite_a, remind=False)
        eve = Participant(fake, fake.user("<b>Eve</b> & co"))
        await join(eve, invite_a, remind=True)
        await alice.command("/privacy")
        await alice.expect("Reminders: off.")
        await alice.press("Turn reminders on")
        await alice.expect("Reminders are on")
        await alice.command("/reminders")
        await alice.expect("Reminders: on (at most one a day, not 21:00-08:00, Europe/Berlin)")
        await alice.press("Turn reminders off")
        await alice.expect("Reminders are off")
        assert bot.services.reminders.choice(1 + 1) is False  # Ada is participant 1, Alice 2

        await alice.command("/due", payload="C1")
        await alice.expect("This command is for facilitators")
        fiona = Participant(fake, fake.user("Fiona"))
        await become_facilitator(fiona, lead_a, "C1")
        await fiona.command("/due", payload=f"C2 {DIALOGUE} 2026-12-15")
        await fiona.expect("You have no cohort called “C2”")
        await fiona.command("/due", payload="C2")
        await fiona.expect("You have no cohort called “C2”")
        assert bot.storage.db.execute("select count(*) from deadlines").fetchone() == (0,)
        await fiona.command("/due", payload=f"C1 {DIALOGUE} 15.12.2026")
        await fiona.expect("YYYY-MM-DD")
        await fiona.command("/due", payload="C1 zone Mars/Olympus")
        await fiona.expect("not a time zone I know")
        await fiona.command("/due", payload="C1 quiet 22:00-07:00")
        await fiona.expect("No reminders for C1 between 22:00-07:00 (Europe/Berlin)")
        await fiona.command("/due", payload=f"C1 {DIALOGUE} 2026-12-15")
        await fiona.expect("C1 is to finish")
        await fiona.command("/due", payload="C1")
        overview = await fiona.expect("C1: deadlines")
        assert "0 done, 0 late, 2 due" in overview.text and "Alice (P2): due" in overview.text
        assert "<b>Eve</b> & co (P3): due" in overview.text, "a name is shown as written, never as markup"


async def test_the_retention_purge_runs_as_a_job_queue_job_when_the_bot_starts(fake, tmp_path):
    from bot.storage import Storage

    from ..support.bot_harness import running_bot

    db = tmp_path / "bot.db"
    old = Storage(db, clock=lambda: "2020-01-01T00:00:00.000Z")
    old.participants.get_or_create("telegram", "4242", name="Long gone")
    old.close()
    async with running_bot(fake, db, retention_days=30) as bot:
        assert [job.name for job in bot.app.job_queue.jobs()] and "reminders" in {
            job.name for job in bot.app.job_queue.jobs()
        }
        await fake.wait_for_async(
            lambda: bot.storage.db.execute("select count(*) from participants").fetchone() == (0,),
            timeout=10,
            what="the inactive participant purged",
        )
