"""What the bot survives: a full disk, a read-only database, a flaky Bot API, and random input."""

from __future__ import annotations

import pytest

from ..support.bot_harness import TITLE, Participant, running_bot

THICK = "I would look at the assessment, because it shows what was learned, for example a project."
FAST = {"rate": (1000, 1.0)}


async def start_answering(fake, bot_db):
    alice = Participant(fake, fake.user("Alice"))
    await alice.command("/start")
    await alice.press("Yes, keep my answers")
    await alice.press(TITLE)
    await alice.press("3")
    await alice.expect("Step 2 of 12")
    return alice


@pytest.mark.parametrize(
    ("fault", "undo"),
    [
        # SQLite's own "database or disk is full": the file may not grow beyond its current pages.
        ("PRAGMA max_page_count = {pages}", "PRAGMA max_page_count = 1073741823"),
        # A read-only database, as after a remount: every write is refused.
        ("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
    ],
    ids=["disk-full", "read-only"],
)
async def test_a_refused_write_says_so_keeps_nothing_half_written_and_recovers(fake, tmp_path, fault, undo):
    async with running_bot(fake, tmp_path / "bot.db", **FAST) as bot:
        alice = await start_answering(fake, bot)
        db = bot.storage.db
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        before = db.execute("select count(*) from reflections").fetchone()[0], bot.storage.runs.get(1).state
        db.execute(fault.format(pages=pages))
        await alice.write("Lost? " + THICK + " x" * 2000)  # needs new pages, which a full disk cannot give
        await alice.expect("could not save that just now")
        assert (db.execute("select count(*) from reflections").fetchone()[0], bot.storage.runs.get(1).state) == before
        db.execute(undo)
        await alice.write("Again: " + THICK)
        await alice.expect("What would convince you")
        assert [r["answer"] for r in bot.storage.db["reflections"].rows] == ["Again: " + THICK]


async def test_429_500_and_timeouts_for_a_while_every_message_arrives_once_in_order(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db", **FAST):
        people = [Participant(fake, fake.user(name)) for name in ("Ann", "Ben", "Cem")]
        for p in people:
            await p.command("/start")
            await p.press("Yes, keep my answers")
            await p.expect("Pick a dialogue")
        fake.fail(None, times=3, kind="429", retry_after=1)
        fake.fail("sendMessage", times=3, kind="500")
        fake.fail("sendMessage", times=1, kind="timeout", hold=6.0)
        for p in people:
            await p.press(TITLE)
        for p in people:
            await p.expect("Before we start", timeout=30)
            await p.press("4")
        for p in people:
            await p.expect("Step 2 of 12", timeout=30)
        expected = ["Worth the paper?", "Meet Lena", "Before we start", "The case against", "Step 2"]
        for p in people:
            all_texts = p.bot_texts()
            after_menu = all_texts[max(i for i, t in enumerate(all_texts) if "Pick a dialogue" in t) + 1 :]
            turn = "\n".join(after_menu)  # a turn's texts are merged into as few messages as fit
            assert [turn.count(e) for e in expected] == [1] * len(expected), (p.user.first_name, turn[:300])
            positions = [turn.index(e) for e in expected]
            assert positions == sorted(positions), (p.user.first_name, positions)
        assert [r for r in fake.requests if r.status == 429] and [r for r in fake.requests if r.status == 500]


async def test_kill_9_at_random_moments_while_50_participants_are_mid_dialogue(tmp_path):
    from ..support.chaos import run

    found = await run(participants=50, kills=2, seed=7, workdir=tmp_path)
    assert found["participants"] == 50 and found["finished_runs"] == 50


async def test_kill_9_within_milliseconds_of_bursts_of_answers_loses_nothing(tmp_path):
    """Every answer sent is stored exactly once, and everyone gets their next step without
    sending anything else, across four kills (two right after bursts of answers)."""
    from ..support.chaos import run

    found = await run(participants=24, kills=4, seed=11, workdir=tmp_path)
    assert found["participants"] == 24 and found["finished_runs"] == 24
