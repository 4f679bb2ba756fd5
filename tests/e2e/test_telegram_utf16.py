"""End to end: a participant writes answers as long as Telegram lets them (4,096 UTF-16 units),
full of emoji, and gets a recap Telegram accepts, with every character of every answer in it."""

from __future__ import annotations

import re

from ..support.bot_harness import TITLE, Participant, running_bot

PHRASE = (
    "I trust it because 👨‍👩‍👧👨‍👩‍👧 my 🇪🇺🇪🇺🇪🇺 saw 👍🏽👍🏽 the project, for example ❤️ a café <&> 😀😀😀😀😀😀😀😀 "
)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def longest_answer(seed: str) -> str:
    """Emoji-heavy text as long as a message a user can send."""
    text = seed
    while units(text + PHRASE) <= 4096:
        text += PHRASE
    while units(text + "😀") <= 4096:
        text += "😀"
    return text


async def consent(p: Participant) -> None:
    await p.command("/start")
    await p.expect("may we keep your answers?")
    await p.press("Yes, keep my answers")
    await p.expect("Pick a dialogue")


async def play_with(p: Participant, answers: list[str]) -> None:
    """The first dialogue from start to recap, writing `answers` in turn."""
    await p.press(TITLE)
    await p.expect("Before we start: how far do you agree?")
    await p.press("2")
    await p.expect("Step 2 of 12")
    await p.write(answers[0])
    await p.expect("What would convince you")
    await p.write(answers[1])
    await p.expect("Pick a role")
    await p.press("A hiring manager")
    await p.expect("You are hiring a lab data analyst")
    await p.write(answers[2])
    await p.expect("What does that comparison take for granted")
    await p.write(answers[3])
    await p.expect("ten years")
    await p.write(answers[4])
    await p.expect("Now, after thinking it through")
    await p.press("4")
    await p.expect("You rated the claim 2 at the start and 4 now")
    await p.write(answers[5])
    await p.expect("For your portfolio")
    await p.write(answers[6])
    await p.expect("Why does that matter")
    await p.write(answers[7])
    await p.expect("the next time you choose a course")
    await p.write(answers[8])
    await p.expect("Your recap")
    await p.expect("What next?")


async def test_long_emoji_answers_reach_a_recap_telegram_accepts(fake, tmp_path):
    answers = [longest_answer(f"Answer {i}: ") for i in range(9)]
    assert all(4094 < units(a) <= 4096 and len(a) < 0.85 * units(a) for a in answers)
    async with running_bot(fake, tmp_path / "bot.db"):
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await play_with(alice, answers)
        fake.assert_no_violations()
        texts = alice.bot_texts()
        start = next(i for i, text in enumerate(texts) if "Your recap" in text)
        end = next(i for i, text in enumerate(texts) if "What next?" in text)
        recap = texts[start : end + 1]  # "What next?" is merged into the recap's last message
        assert all(units(text) <= 4096 for text in recap)
        shown = re.sub(r"\s", "", "".join(recap))
        position = 0
        for answer in answers:
            position = shown.index(re.sub(r"\s", "", answer), position) + 1
        family = "👨‍👩‍👧"
        assert "".join(recap).count(family) == sum(a.count(family) for a in answers), "an emoji was cut"
