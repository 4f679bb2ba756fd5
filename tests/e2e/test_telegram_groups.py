"""End to end: group sessions in a Telegram group with privacy mode on (the fake server delivers
only what Telegram would: commands, replies to the bot, mentions, service messages, poll answers)."""

from __future__ import annotations

import csv
import io
import json

from ..support.bot_harness import TITLE, Participant, running_bot
from ..support.rooms import Room
from ..support.staff import become_facilitator, export, new_cohort

THICK = "It depends on the assessment, because a visible project shows what was learned, for example."
FAST = {"group_ack_seconds": 0.2, "group_rate": (30, 1.0)}


async def setup(fake, bot_admin: Participant):
    invite, lead = await new_cohort(bot_admin, "MC-A")
    fiona = Participant(fake, fake.user("Fiona"))
    await become_facilitator(fiona, lead, "MC-A")
    return invite, fiona


async def consent_privately(p: Participant, invite: str | None = None) -> None:
    await p.command("/start", payload=invite)
    await p.press("Yes, keep my answers")
    await p.expect("Pick a dialogue")


async def test_a_whole_group_session(fake, tmp_path):
    ada = Participant(fake, fake.user("Ada"))
    async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(ada.user.id)}), **FAST) as bot:
        invite, fiona = await setup(fake, ada)
        alice, bob, carl, mallory = (Participant(fake, fake.user(n)) for n in ("Alice", "Bob", "Carl", "Mallory"))
        for member in (alice, bob):
            await consent_privately(member, invite)
        await carl.command("/start", payload=invite)  # a member of the cohort who keeps nothing
        await carl.press("No, keep nothing")
        await carl.expect("nothing you write will be kept")
        group = fake.group("MC-A group", admins=[fiona.user], members=[alice.user, bob.user, carl.user, mallory.user])
        room = Room(fake, group)

        # Alice is in the middle of a private dialogue at the same time.
        await alice.press(TITLE)
        await alice.press("5")
        await alice.expect("Step 2 of 12")

        fake.send_command(fiona.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("Group session: Worth the paper?")
        stance_poll = await room.poll(0)
        fake.vote(alice.user, stance_poll.message_id, [1], chat=group)
        fake.vote(bob.user, stance_poll.message_id, [3], chat=group)
        fake.vote(bob.user, stance_poll.message_id, [], chat=group)  # retracted
        fake.vote(bob.user, stance_poll.message_id, [2], chat=group)
        fake.vote(carl.user, stance_poll.message_id, [4], chat=group)  # no consent: not kept

        control = await room.control(0)
        fake.press(mallory.user, control.message_id, "Next ▶", chat=group)
        await fake.wait_for_async(
            lambda: any("Only the course's facilitators" in (a.get("text") or "") for a in fake.callback_answers),
            what="Mallory refused",
        )
        assert not any("Step 2 of" in (m.text or "") for m in room.bot_messages()), "nothing changed"

        pressed = await room.next(fiona, 0)
        q_value = await room.question("what could being taken seriously mean", pressed)
        assert fake.send_text(alice.user, "a message to the room, not a reply", chat=group) is None, "privacy mode"
        fake.reply(alice.user, group, q_value.message_id, "Group, Alice: " + THICK)
        fake.reply(bob.user, group, q_value.message_id, "Quite a lot.")  # short: the probe
        probe = await room.expect("concrete example", after=q_value.message_id)
        assert probe.reply_markup.get("force_reply") and probe.reply_markup.get("selective")
        fake.reply(bob.user, group, probe.message_id, "Group, Bob after the follow-up: " + THICK)
        fake.reply(carl.user, group, q_value.message_id, "Carl's answer is not kept, because no consent.")
        fake.reply(carl.user, group, q_value.message_id, "Carl again.")
        await room.expect("your answer is not kept yet", after=q_value.message_id)
        await room.expect("Answers so far: 2", after=q_value.message_id)
        notices = [m for m in room.bot_messages() if "not kept yet" in (m.text or "")]
        assert len(notices) == 1 and notices[0].button_labels == ["Agree privately"]

        # Alice answers her private dialogue in between: it stays separate.
        await alice.write("Private, Alice: " + THICK)
        await alice.expect("What would convince you")

        # q-evidence, choice, viewpoint, assumptions, implications, stance, fit, what, so what, now what, end
        for step in range(11):
            pressed = await room.next(fiona, pressed)
            if step == 1:
                choice_poll = await room.poll(pressed)
                fake.vote(alice.user, choice_poll.message_id, [1], chat=group)
                fake.vote(bob.user, choice_poll.message_id, [1], chat=group)
            if step == 2:
                await room.question("You are hiring a lab data analyst", pressed)
            if step == 5:
                after_poll = await room.poll(pressed)
                fake.vote(alice.user, after_poll.message_id, [3], chat=group)
                fake.vote(bob.user, after_poll.message_id, [4], chat=group)
        await room.expect("Session finished. 2 members took part", after=pressed)
        await room.expect("/portfolio", after=pressed)
        await fake.wait_for_async(lambda: any(m.photo for m in room.bot_messages()), what="the chart")

        await alice.command("/portfolio")
        alice_docs = await fake.wait_for_async(
            lambda: [m for m in fake.messages(alice.chat) if m.document and m.document[0].endswith(".md")] or None,
            what="Alice's portfolio",
        )
        markdown = alice_docs[-1].document[1].decode()
        assert "Group, Alice: " + THICK in markdown and "Private, Alice: " + THICK in markdown
        assert "Bob" not in markdown and "Carl" not in markdown

        _, data = await export(fake, fiona, "MC-A", "CSV")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        grouped = {(r["participant"].split(" ")[0], r["answer"]) for r in rows if r["group_session"]}
        assert grouped == {
            ("Alice", "Group, Alice: " + THICK),
            ("Bob", "Quite a lot."),
            ("Bob", "Group, Bob after the follow-up: " + THICK),
        }
        assert {r["answer"] for r in rows if not r["group_session"]} == {"Private, Alice: " + THICK}

        stances = {
            (s["participant_id"], s["phase"], s["value"])
            for s in bot.storage.db["stances"].rows
            if s["group_session_id"]
        }
        alice_id = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        bob_id = bot.storage.participants.get_or_create("telegram", str(bob.user.id)).id
        assert stances == {(alice_id, "before", 2), (bob_id, "before", 3), (alice_id, "after", 4), (bob_id, "after", 5)}
        carl_id = bot.storage.participants.get_or_create("telegram", str(carl.user.id)).id
        assert bot.storage.runs.reflections(carl_id) == [] and bot.storage.runs.stances(carl_id) == []


async def test_two_groups_at_once_do_not_cross(fake, tmp_path):
    ada = Participant(fake, fake.user("Ada"))
    async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(ada.user.id)}), **FAST) as bot:
        invite, fiona = await setup(fake, ada)
        alice, bob = Participant(fake, fake.user("Alice")), Participant(fake, fake.user("Bob"))
        await consent_privately(alice, invite)
        await consent_privately(bob, invite)
        one = Room(fake, fake.group("One", admins=[fiona.user], members=[alice.user]))
        two = Room(fake, fake.group("Two", admins=[fiona.user], members=[bob.user]))
        fake.send_command(fiona.user, "/session", payload="value-and-trust", chat=one.chat)
        fake.send_command(fiona.user, "/session", payload="recognition", chat=two.chat)
        first = await one.next(fiona, await one.control(0) and 0)
        second = await two.next(fiona, 0)
        q_one = await one.question("taken seriously", first)
        q_two = await two.question("?", second)
        fake.reply(alice.user, one.chat, q_one.message_id, "One: " + THICK)
        fake.reply(bob.user, two.chat, q_two.message_id, "Two: " + THICK)
        await one.expect("Answers so far: 1", after=q_one.message_id)
        await two.expect("Answers so far: 1", after=q_two.message_id)
        rows = list(
            bot.storage.db.query(
                "select r.answer, r.dialogue_id, g.chat from reflections r join group_sessions g on g.id = r.group_session_id"
            )
        )
        assert {(r["answer"][:4], r["dialogue_id"], int(r["chat"])) for r in rows} == {
            ("One:", "value-and-trust", one.id),
            ("Two:", "recognition", two.id),
        }


async def first_question(fake, ada: Participant, title: str):
    """A facilitator and one consenting member in a new group, the session at its first question."""
    invite, fiona = await setup(fake, ada)
    alice = Participant(fake, fake.user("Alice"))
    await consent_privately(alice, invite)
    group = fake.group(title, admins=[fiona.user], members=[alice.user])
    room = Room(fake, group)
    fake.send_command(fiona.user, "/session", payload="value-and-trust", chat=group)
    pressed = await room.next(fiona, 0)
    question = await room.question("taken seriously", pressed)
    return fiona, alice, group, room, question


async def test_session_survives_the_group_becoming_a_supergroup(fake, tmp_path):
    ada = Participant(fake, fake.user("Ada"))
    async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(ada.user.id)}), **FAST) as bot:
        fiona, alice, group, room, question = await first_question(fake, ada, "Small")
        fake.reply(alice.user, group, question.message_id, "Before the upgrade: " + THICK)
        await room.expect("Answers so far: 1", after=question.message_id)
        bigger = Room(fake, fake.migrate(group))
        await fake.wait_for_async(
            lambda: bot.storage.groups.open_in(str(bigger.id)) is not None,
            what="the session follows the new chat id",
        )
        fake.send_command(fiona.user, "/next", chat=bigger.chat)
        await bigger.question("What would convince you", 0)
        session = bot.storage.groups.open_in(str(bigger.id))
        assert session.state["node"] == "q-evidence"
        rows = bot.storage.db["reflections"].rows
        assert [r["chat"] for r in rows] == [str(bigger.id)]


async def test_removing_the_bot_ends_the_session_and_keeps_the_answers(fake, tmp_path):
    ada = Participant(fake, fake.user("Ada"))
    async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(ada.user.id)}), **FAST) as bot:
        _, alice, group, _, question = await first_question(fake, ada, "Leaving")
        fake.reply(alice.user, group, question.message_id, THICK)
        fake.remove_member(group, alice.user)
        fake.remove_bot(group)
        await fake.wait_for_async(lambda: bot.storage.groups.open_in(str(group.id)) is None, what="the session ended")
        # A member's reply has its own line in the per-chat order, so it may be handled just after the
        # removal: it is kept all the same (it was written to the session).
        await fake.wait_for_async(lambda: bot.storage.db["reflections"].count >= 1, what="the reply stored")
        assert [r["answer"] for r in bot.storage.db["reflections"].rows] == [THICK]


async def test_a_session_completes_under_the_group_rate_limit(fake, tmp_path):
    """The fake allows 10 messages per 2 s in a group; the bot paces at 20 per 2 s, so it meets 429s."""
    ada = Participant(fake, fake.user("Ada"))
    fake.group_rate_limit(per_minute=10, window=2.0)
    settings = {**FAST, "group_rate": (20, 2.0)}
    async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(ada.user.id)}), **settings):
        _invite, fiona = await setup(fake, ada)
        group = fake.group("Busy", admins=[fiona.user])
        room = Room(fake, group)
        fake.send_command(fiona.user, "/session", payload="value-and-trust", chat=group)
        pressed = 0
        for _ in range(12):
            pressed = await room.next(fiona, pressed)
        await room.expect("Session finished", after=pressed, timeout=60)
        assert [r for r in fake.requests if r.status == 429], "the limit was really hit"
        texts = [m.text or "" for m in room.bot_messages() if not (m.text or "").startswith("Session finished")]

        for fragment in (
            "Meet Lena",
            "The case for the micro-credential",
            "The case against",
            "Pick a role",
            "What does that comparison take for granted",
            "For your portfolio",
        ):
            assert sum(fragment in t for t in texts) == 1, fragment
        assert sum((m.text or "").startswith("Session finished") for m in room.bot_messages()) == 1


async def test_group_steering_by_group_admins_and_refusals(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db", **FAST):
        gina = Participant(fake, fake.user("Gina"))
        paul = Participant(fake, fake.user("Paul"))
        group = fake.group("Own", admins=[gina.user], members=[paul.user])
        room = Room(fake, group)
        fake.send_command(paul.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("Only the course's facilitators and this group's admins")
        fake.send_command(gina.user, "/session", chat=group)
        picker = await room.expect("Which dialogue")
        fake.press(gina.user, picker.message_id, TITLE, chat=group)
        await room.expect("Group session: Worth the paper?")
        fake.send_command(gina.user, "/session", payload="recognition", chat=group)
        await room.expect("A session is already running here")
        fake.send_command(paul.user, "/endsession", chat=group)
        await room.expect("Only the course's facilitators", after=picker.message_id)
        fake.send_command(gina.user, "/pause", chat=group)
        await room.expect("Session paused")
        fake.send_command(gina.user, "/next", chat=group)
        await room.expect("The session is paused")
        fake.send_command(gina.user, "/continue", chat=group)
        await room.expect("Session continues")
        fake.send_command(gina.user, "/endsession", chat=group)
        await room.expect("Session finished. 0 members took part")
        assert fake.polls(group.id)[0].is_closed, "ending closes the open poll"


async def test_edited_replies_and_forum_topics(fake, tmp_path):
    ada = Participant(fake, fake.user("Ada"))
    async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(ada.user.id)}), **FAST) as bot:
        invite, fiona = await setup(fake, ada)
        alice = Participant(fake, fake.user("Alice"))
        await consent_privately(alice, invite)
        group = fake.group("Forum", supergroup=True, forum=True, admins=[fiona.user], members=[alice.user])
        room = Room(fake, group)
        first = fake.create_topic(group, "Week 1", by=fiona.user)
        second = fake.create_topic(group, "Week 2", by=fiona.user)
        fake.send_text(fiona.user, "/session value-and-trust", chat=group, thread_id=first)
        fake.send_text(fiona.user, "/session recognition", chat=group, thread_id=second)

        await fake.wait_for_async(
            lambda: len(bot.storage.groups.all_open_in(str(group.id))) == 2, what="one session per topic"
        )
        sessions = {s.thread: s for s in bot.storage.groups.all_open_in(str(group.id))}
        assert sessions[first].dialogue_id == "value-and-trust" and sessions[second].dialogue_id == "recognition"
        control = await fake.wait_for_async(
            lambda: next((m for m in room.bot_messages() if "Next ▶" in m.button_labels and m.thread_id == first), None)
        )
        fake.press(fiona.user, control.message_id, "Next ▶", chat=group)
        question = await fake.wait_for_async(
            lambda: next((m for m in room.bot_messages() if m.force_reply and m.thread_id == first), None)
        )
        sent = fake.reply(alice.user, group, question.message_id, "First version, because I had to think.")
        await room.expect("Answers so far: 1", after=question.message_id)
        fake.edit_text(alice.user, sent["message"]["message_id"], "Second version, because I thought more.", chat=group)
        await fake.wait_for_async(
            lambda: bot.storage.db.execute("select answer from reflections").fetchone()[0].startswith("Second"),
            what="the edit stored",
        )
        (row,) = bot.storage.db["reflections"].rows
        assert json.loads(row["history"])[0]["answer"] == "First version, because I had to think."
