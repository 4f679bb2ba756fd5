"""Kill the bot with SIGKILL while participants are mid-dialogue, restart it, and check that
nothing anyone sent was lost, stored twice, or left without an answer.

The walkers behave as people do who trust the bot: they answer the step they are shown and then
wait for the next one, without re-asking. So a lost update or a lost reply shows up as a walker
who never gets their next step. Kills come at random moments and also within milliseconds of a
burst of answers from many participants at once.

Used by the test suite (a fast variant) and by `python -m tests.support.chaos` (longer variants).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
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
RECAP = "Your recap"
PROMPT = re.compile(r"Step \d+ of \d+|Pick a role|Your recap")
REPLY_WAIT = 60.0
"""How long a walker waits for its next step: the bot may be dead and restarting meanwhile."""


def step_of(text: str) -> str:
    """Which step a message shows: its last "Step n of m" (a message may begin with the note of the
    choice before it, or with the last step's feedback, so its whole text is not the step's)."""
    found = re.findall(r"Step \d+ of \d+", text)
    return found[-1] if found else text


@dataclass
class Walker:
    """One participant who answers whatever step the bot shows, once, and waits for the next."""

    fake: FakeTelegram
    name: str
    sent: list[str] = field(default_factory=list)
    """Every answer this participant wrote, whether or not a reply came before a kill."""
    done: bool = False
    stuck: str | None = None

    def __post_init__(self) -> None:
        self.user = self.fake.user(self.name)
        self.seen = 0
        self.answered: set[str] = set()
        """Steps already answered (step_of): the same step shown again (a redelivery after a restart)
        is not answered twice, as a person would not."""
        self.wrote = asyncio.Event()

    def latest(self):
        for message in reversed(self.fake.messages(self.user.id, include_deleted=False)):
            if message.message_id <= self.seen:
                return None
            text = message.text or ""
            if PROMPT.search(text) and (RECAP in text or step_of(text) not in self.answered):
                return message
        return None

    async def next_step(self):
        try:
            return await self.fake.wait_for_async(self.latest, REPLY_WAIT, f"the next step for {self.name}")
        except AssertionError:
            return None


async def _consent_and_open(fake: FakeTelegram, walkers: list[Walker]) -> None:
    for w in walkers:
        fake.send_command(w.user, "/start")
    for w in walkers:
        message = await fake.wait_for_message_async(w.user.id, "may we keep your answers", timeout=60)
        fake.press(w.user, message.message_id, "Yes, keep my answers")
    for w in walkers:
        menu = await fake.wait_for_message_async(w.user.id, "Pick a dialogue", timeout=60)
        fake.press(w.user, menu.message_id, TITLE)


async def run(participants: int, kills: int, seed: int, workdir: Path, max_seconds: float = 300) -> dict:
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
            players = [asyncio.create_task(_play(w, deadline)) for w in walkers]
            for kill in range(kills):
                if kill % 2:
                    await asyncio.sleep(rng.uniform(0.3, 1.5))  # a random moment
                else:
                    await _burst(walkers, rng)  # within milliseconds of many answers at once
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


async def _burst(walkers: list[Walker], rng: random.Random) -> None:
    """Wait until a good share of the walkers have just written an answer, then a few ms more."""
    for w in walkers:
        w.wrote.clear()
    want = max(1, len(walkers) // 3)
    end = time.monotonic() + 20
    while sum(w.wrote.is_set() for w in walkers) < want and time.monotonic() < end:
        await asyncio.sleep(0.001)
    await asyncio.sleep(rng.uniform(0.0, 0.02))


async def _play(walker: Walker, deadline: float) -> None:
    """Play from the opened dialogue (its first step is already on its way)."""
    while not walker.done and time.monotonic() < deadline:
        prompt = await walker.next_step()
        if prompt is None:
            walker.stuck = f"no next step after message {walker.seen}"
            return
        walker.seen = prompt.message_id
        text = prompt.text or ""
        if RECAP in text:
            walker.done = True
            return
        walker.answered.add(step_of(text))
        if prompt.button_labels:
            walker.fake.press(walker.user, prompt.message_id, prompt.button_labels[1])
        else:
            answer = ANSWER.format(n=len(walker.sent) + 1, who=walker.name)
            walker.sent.append(answer)
            walker.fake.send_text(walker.user, answer)
            walker.wrote.set()


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
        assert w.stuck is None, f"{w.user.first_name}: {w.stuck}"
        assert w.done, f"{w.user.first_name} did not finish in time"
        for answer in w.sent:
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
