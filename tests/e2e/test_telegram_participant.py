"""End to end: the real bot (python-telegram-bot's HTTP stack, long polling) against the fake Bot API
server, which checks every request against the Bot API spec. The tests act as participants."""

from __future__ import annotations

import json
from dataclasses import asdict

from ..support.bot_harness import TITLE, Participant, running_bot

THICK = "I would check how it was assessed, because a transparent test shows what was learned, for example a project."


async def consent(p: Participant, accept: bool = True) -> None:
    await p.command("/start")
    await p.expect(f"Welcome to Elenchus, {p.user.first_name}")
    await p.expect("may we keep your answers?")
    await p.press("Yes, keep my answers" if accept else "No, keep nothing")
    await p.expect("Thank you. Your answers will be kept" if accept else "nothing you write will be kept")
    await p.expect("Pick a dialogue")


async def at_first_question(p: Participant, rating: str = "3") -> None:
    """Open the first dialogue from the menu, rate the claim, and wait for the first open question."""
    await p.press(TITLE)
    await p.press(rating)
    await p.expect("Step 2 of 12")


async def play_value_and_trust(p: Participant, answer: str = THICK, probe_reply: str | None = None) -> None:
    await p.press(TITLE)
    await p.expect("Meet Lena")
    await p.expect("Before we start: how far do you agree?")
    await p.press("2")
    await p.expect("Step 2 of 12")
    await p.write(answer)
    if probe_reply is not None:
        await p.expect("A follow-up:")
        await p.write(probe_reply)
    await p.expect("What would convince you")
    await p.write(THICK)
    await p.expect("Pick a role")
    await p.press("A hiring manager")
    await p.expect("You are hiring a lab data analyst")
    await p.write(THICK)
    await p.expect("What does that comparison take for granted")
    await p.write(THICK)
    await p.expect("ten years")
    await p.write(THICK)
    await p.expect("Now, after thinking it through")
    await p.press("4")
    await p.expect("You rated the claim 2 at the start and 4 now")
    await p.write(THICK)
    await p.expect("For your portfolio")
    await p.write(THICK)
    await p.expect("Why does that matter")
    await p.write(THICK)
    await p.expect("the next time you choose a course")
    await p.write(THICK)
    await p.expect("Your recap")
    await p.expect("What next?")


async def test_consent_then_a_whole_dialogue_then_the_portfolio(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await play_value_and_trust(alice, answer="dunno", probe_reply=THICK)
        recap = "\n".join(alice.bot_texts())
        assert "Your stance: 2 at the start, 4 at the end." in recap
        assert "dunno" in recap and THICK in recap
        used = next(m for m in fake.messages(alice.chat) if "Pick a role" in (m.text or ""))
        assert used.reply_markup is None and "→ A hiring manager" in used.text, "used buttons are taken off"
        assert fake.calls("sendChatAction"), "a typing indicator before longer texts"

        await alice.command("/portfolio")
        await alice.expect("Your portfolio")
        docs = await fake.wait_for_async(
            lambda: (
                [m for m in fake.messages(alice.chat) if m.document][-2:] or None
                if len([m for m in fake.messages(alice.chat) if m.document]) >= 2
                else None
            )
        )
        names = [d.document[0] for d in docs]
        assert names[0].endswith(".md") and names[1].endswith(".html")
        markdown, page = (d.document[1].decode() for d in docs)
        for text in (markdown, page):
            assert TITLE in text and "Ralston" not in text
            assert "dunno" in text and "Council of the European Union (2022)" in text
        assert "> " + THICK in markdown and "Your stance: 2 at the start, 4 at the end" in markdown
        assert page.startswith("<!DOCTYPE html>") and "<style>" in page

        reflections = bot.storage.runs.reflections(
            bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        )
        assert [r.answer for r in reflections] == ["dunno"] + [THICK] * 9
        assert reflections[1].probe == 1


async def test_declining_keeps_nothing_but_the_dialogue_runs(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        bob = Participant(fake, fake.user("Alice"))
        await consent(bob, accept=False)
        await play_value_and_trust(bob)
        assert "Your stance: 2 at the start, 4 at the end." in "\n".join(bob.bot_texts())
        pid = bot.storage.participants.get_or_create("telegram", str(bob.user.id)).id
        assert bot.storage.runs.reflections(pid) == [] and bot.storage.runs.stances(pid) == []
        dump = json.dumps(asdict(bot.storage.participants.everything_about(pid)))
        assert THICK not in dump
        await bob.command("/portfolio")
        await bob.expect("You have no reflections yet")


async def test_stale_and_forged_buttons_get_a_notice(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await alice.press(TITLE)
        stance = await alice.expect("Before we start")
        fake.press(alice.user, stance.message_id, "2")
        await alice.expect("Step 2 of 12")
        data = "s:" + stance.reply_markup["inline_keyboard"][0][0]["callback_data"].split(":", 1)[1]
        fake.press_data(alice.user, stance.message_id, data)  # the same rating again, buttons already gone
        mallory = Participant(fake, fake.user("Mallory"))
        await consent(mallory)
        fake.press_data(mallory.user, fake.last_message(mallory.chat).message_id, data)  # someone else's run

        fake.press_data(alice.user, stance.message_id, "c:999999:nowhere:0")
        fake.press_data(alice.user, stance.message_id, "garbage")
        await fake.wait_for_async(
            lambda: sum("earlier step" in (a.get("text") or "") for a in fake.callback_answers) >= 4,
            what="four stale notices",
        )
        pid = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        assert [s.value for s in bot.storage.runs.stances(pid)] == [2]


async def test_bad_input_gets_clear_answers(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await alice.write("hello?")
        await alice.expect("No dialogue is running")
        await alice.press(TITLE)
        await alice.expect("Before we start")
        await alice.write("I think 3")
        await alice.expect("Please rate the claim from 1 to 5")
        await alice.press("3")
        await alice.expect("Step 2 of 12")
        fake.send_sticker(alice.user)
        await alice.expect("I can only read text")
        fake.send_photo(alice.user)
        await alice.expect("I can only read text")
        fake.send_voice(alice.user)
        await alice.expect("I can only read text")
        fake.send_location(alice.user)
        await alice.expect("I can only read text")
        await alice.command("/frobnicate")
        await alice.expect("I don't know that command. /help")
        long_answer = ("<b>&amp; 'tags' \"quotes\" & <script>alert(1)</script> " * 80)[:4096]
        await alice.write(long_answer)
        await alice.expect("What would convince you")
        pid = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        (stored,) = bot.storage.runs.reflections(pid)
        assert stored.answer == long_answer and len(long_answer) == 4096
        await alice.command("/start", payload="not-a-real-invite")
        await alice.expect("This invitation link is not valid")
        await alice.command("/help")
        await alice.expect("/portfolio")


async def test_edited_answers_update_the_reflection_and_keep_history(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await at_first_question(alice, "3")
        sent = await alice.write(THICK)
        await alice.expect("What would convince you")
        fake.edit_text(alice.user, sent["message"]["message_id"], THICK + " Edited.")
        await alice.expect("I have updated your answer")
        pid = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        (row,) = bot.storage.runs.reflections(pid)
        assert row.answer == THICK + " Edited."
        assert [h["answer"] for h in row.history] == [THICK]


async def test_mydata_and_forget(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await at_first_question(alice, "5")
        await alice.write(THICK)
        await alice.expect("What would convince you")
        await alice.command("/mydata")
        await alice.expect("Everything stored about you")
        doc = await fake.wait_for_async(lambda: next((m for m in fake.messages(alice.chat) if m.document), None))
        data = json.loads(doc.document[1])
        assert data["format"] == "elenchus.personal-data"
        assert [r["answer"] for r in data["reflections"]] == [THICK]
        assert data["stances"][0]["value"] == 5 and data["consents"][0]["given"] == 1
        assert (
            set(data["guide"]["sections"]) <= set(data)
            and "Your written answers" in data["guide"]["sections"]["reflections"]
        )
        await alice.command("/forget")
        await alice.expect("This cannot be undone")
        await alice.press("No, keep it")
        await alice.expect("Nothing was deleted")
        await alice.command("/forget")
        await alice.press("Yes, delete everything")
        await alice.expect("Deleted. Answers: 1, ratings: 1, dialogue runs: 1, consent records: 1.")
        pid = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        assert bot.storage.runs.reflections(pid) == [] and bot.storage.runs.of(pid) == []


async def test_language_switch(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db"):
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await alice.command("/language")
        await alice.press("Deutsch")
        await alice.expect("Ich spreche ab jetzt Deutsch")
        await alice.command("/menu")
        await alice.expect("Wählen Sie einen Dialog")
        await alice.press("Das Papier wert? Wie ein Micro-Credential Vertrauen gewinnt")
        await alice.expect("Bevor wir beginnen")
        await alice.command("/mydata")
        await alice.expect("Alles, was über Sie gespeichert ist")
        doc = await fake.wait_for_async(lambda: next((m for m in fake.messages(alice.chat) if m.document), None))
        guide = json.loads(doc.document[1])["guide"]
        assert (
            guide["moves"]["evidence"] == "Belege"
            and "Ihre schriftlichen Antworten" in guide["sections"]["reflections"]
        )


async def test_german_telegram_users_get_german(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db"):
        anna = Participant(fake, fake.user("Anna", language_code="de"))
        await anna.command("/start")
        await anna.expect("Willkommen bei Elenchus, Anna")
        await anna.expect("Dürfen wir Ihre Antworten speichern?")
        assert fake.commands({"type": "all_private_chats"}, "de"), "German command menu set"
        assert fake.commands({"type": "all_private_chats"}, "")


async def test_telegram_errors_are_retried_and_every_message_arrives_once(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db"):
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        fake.fail("sendMessage", times=2, kind="429", retry_after=1)
        await alice.press(TITLE)
        await alice.expect("Before we start")
        fake.fail("sendMessage", times=2, kind="500")
        await alice.press("2")
        await alice.expect("Step 2 of 12")
        texts = alice.bot_texts()
        assert sum("Meet Lena" in t for t in texts) == 1
        assert sum("The case for the micro-credential" in t for t in texts) == 1
        order = [i for i, t in enumerate(texts) if "The case for" in t or "Step 2" in t]
        assert order == sorted(order) and len(order) == 2


async def test_two_participants_at_once_do_not_interfere(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        bea = Participant(fake, fake.user("Alice", language_code="en"))
        await consent(alice)
        await consent(bea)
        await alice.press(TITLE)
        await bea.press(TITLE)
        await alice.press("1")
        await bea.press("5")
        await alice.expect("Step 2 of 12")
        await bea.expect("Step 2 of 12")
        await alice.write("Alice: " + THICK)
        await bea.write("Bea: " + THICK)
        await alice.expect("What would convince you")
        await bea.expect("What would convince you")
        for who, value in ((alice, 1), (bea, 5)):
            pid = bot.storage.participants.get_or_create("telegram", str(who.user.id)).id
            assert [s.value for s in bot.storage.runs.stances(pid)] == [value]
            (row,) = bot.storage.runs.reflections(pid)
            assert row.answer.startswith("Alice: " if who is alice else "Bea: ")


async def test_a_duplicate_update_is_processed_once(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await at_first_question(alice, "3")
        update = await alice.write(THICK)
        await alice.expect("What would convince you")
        fake.deliver(update)
        marker = await alice.write("A second answer, because duplicates must not count twice.")
        await alice.expect("Pick a role")
        pid = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        assert [r.answer for r in bot.storage.runs.reflections(pid)] == [THICK, marker["message"]["text"]]


async def test_one_participant_flooding_does_not_hold_up_another(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db"):
        flooder = Participant(fake, fake.user("Flo"))
        await consent(flooder)
        calm = Participant(fake, fake.user("Carla"))
        await consent(calm)
        for i in range(150):
            fake.send_text(flooder.user, f"spam {i}")
        await calm.command("/help")
        await calm.expect("/portfolio")
        await flooder.expect("That is a lot of messages at once")
        replies = [t for t in flooder.bot_texts() if "No dialogue is running" in t]
        assert len(replies) <= 21, "beyond the burst the flood is ignored, not answered"
        assert sum("That is a lot of messages" in t for t in flooder.bot_texts()) == 1


async def test_a_user_who_blocked_the_bot_is_recorded_and_skipped(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        fake.block(alice.user)
        await alice.command("/help")
        pid = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        await fake.wait_for_async(lambda: bot.storage.participants.get(pid).blocked, what="blocked recorded")
        fake.block(alice.user, blocked=False)
        await alice.command("/help")
        await alice.expect("/portfolio")
        assert bot.storage.participants.get(pid).blocked is None


async def test_resume_shows_the_pending_step(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db"):
        alice = Participant(fake, fake.user("Alice"))
        await alice.command("/resume")
        await alice.expect("No dialogue is in progress")
        await consent(alice)
        await at_first_question(alice, "3")
        await alice.command("/resume")
        await alice.expect("Step 2 of 12")


async def test_consent_can_be_withdrawn_and_nothing_new_is_kept(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await at_first_question(alice, "3")
        await alice.write("Kept: " + THICK)
        await alice.expect("What would convince you")
        await alice.command("/privacy")
        await alice.expect("You agreed on")
        await alice.press("Stop keeping my answers")
        await alice.expect("from now on nothing you write is kept")
        await alice.command("/resume")
        await alice.expect("What would convince you")
        await alice.write("Not kept: " + THICK)
        await alice.expect("Pick a role")
        pid = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        assert [r.answer for r in bot.storage.runs.reflections(pid)] == ["Kept: " + THICK]
        assert [c["given"] for c in bot.storage.db["consents"].rows] == [1, 0]
        assert all(c["version"] == "3-en" for c in bot.storage.db["consents"].rows)


async def test_a_button_of_another_dialogue_in_progress_is_stale(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db"):
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await alice.press(TITLE)
        first_stance = await alice.expect("Before we start")
        await alice.command("/menu")
        await alice.press("Does it count? Recognising micro-credentials in admissions and hiring")
        await alice.expect("Before we start")
        fake.press(alice.user, first_stance.message_id, "4")
        await fake.wait_for_async(lambda: any("earlier step" in (a.get("text") or "") for a in fake.callback_answers))
        assert not any("The case for the micro-credential" in t for t in alice.bot_texts())


async def test_switching_between_two_dialogues_in_progress(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        alice = Participant(fake, fake.user("Alice"))
        await consent(alice)
        await at_first_question(alice, "2")
        await alice.command("/menu")
        await alice.press("Does it count? Recognising micro-credentials in admissions and hiring")
        await alice.press("4")
        await alice.expect("Step 2 of")
        await alice.command("/menu")
        await alice.press(f"▸ {TITLE} (2/12)")
        await alice.expect("When Lena's colleague says")
        await alice.write(THICK)
        await alice.expect("What would convince you")
        pid = bot.storage.participants.get_or_create("telegram", str(alice.user.id)).id
        (row,) = bot.storage.runs.reflections(pid)
        assert row.dialogue_id == "value-and-trust"
