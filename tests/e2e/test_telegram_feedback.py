"""End to end for facilitators' feedback and peers' perspectives: a comment reaches the participant,
who answers it once; both are in the portfolio, /mydata and the exports; a facilitator of another
cohort can neither read nor comment, by command or forged button; peers see only answers shared by
consenting members of their own cohort, never their own, never a hidden one."""

from __future__ import annotations

import csv
import io
import json

from ..support.bot_harness import TITLE, Participant, running_bot
from ..support.staff import become_facilitator, export, new_cohort

REASONS = " because assessment shows what was learned, for example a project with a rubric."


def people(fake):
    admin = Participant(fake, fake.user("Ada"))
    return admin, frozenset({str(admin.user.id)})


async def join(p: Participant, code: str, cohort: str, *, share: bool | None = True, consent: bool = True) -> None:
    await p.command("/start", payload=code)
    await p.expect(f"You have joined {cohort}")
    await p.expect(f"May your answers in {cohort} be shown")
    await p.expect("may we keep your answers?")
    if consent:
        await p.press("Yes, keep my answers")
        await p.expect("Pick a dialogue")
    if share is not None:
        await p.press("Yes, share without my name" if share else "No, only the facilitators")
        await p.expect("may be shown to your peers" if share else "are not shown to your peers")


async def answer_first_question(p: Participant, text: str) -> None:
    await p.press(TITLE)
    await p.press("2")
    await p.expect("Step 2 of 12")
    await p.write(text)
    await p.expect("What would convince you")


def refusals(fake, text: str) -> int:
    return sum(text in (a.get("text") or "") for a in fake.callback_answers)


async def test_a_facilitator_comments_and_the_participant_answers_back_once(fake, tmp_path):
    admin, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins) as bot:
        invite, lead = await new_cohort(admin, "MC-A")
        alice = Participant(fake, fake.user("Alice"))
        await join(alice, invite, "MC-A")
        await answer_first_question(alice, "I would ask how it was assessed" + REASONS)
        fiona = Participant(fake, fake.user("Fiona"))
        await become_facilitator(fiona, lead, "MC-A")
        menu = fake.commands({"type": "chat", "chat_id": fiona.chat}, "")
        assert {"answers", "cohorts", "export", "menu"} <= {c["command"] for c in menu}, "a facilitator's menu"
        assert "newcohort" not in {c["command"] for c in menu}
        assert {c["command"] for c in fake.commands({"type": "all_chat_administrators"}, "de")} >= {"session", "next"}

        await fiona.command("/answers")
        await fiona.expect("question by question")
        await fiona.press("By question")
        listing = await fiona.expect("which question?")
        assert len(listing.button_labels) == 1 and listing.button_labels[0].endswith("(1)")
        fake.press(fiona.user, listing.message_id, listing.button_labels[0])
        await fiona.expect("Answers 1-1 of 1, newest first")
        shown = await fiona.expect("I would ask how it was assessed")
        assert "Alice (P" in shown.text and "shown to peers without a name" in shown.text
        fake.press(fiona.user, shown.message_id, "Comment")
        await fiona.expect("Write your comment on the answer of Alice")
        await fiona.write("Which employer would you ask first? <b>not bold</b>")
        await fiona.expect("Sent. The comment is kept with the answer")

        notice = await alice.expect("Fiona commented on your answer")
        assert "You wrote: “I would ask how it was assessed" in notice.text
        assert "<b>not bold</b>" in notice.text, "the comment is escaped, shown as typed"
        fake.press(alice.user, notice.message_id, "Answer back")
        await alice.expect("Write your answer to the comment: your next message goes to Fiona")
        await alice.write("The one that did not hire me.")
        await alice.expect("Sent. Your answer is kept with the comment")
        reply = await fiona.expect("answered your comment")
        assert "Alice (P" in reply.text and "The one that did not hire me." in reply.text

        fake.press(alice.user, notice.message_id, "Answer back")
        await fake.wait_for_async(lambda: refusals(fake, "already answered") == 1, what="a second answer refused")
        assert bot.storage.db["comments"].count == 1 and bot.storage.db["pending_texts"].count == 0

        await alice.command("/portfolio")
        await alice.expect("Your portfolio")
        files = await fake.wait_for_async(
            lambda: [m.document for m in fake.messages(alice.chat) if m.document][-2:] or None, what="portfolio"
        )
        markdown = next(data.decode() for name, data in files if name.endswith(".md"))
        assert "Comment from Fiona" in markdown and "Which employer would you ask first?" in markdown
        assert "The one that did not hire me." in markdown and "&lt;b&gt;not bold&lt;/b&gt;" in markdown

        await alice.command("/mydata")
        mydata = await fake.wait_for_async(
            lambda: next(
                (m.document for m in fake.messages(alice.chat) if m.document and "mydata" in m.document[0]), None
            )
        )
        personal = json.loads(mydata[1])
        assert [c["reply"] for c in personal["comments"]] == ["The one that did not hire me."]
        assert personal["peer_sharing"][0]["share"] == 1

        _, data = await export(fake, fiona, "MC-A", "JSON")
        (comment,) = json.loads(data)["reflections"][0]["comments"]
        assert comment["author"] == "Fiona" and comment["reply"]["text"] == "The one that did not hire me."
        _, data = await export(fake, fiona, "MC-A", "CSV")
        (row,) = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        assert "Which employer" in row["comments"] and "reply" in row["comments"]
        _, data = await export(fake, fiona, "MC-A", "xAPI")
        statements = json.loads(data)
        commented = [s for s in statements if s["verb"]["id"].endswith("/commented")]
        answered = next(s for s in statements if s["verb"]["id"].endswith("/responded"))
        assert [s["object"]["objectType"] for s in commented] == ["StatementRef", "StatementRef"]
        assert commented[0]["object"]["id"] == answered["id"] and commented[1]["object"]["id"] == commented[0]["id"]
        assert "Fiona" not in json.dumps([s["actor"] for s in statements])

        actions = [a.action for a in bot.storage.cohorts.audit_log()]
        assert "read:answers" in actions and "comment" in actions


async def test_a_facilitator_of_another_cohort_cannot_read_or_comment(fake, tmp_path):
    admin, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins) as bot:
        invite_a, lead_a = await new_cohort(admin, "MC-A")
        _, lead_b = await new_cohort(admin, "MC-B")
        alice = Participant(fake, fake.user("Alice"))
        await join(alice, invite_a, "MC-A")
        await answer_first_question(alice, "Secret of A: I would ask how it was assessed" + REASONS)
        gus = Participant(fake, fake.user("Gus"))
        await become_facilitator(gus, lead_b, "MC-B")
        cohort_a = bot.storage.cohorts.by_name("MC-A").id
        (reflection,) = bot.storage.db["reflections"].rows
        rid, pid = reflection["id"], reflection["participant_id"]

        await gus.command("/answers")
        view = await gus.expect("question by question")
        assert "MC-B" in view.text and "MC-A" not in view.text
        forged = [
            f"fb:a:{cohort_a}",
            f"fb:q:{cohort_a}",
            f"fb:p:{cohort_a}",
            f"fb:Q:{cohort_a}:0:0",
            f"fb:P:{cohort_a}:{pid}:0",
            f"fb:c:{rid}",
            f"fb:h:{rid}",
            f"fb:s:{rid}",
        ]
        for data in forged:
            fake.press_data(gus.user, view.message_id, data)
        await fake.wait_for_async(lambda: refusals(fake, "not in one of your cohorts") >= len(forged), what="refusals")
        await gus.write("Not a comment: there is nothing to comment on.")
        await gus.expect("No dialogue is running")
        assert not any("Secret of A" in (m.text or "") for m in fake.messages(gus.chat))
        assert not any("commented on your answer" in (m.text or "") for m in fake.messages(alice.chat))
        assert bot.storage.db["comments"].count == 0 and bot.storage.db["pending_texts"].count == 0
        assert bot.storage.db["reflections"].get(rid)["hidden_from_peers"] is None
        assert bot.storage.cohorts.audit_log() == [], "nothing was read"

        await gus.command("/answers", payload="MC-A")  # a name changes nothing: the cohort picked is one's own
        await gus.expect("MC-B: read the answers")

        fiona = Participant(fake, fake.user("Fiona"))
        await become_facilitator(fiona, lead_a, "MC-A")
        await alice.command("/privacy")
        await alice.press("Stop keeping my answers")
        await alice.expect("from now on nothing you write is kept")
        fake.press_data(fiona.user, fiona.seen, f"fb:c:{rid}")
        await fake.wait_for_async(lambda: refusals(fake, "does not (any more) agree") == 1, what="no consent")
        assert bot.storage.db["comments"].count == 0


async def test_peers_see_only_consenting_members_of_their_cohort_never_their_own_or_a_hidden_one(fake, tmp_path):
    admin, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins) as bot:
        invite_a, lead_a = await new_cohort(admin, "MC-A")
        invite_b, _ = await new_cohort(admin, "MC-B")
        members = {
            "KIWI": (invite_a, "MC-A", True),
            "MANGO": (invite_a, "MC-A", True),
            "PLUM": (invite_a, "MC-A", False),  # does not share
            "FIG": (invite_a, "MC-A", True),  # shares, but a facilitator hides the answer
            "LIME": (invite_b, "MC-B", True),  # another cohort
        }
        for word, (code, cohort, share) in members.items():
            p = Participant(fake, fake.user(word.title()))
            await join(p, code, cohort, share=share)
            await answer_first_question(
                p, f"{word} I would look at how it was assessed" + " " + word.lower() * 3 + REASONS
            )
        fig = next(r for r in bot.storage.db["reflections"].rows if r["answer"].startswith("FIG"))
        fiona = Participant(fake, fake.user("Fiona"))
        await become_facilitator(fiona, lead_a, "MC-A")
        fake.press_data(fiona.user, fiona.seen, f"fb:h:{fig['id']}")
        await fake.wait_for_async(lambda: refusals(fake, "no longer shown to peers") == 1, what="hidden")

        zoe = Participant(fake, fake.user("Zoe"))
        await join(zoe, invite_a, "MC-A")
        mine = bot.storage.db["reflections"].rows_where("answer like 'KIWI%'")
        fake.press_data(zoe.user, zoe.seen, f"pe:o:{next(mine)['id']}")  # before answering: someone else's answer
        await fake.wait_for_async(lambda: refusals(fake, "no longer exists") == 1, what="a forged peers button refused")
        await zoe.press(TITLE)
        await zoe.press("2")
        await zoe.write("ZOE I would look at what the credential lets me do" + REASONS)
        await zoe.expect("Others in your cohort have answered this question too")
        await zoe.press("How did others answer?")
        shown = await zoe.expect("How others in your cohort answered")
        assert "KIWI" in shown.text and "MANGO" in shown.text
        for absent in ("PLUM", "FIG", "LIME", "ZOE"):
            assert absent not in shown.text, absent
        for name in ("Kiwi", "Mango", "(P"):
            assert name not in shown.text, "no names, no numbers"

        plum = Participant(fake, fake.user("Plum2"))
        await join(plum, invite_a, "MC-A", consent=False, share=True)
        await plum.press("No, keep nothing")
        await plum.expect("nothing you write will be kept")
        await answer_first_question(plum, "NOTKEPT I would look at the employers" + REASONS)
        assert not any("How did others answer?" in m.button_labels for m in fake.messages(plum.chat))


async def test_earlier_consent_is_asked_again_and_sharing_changes_in_privacy(fake, tmp_path):
    from bot.storage import Storage

    admin, admins = people(fake)
    old = Participant(fake, fake.user("Olga"))
    earlier = Storage(tmp_path / "bot.db")
    person = earlier.participants.get_or_create("telegram", str(old.user.id), name="Olga")
    earlier.participants.record_consent(person.id, "3-en", True)
    earlier.close()
    async with running_bot(fake, tmp_path / "bot.db", admins=admins) as bot:
        await old.command("/menu")
        await old.expect("Comments:")  # the consent text of version 4, asked again
        await old.press("Yes, keep my answers")
        await old.expect("Your answers will be kept")
        assert [c["version"] for c in bot.storage.db["consents"].rows] == ["3-en", "4-en"]

        invite, _ = await new_cohort(admin, "MC-A")
        await old.command("/start", payload=invite)
        await old.expect("You have joined MC-A")
        await old.press("No, only the facilitators")
        await old.expect("are not shown to your peers")
        await old.command("/privacy")
        status = await old.expect("Your answers in MC-A are not shown")
        assert status.button_labels == ["Share with peers"]
        fake.press(old.user, status.message_id, "Share with peers")
        await old.expect("Your answers in MC-A may be shown to your peers")
        assert [r["share_with_peers"] for r in bot.storage.db["memberships"].rows] == [1]
