"""A group session survives kill -9 under the group's flood limit: a step's posting interrupted
by the crash is finished after the restart without /next, no step is skipped, and members'
replies sent around the crash are each stored exactly once."""

from __future__ import annotations

import asyncio
import signal

from bot.storage import Storage

from ..support.bot_harness import Participant, bot_process
from ..support.rooms import Room
from ..support.staff import become_facilitator, new_cohort

ANSWER = "{who} thinks it counts when an employer can see the outcomes, because they are listed."
FIRST_STRETCH = ("Group session: Worth the paper?", "Meet Lena", "Before we start", "Answers so far")


def restart(proc, fake, db, log, env):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return bot_process(fake, db, log, env)


def texts(room: Room) -> list[str]:
    return [m.text or ("<poll>" if m.poll else "") for m in room.bot_messages()]


def in_order(seen: list[str], expected: tuple[str, ...]) -> bool:
    """Each expected text appears, in this order (a message sent at the moment of a kill may come twice)."""
    position = 0
    for text in seen:
        if position < len(expected) and expected[position] in text:
            position += 1
    return position == len(expected)


async def test_kill_9_mid_posting_and_after_replies_loses_nothing_and_skips_no_step(fake, tmp_path):
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    ada = Participant(fake, fake.user("Ada"))
    env = {"ELENCHUS_ADMINS": str(ada.user.id), "ELENCHUS_GROUP_RATE": "3/2", "ELENCHUS_GROUP_ACK_SECONDS": "0.2"}
    fake.group_rate_limit(per_minute=2, window=2.0)  # fewer than the bot paces itself to: 429s follow
    proc = bot_process(fake, db, log, env)
    try:
        await ada.command("/start")
        await ada.press("Yes, keep my answers")
        invite, lead = await new_cohort(ada, "MC-A")
        fiona = Participant(fake, fake.user("Fiona"))
        await become_facilitator(fiona, lead, "MC-A")
        members = [Participant(fake, fake.user(n)) for n in ("Alice", "Bob")]
        for member in members:
            await member.command("/start", payload=invite)
            await member.press("Yes, keep my answers")
        group = fake.group("MC-A group", admins=[fiona.user], members=[m.user for m in members])
        room = Room(fake, group)

        fake.send_command(fiona.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("Meet Lena", timeout=30)  # the first stretch is being posted, slowly
        proc = restart(proc, fake, db, log, env)
        control = await room.control(0)
        assert in_order(texts(room), FIRST_STRETCH), texts(room)

        fake.press(fiona.user, control.message_id, "Next ▶", chat=group)
        await asyncio.sleep(0)  # no wait for the bot: it dies within milliseconds of the press
        proc = restart(proc, fake, db, log, env)
        question = await room.question("taken seriously", control.message_id)  # posted without /next

        for member in members:
            fake.reply(member.user, group, question.message_id, ANSWER.format(who=member.user.first_name))
        proc = restart(proc, fake, db, log, env)  # right after a burst of replies
        await room.expect("Answers so far: 2", after=question.message_id, timeout=60)

        fake.send_command(fiona.user, "/endsession", chat=group)
        await room.expect("Session finished", timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    fake.assert_no_violations()
    store = Storage(db)
    try:
        answers = [r["answer"] for r in store.db["reflections"].rows]
    finally:
        store.close()
    assert sorted(answers) == sorted(ANSWER.format(who=m.user.first_name) for m in members)
