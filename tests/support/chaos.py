"""Kill the bot with SIGKILL at random moments while participants are mid-dialogue, restart it,
let everyone finish; then check that nothing acknowledged was lost or stored twice.

Used by the test suite (a fast variant) and by `python -m tests.support.chaos` (longer variants).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.storage import Storage

from .bot_harness import TITLE, bot_process
from .fake_telegram import FakeTelegram

ANSWER = "Attempt {n} of {who}, because every answer counts, for example this one."
PROMPTS = ("Step ", "Pick a role", "Your recap", "No dialogue is in progress")
FINISHED = ("Your recap", "No dialogue is in progress")
"""The recap, or, when the bot died between storing the last step and sending the recap, /resume
saying nothing is in progress (the menu then shows the dialogue as done)."""
REPLY_WAIT = 4.0


@dataclass
class Walker:
    """One participant who answers whatever step the bot shows, and re-asks with /resume when a
    reply does not come (as a person would after the bot restarted)."""

    fake: FakeTelegram
    name: str
    acknowledged: list[str] = field(default_factory=list)
    attempts: int = 0
    done: bool = False

    def __post_init__(self) -> None:
        self.user = self.fake.user(self.name)
        self.seen = 0

    def latest(self):
        for message in reversed(self.fake.messages(self.user.id, include_deleted=False)):
            if message.message_id > self.seen and any(p in (message.text or "") for p in PROMPTS):
                return message
        return None

    async def wait_prompt(self, timeout: float = REPLY_WAIT):
        try:
            return await self.fake.wait_for_async(self.latest, timeout, f"a step for {self.name}")
        except AssertionError:
            return None


async def _consent_and_open(fake: FakeTelegram, walkers: list[Walker]) -> None:
    for w in walkers:
        fake.send_command(w.user, "/start")
    for w in walkers:
        message = await fake.wait_for_message_async(w.user.id, "may we keep your answers", timeout=30)
        fake.press(w.user, message.message_id, "Yes, keep my answers")
    for w in walkers:
        menu = await fake.wait_for_message_async(w.user.id, "Pick a dialogue", timeout=30)
        fake.press(w.user, menu.message_id, TITLE)


async def run(participants: int, kills: int, seed: int, workdir: Path, max_seconds: float = 240) -> dict:
    """The scenario; returns what it found (and raises AssertionError when something was lost)."""
    rng = random.Random(seed)
    db, log = workdir / "chaos.db", workdir / "chaos.log"
    env = {"ELENCHUS_RATE": "1000/1"}
    with FakeTelegram() as fake:
        walkers = [Walker(fake, f"P{i}") for i in range(participants)]
        bot = bot_process(fake, db, log, env)
        try:
            await _consent_and_open(fake, walkers)
            deadline = time.monotonic() + max_seconds
            players = [asyncio.create_task(_play_open(w, deadline)) for w in walkers]
            for _ in range(kills):
                await asyncio.sleep(rng.uniform(0.3, 1.5))
                bot.send_signal(signal.SIGKILL)
                bot.wait(timeout=30)
                bot = bot_process(fake, db, log, env)
            await asyncio.gather(*players)
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
        fake.assert_no_violations()
    return _verify(db, walkers)


async def _play_open(walker: Walker, deadline: float) -> None:
    """Play from the opened dialogue (the first step is already on its way)."""
    while not walker.done and time.monotonic() < deadline:
        prompt = await walker.wait_prompt()
        if prompt is None:
            walker.fake.send_command(walker.user, "/resume")
            continue
        walker.seen = prompt.message_id
        text = prompt.text or ""
        if any(f in text for f in FINISHED):
            walker.done = True
        elif prompt.button_labels:
            walker.fake.press(walker.user, prompt.message_id, prompt.button_labels[1])
        else:
            walker.attempts += 1
            answer = ANSWER.format(n=walker.attempts, who=walker.name)
            walker.fake.send_text(walker.user, answer)
            if await walker.wait_prompt() is not None:  # the next step came: the answer was acknowledged
                walker.acknowledged.append(answer)


def _verify(db: Path, walkers: list[Walker]) -> dict:
    store = Storage(db)
    try:
        rows = store.db.execute(
            "select p.external_id, r.answer, r.node_id from reflections r join participants p "
            "on p.id = r.participant_id order by r.id"
        ).fetchall()
        finished = store.db.execute("select count(*) from runs where status = 'finished'").fetchone()[0]
    finally:
        store.close()
    by_person: dict[str, list[tuple[str, str]]] = {}
    for external_id, answer, node in rows:
        by_person.setdefault(external_id, []).append((answer, node))
    for w in walkers:
        stored = by_person.get(str(w.user.id), [])
        answers = [a for a, _ in stored]
        nodes = [n for _, n in stored]
        assert w.done, f"{w.user.first_name} did not finish"
        for answer in w.acknowledged:
            assert answers.count(answer) == 1, f"{w.user.first_name}: {answer!r} stored {answers.count(answer)} times"
        assert len(nodes) == len(set(nodes)), f"{w.user.first_name} answered a step twice: {nodes}"
    return {"participants": len(walkers), "answers": len(rows), "finished_runs": finished}


def main() -> None:
    parser = argparse.ArgumentParser(description="Kill the bot at random moments; check nothing is lost.")
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(run(args.participants, args.kills, args.seed, Path(tmp)))
    print(f"ok: {found}")


if __name__ == "__main__":
    main()
