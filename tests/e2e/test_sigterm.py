"""SIGTERM stops the bot within seconds even while it waits out a long flood limit, and what it
had not sent yet goes out after the restart."""

from __future__ import annotations

import signal
import time

from ..support.bot_harness import TITLE, Participant, bot_process

THICK = "It counts when an employer can read the outcomes, because they are listed, for example."


async def test_sigterm_while_waiting_out_a_minute_long_429(fake, tmp_path):
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    proc = bot_process(fake, db, log)
    try:
        alice = Participant(fake, fake.user("Alice"))
        await alice.command("/start")
        await alice.press("Yes, keep my answers")
        await alice.press(TITLE)
        await alice.press("3")
        await alice.expect("Step 2 of 12")
        fake.fail("sendMessage", times=1, kind="429", retry_after=60)
        await alice.write(THICK)
        await fake.wait_for_async(
            lambda: any(r.method == "sendMessage" and r.status == 429 for r in fake.requests), what="the 429"
        )
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert time.monotonic() - started < 8, "stopped within seconds, not after the minute"
        proc = bot_process(fake, db, log)
        await alice.expect("What would convince you", timeout=30)  # the reply owed, sent after the restart
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
