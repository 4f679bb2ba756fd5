"""An update delivered again shows where the participant is; a second press of Next skips no
step; a flood limit in one group holds up nobody else."""

from __future__ import annotations

import time

from ..support.bot_harness import TITLE, Participant, running_bot
from ..support.rooms import Room
from ..support.staff import become_facilitator, new_cohort

THICK = "It counts when an employer can read the outcomes, because they are listed, for example."


async def test_a_handled_update_delivered_again_shows_the_current_step(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db", rate=(1000, 1.0)) as bot:
        alice = Participant(fake, fake.user("Alice"))
        await alice.command("/start")
        await alice.press("Yes, keep my answers")
        await alice.press(TITLE)
        await alice.press("3")
        await alice.expect("Step 2 of 12")
        sent = await alice.write(THICK)
        await alice.expect("Step 3 of 12")
        fake.deliver(sent)  # the same update_id again, as Telegram does after a crash
        again = await alice.expect("Step 3 of 12")
        assert "What would convince you" in again.text, "the current step, shown again"
        pid = bot.storage.participants.find("telegram", str(alice.user.id)).id
        assert [r.answer for r in bot.storage.runs.reflections(pid)] == [THICK], "stored once"


async def session_at_first_step(fake, bot_admin: Participant, title: str):
    _invite, lead = await new_cohort(bot_admin, "MC-A")
    fiona = Participant(fake, fake.user("Fiona"))
    await become_facilitator(fiona, lead, "MC-A")
    group = fake.group(title, admins=[fiona.user])
    room = Room(fake, group)
    fake.send_command(fiona.user, "/session", payload="value-and-trust", chat=group)
    return fiona, group, room, await room.control(0)


async def test_pressing_next_twice_moves_on_one_step(fake, tmp_path):
    ada = Participant(fake, fake.user("Ada"))
    settings = {"admins": frozenset({str(ada.user.id)}), "group_ack_seconds": 0.2, "group_rate": (30, 1.0)}
    async with running_bot(fake, tmp_path / "bot.db", **settings) as bot:
        fiona, group, room, control = await session_at_first_step(fake, ada, "Twice")
        fake.press(fiona.user, control.message_id, "Next ▶", chat=group)
        fake.press_data(
            fiona.user, control.message_id, control.reply_markup["inline_keyboard"][0][0]["callback_data"], chat=group
        )
        await room.question("taken seriously", control.message_id)
        await room.control(control.message_id)
        session = bot.storage.groups.open_in(str(group.id))
        assert session.state["node"] == "q-value" and session.state["steps"] == 1, "one step, not two"
        stale = [a for a in fake.callback_answers if "earlier step" in (a.get("text") or "")]
        assert stale, "the second press was told it is outdated"


async def test_a_flood_limit_in_one_group_holds_up_no_private_chat(fake, tmp_path):
    ada = Participant(fake, fake.user("Ada"))
    fake.group_rate_limit(per_minute=2, window=20.0)  # the group's third message waits many seconds
    settings = {"admins": frozenset({str(ada.user.id)}), "group_ack_seconds": 0.2, "group_rate": (30, 1.0)}
    async with running_bot(fake, tmp_path / "bot.db", **settings):
        alice = Participant(fake, fake.user("Alice"))
        await alice.command("/start")
        await alice.press("Yes, keep my answers")
        await alice.press(TITLE)
        await alice.press("3")
        await alice.expect("Step 2 of 12")
        _invite, lead = await new_cohort(ada, "MC-A")
        fiona = Participant(fake, fake.user("Fiona"))
        await become_facilitator(fiona, lead, "MC-A")
        group = fake.group("Busy", admins=[fiona.user])
        fake.send_command(fiona.user, "/session", payload="value-and-trust", chat=group)
        await fake.wait_for_async(
            lambda: any(r.status == 429 and str(group.id) in str(r.params.get("chat_id")) for r in fake.requests),
            timeout=30,
            what="the group's flood limit",
        )
        started = time.monotonic()
        await alice.write(THICK)
        await alice.expect("Step 3 of 12")
        assert time.monotonic() - started < 3, "the private chat is answered while the group waits"
