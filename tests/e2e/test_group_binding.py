"""End to end: a group session counts for a cohort only in a group bound to it by someone who may
(a facilitator of the cohort who is an admin of the group, or an administrator), and keeps only
the cohort's members' answers; staff buttons do nothing in groups; no edit that changes nothing."""

from __future__ import annotations

import csv
import io

from ..support.bot_harness import Participant, running_bot
from ..support.rooms import Room, consenting, two_courses
from ..support.staff import LINK, export

THICK = "It depends on the assessment, because a visible project shows what was learned, for example."
FAST = {"group_ack_seconds": 0.2, "group_rate": (30, 1.0)}


def people(fake) -> tuple[Participant, frozenset[str]]:
    ada = Participant(fake, fake.user("Ada"))
    return ada, frozenset({str(ada.user.id)})


def answers(data: bytes) -> set[tuple[str, str]]:
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return {(r["participant"].split(" ")[0], r["answer"]) for r in rows}


def cohort_of_sessions(bot) -> list:
    return [r["cohort_id"] for r in bot.storage.db["group_sessions"].rows]


def bindings(bot) -> dict[int, str]:
    names = {r["id"]: r["name"] for r in bot.storage.db["cohorts"].rows}
    return {int(r["chat"]): names[r["cohort_id"]] for r in bot.storage.db["group_bindings"].rows}


async def test_a_facilitator_cannot_collect_another_cohorts_answers_in_its_group(fake, tmp_path):
    """The attack: Fiona (MC-X only) starts a session in MC-Y's group; Yara of MC-Y answers."""
    ada, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins, **FAST) as bot:
        c = await two_courses(fake, ada)
        yara = await consenting(fake, "Yara", c.invite_y)
        group = fake.group("MC-Y group", admins=[c.yusuf.user], members=[c.fiona.user, yara.user])
        room = Room(fake, group)

        fake.send_command(c.fiona.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("")
        fake.send_command(c.fiona.user, "/next", chat=group)
        outcome = await fake.wait_for_async(
            lambda: next((m for m in room.bot_messages() if m.force_reply or "No session" in (m.text or "")), None),
            what="a question to answer, or no session",
        )
        if outcome.force_reply:  # the attack went through: Yara answers what she is asked
            fake.reply(yara.user, group, outcome.message_id, "Yara: " + THICK)
            await fake.wait_for_async(lambda: bot.storage.db["reflections"].count == 1, what="Yara's answer")

        assert cohort_of_sessions(bot) == [], "no session, so nothing recorded for MC-X"
        _, data = await export(fake, c.fiona, "MC-X", "CSV")
        assert answers(data) == set(), "Yara's answers are not in Fiona's export"
        assert "admin of this group" in room.texts()[0], "Fiona is told why not"

        # Yusuf, MC-Y's facilitator and the group's admin, runs it: it counts for MC-Y.
        fake.send_command(c.yusuf.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("(cohort MC-Y)")
        fake.send_command(c.fiona.user, "/next", chat=group)
        await room.expect("Only the course's facilitators")
        question = await room.question(await room.next(c.yusuf))
        fake.reply(yara.user, group, question.message_id, "Yara: " + THICK)
        await room.expect("Answers so far: 1", after=question.message_id)
        assert bindings(bot) == {group.id: "MC-Y"}
        _, data = await export(fake, c.yusuf, "MC-Y", "CSV")
        assert answers(data) == {("Yara", "Yara: " + THICK)}
        _, data = await export(fake, c.fiona, "MC-X", "CSV")
        assert answers(data) == set()


async def test_who_binds_a_group_and_who_may_rebind_it(fake, tmp_path):
    ada, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins, **FAST) as bot:
        c = await two_courses(fake, ada)
        group = fake.group("Shared", admins=[c.yusuf.user], members=[ada.user, c.fiona.user])
        room = Room(fake, group)

        # A facilitator who is not an admin of the group cannot bind it, even with the picker.
        fake.send_command(c.fiona.user, "/session", chat=group)
        picker = await room.expect("Which dialogue")
        fake.press(c.fiona.user, picker.message_id, "Worth the paper? How a micro-credential earns trust", chat=group)
        await room.expect("admin of this group", after=picker.message_id)
        assert bindings(bot) == {} and cohort_of_sessions(bot) == []

        # An administrator (not an admin of the group) binds it to MC-X with the first session.
        fake.send_command(ada.user, "/session", payload="value-and-trust MC-X", chat=group)
        await room.expect("now belongs to cohort MC-X")
        await room.expect("(cohort MC-X)")
        fake.send_command(ada.user, "/endsession", chat=group)
        ended = await room.expect("Session finished")

        # Now Fiona, MC-X's facilitator, runs sessions here without being a group admin.
        fake.send_command(c.fiona.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("(cohort MC-X)", after=ended.message_id)
        fake.send_command(c.fiona.user, "/endsession", chat=group)
        ended = await room.expect("Session finished", after=ended.message_id)

        # Yusuf, an admin of the group, cannot make it count for his cohort ...
        fake.send_command(c.yusuf.user, "/session", payload="value-and-trust MC-Y", chat=group)
        await room.expect("belongs to another cohort", after=ended.message_id)
        # ... he may run a session for no cohort, as the group's admin ...
        fake.send_command(c.yusuf.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("(cohort -)", after=ended.message_id)
        fake.send_command(c.yusuf.user, "/endsession", chat=group)
        ended = await room.expect("Session finished", after=ended.message_id)
        # ... and he cannot unbind it; an administrator can.
        fake.send_command(c.yusuf.user, "/unbind", chat=group)
        await room.expect("Only an administrator", after=ended.message_id)
        assert bindings(bot) == {group.id: "MC-X"}
        fake.send_command(ada.user, "/unbind", chat=group)
        unbound = await room.expect("no longer belongs to cohort MC-X", after=ended.message_id)
        fake.send_command(c.yusuf.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("now belongs to cohort MC-Y", after=unbound.message_id)
        await room.expect("(cohort MC-Y)", after=unbound.message_id)
        assert bindings(bot) == {group.id: "MC-Y"}
        fake.send_command(ada.user, "/unbind", chat=group)
        await room.expect("end it first", after=unbound.message_id)
        x, y = (bot.storage.cohorts.by_name(n).id for n in ("MC-X", "MC-Y"))
        assert cohort_of_sessions(bot) == [x, x, None, y]


async def test_non_members_get_the_join_notice_once_and_nothing_is_kept(fake, tmp_path):
    ada, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins, **FAST) as bot:
        c = await two_courses(fake, ada)
        alice = await consenting(fake, "Alice", c.invite_x)
        yara = await consenting(fake, "Yara", c.invite_y)
        olga = await consenting(fake, "Olga")
        group = fake.group("Fiona's", admins=[c.fiona.user], members=[alice.user, yara.user, olga.user])
        room = Room(fake, group)
        fake.send_command(c.fiona.user, "/session", payload="value-and-trust", chat=group)
        await room.expect("(cohort MC-X)")
        poll = await fake.wait_for_async(lambda: next((m for m in room.bot_messages() if m.poll), None))
        await fake.wait_for_async(lambda: bot.storage.db["group_messages"].count_where("kind = 'poll'") == 1)
        fake.vote(yara.user, poll.message_id, [1], chat=group)
        fake.vote(alice.user, poll.message_id, [3], chat=group)
        notice = await room.expect("you are not a member")
        assert notice.text.startswith("Yara,") and notice.button_labels == ["Join MC-X"]
        assert LINK.findall(notice.reply_markup["inline_keyboard"][0][0]["url"]) == [c.invite_x]

        question = await room.question(await room.next(c.fiona))
        fake.reply(yara.user, group, question.message_id, "Yara: " + THICK)
        fake.reply(alice.user, group, question.message_id, "Alice: " + THICK)
        fake.reply(yara.user, group, question.message_id, "Yara again: " + THICK)
        await room.expect("Answers so far: 1", after=question.message_id)

        bot.services.cohorts.change_code(bot.storage.cohorts.by_name("MC-X"), "invite", renew=False)
        fake.reply(olga.user, group, question.message_id, "Olga: " + THICK)
        closed = await room.expect("invitation link was withdrawn", after=question.message_id)
        assert closed.text.startswith("Olga,") and closed.button_labels == []
        fake.reply(olga.user, group, question.message_id, "Olga again: " + THICK)
        fake.send_command(c.fiona.user, "/endsession", chat=group)
        await room.expect("Session finished. 1 members took part", after=question.message_id)

        notices = [t for t in room.texts() if "not a member" in t]
        assert [n.split(",")[0] for n in notices] == ["Yara", "Olga"], "once per person and session"
        kept = {(r["answer"], r["cohort_id"]) for r in bot.storage.db["reflections"].rows}
        assert kept == {("Alice: " + THICK, bot.storage.cohorts.by_name("MC-X").id)}
        assert [s["value"] for s in bot.storage.db["stances"].rows] == [4], "only Alice's rating"
        _, data = await export(fake, c.fiona, "MC-X", "CSV")
        assert answers(data) == {("Alice", "Alice: " + THICK)}


async def test_a_forged_export_press_in_a_group_posts_nothing(fake, tmp_path):
    """Finding 5: the export buttons belong to a private chat; pressed in a group they do nothing."""
    ada, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins, **FAST) as bot:
        c = await two_courses(fake, ada)
        await consenting(fake, "Alice", c.invite_x)
        group = fake.group("Course", admins=[c.fiona.user])
        room = Room(fake, group)
        fake.send_command(c.fiona.user, "/next", chat=group)
        note = await room.expect("No session is running")
        cohort = bot.storage.cohorts.by_name("MC-X").id
        for data in (f"x:{cohort}", f"x:{cohort}:csv", f"x:{cohort}:zip"):
            update = fake.press_data(c.fiona.user, note.message_id, data, chat=group)
            query_id = update["callback_query"]["id"]
            await fake.wait_for_async(
                lambda q=query_id: any(a.get("callback_query_id") == q for a in fake.callback_answers),
                what="the press answered",
            )
        assert [m.message_id for m in room.bot_messages()] == [note.message_id], "nothing posted in the group"
        assert not any(m.document for m in fake.messages(c.fiona.chat)), "nor privately"
        assert not any(r.method == "sendDocument" for r in fake.requests)
        assert bot.storage.db["audit"].count == 0, "no export was made"


async def test_a_session_sends_no_edit_that_changes_nothing(fake, tmp_path):
    """Finding 12: every editMessageText and editMessageReplyMarkup in a session changes the message."""
    ada, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins, **FAST) as bot:
        c = await two_courses(fake, ada)
        alice = await consenting(fake, "Alice", c.invite_x)
        bob = await consenting(fake, "Bob", c.invite_x)
        group = fake.group("Edits", admins=[c.fiona.user], members=[alice.user, bob.user])
        room = Room(fake, group)
        fake.send_command(c.fiona.user, "/session", payload="value-and-trust", chat=group)
        pressed = await room.next(c.fiona)
        question = await room.question(pressed)
        fake.reply(alice.user, group, question.message_id, "Quite a lot.")  # short: the probe
        probe = await room.expect("concrete example", after=question.message_id)
        await room.expect("Answers so far: 1", after=question.message_id)
        fake.reply(alice.user, group, probe.message_id, "After the follow-up: " + THICK)  # not counted
        await fake.wait_for_async(lambda: bot.storage.db["reflections"].count == 2, what="the follow-up stored")
        fake.reply(bob.user, group, question.message_id, "Bob: " + THICK)
        await room.expect("Answers so far: 2", after=question.message_id)
        for _ in range(11):
            pressed = await room.next(c.fiona, pressed)
        await room.expect("Session finished", after=pressed)

        edits = [
            r
            for r in fake.requests
            if r.method in ("editMessageText", "editMessageReplyMarkup") and r.params.get("chat_id") == group.id
        ]
        assert edits and all(r.ok for r in edits), [r.description for r in edits if not r.ok]
        controls = [m for m in room.bot_messages() if "Answers so far" in (m.text or "")]
        stripped = [r.params["message_id"] for r in edits if r.method == "editMessageReplyMarkup"]
        assert sorted(stripped) == [m.message_id for m in controls], "each control message stripped once"
        assert all(m.button_labels == [] for m in controls)
