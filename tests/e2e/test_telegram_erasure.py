"""End to end, through the real bot and the fake Bot API server: /forget leaves no copy of the
answers on disk (database file, write-ahead log, shared memory), and an edit made after consent
was withdrawn is not stored, and the participant is told so."""

from __future__ import annotations

import uuid

from ..support.bot_harness import TITLE, Participant, running_bot
from ..support.disk import traces

THICK = "I would check how it was assessed, because a transparent test shows what was learned, for example a project."


async def consent(p: Participant) -> None:
    await p.command("/start")
    await p.expect("may we keep your answers?")
    await p.press("Yes, keep my answers")
    await p.expect("Pick a dialogue")


async def first_answers(p: Participant, mark: str) -> dict:
    """Rate the claim, answer two questions (the first one edited); returns the first answer's update."""
    await p.press(TITLE)
    await p.press("3")
    await p.expect("Step 2 of 12")
    sent = await p.write(f"{THICK} {mark}")
    await p.expect("What would convince you")
    p.fake.edit_text(p.user, sent["message"]["message_id"], f"{THICK} edited {mark}")
    await p.expect("I have updated your answer")
    await p.write(f"{THICK} {mark}")
    await p.expect("Pick a role")
    return sent


async def test_forget_leaves_no_copy_of_the_answers_on_disk(fake, tmp_path):
    db, gone, kept = tmp_path / "bot.db", f"GONE{uuid.uuid4().hex}", f"KEPT{uuid.uuid4().hex}"
    async with running_bot(fake, db) as bot:
        alice = Participant(fake, fake.user("Alice"))
        bob = Participant(fake, fake.user("Bob"))
        await consent(alice)
        await consent(bob)
        await first_answers(alice, gone)
        await first_answers(bob, kept)
        assert sum(traces(db, gone).values()) > 0, "the answers are on disk before /forget"
        await alice.command("/forget")
        await alice.press("Yes, delete everything")
        await alice.expect("Deleted. Answers: 2, ratings: 1, dialogue runs: 1, consent records: 1.")
        assert traces(db, gone) == dict.fromkeys(traces(db, gone), 0), "while the bot is running"
        pid = bot.storage.participants.find("telegram", str(bob.user.id)).id
        assert [kept in r.answer for r in bot.storage.runs.reflections(pid)] == [True, True]
    assert sum(traces(db, gone).values()) == 0 and sum(traces(db, kept).values()) > 0


async def test_an_edit_after_consent_is_withdrawn_is_not_kept(fake, tmp_path):
    db, mark = tmp_path / "bot.db", f"EDIT{uuid.uuid4().hex}"
    async with running_bot(fake, db) as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await alice.press(TITLE)
        await alice.press("3")
        await alice.expect("Step 2 of 12")
        kept = await alice.write("Kept: " + THICK)
        await alice.expect("What would convince you")
        await alice.command("/privacy")
        await alice.press("Stop keeping my answers")
        await alice.expect("from now on nothing you write is kept")
        fake.edit_text(alice.user, kept["message"]["message_id"], f"Edited after withdrawing: {THICK} {mark}")
        await alice.expect("I did not keep this edit")
        await alice.command("/resume")
        await alice.expect("What would convince you")
        unkept = await alice.write("Not kept: " + THICK)
        await alice.expect("Pick a role")
        fake.edit_text(alice.user, unkept["message"]["message_id"], f"Edited, never kept: {THICK} {mark}")
        await alice.expect("I did not keep this edit")
        pid = bot.storage.participants.find("telegram", str(alice.user.id)).id
        (row,) = bot.storage.runs.reflections(pid)
        assert (row.answer, row.history, row.edited) == ("Kept: " + THICK, [], None)
        assert all(mark not in str(r.state) for r in bot.storage.runs.of(pid))
        assert sum(traces(db, mark).values()) == 0, "the edited text is nowhere on disk"
        assert not any("I have updated your answer" in text for text in alice.bot_texts())
