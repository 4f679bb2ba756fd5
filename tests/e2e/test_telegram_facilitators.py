"""End to end for administrators and facilitators: cohorts, invitations, exports, overviews, audit,
and a matrix of every staff command and button against a cohort the user may not see."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from ..support.bot_harness import TITLE, Participant, running_bot
from ..support.staff import LINK, become_facilitator, export, new_cohort

THICK = "I would ask how it was assessed, because assessment shows what was learned, for example a project."


async def join(p: Participant, code: str, cohort: str, consent: bool = True) -> None:
    await p.command("/start", payload=code)
    await p.expect(f"You have joined {cohort}")
    if consent:
        await p.press("Yes, keep my answers")
        await p.expect("Pick a dialogue")


async def answer_first_question(p: Participant, text: str) -> None:
    await p.press(TITLE)
    await p.press("2")
    await p.expect("Step 2 of 12")
    await p.write(text)
    await p.expect("What would convince you")


def people(fake):
    admin = Participant(fake, fake.user("Ada"))
    return admin, frozenset({str(admin.user.id)})


async def test_two_courses_each_facilitator_exports_exactly_their_own(fake, tmp_path):
    admin, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins) as bot:
        invite_a, lead_a = await new_cohort(admin, "MC-A")
        invite_b, lead_b = await new_cohort(admin, "MC-B")
        alice = Participant(fake, fake.user("Alice"))
        bob = Participant(fake, fake.user("Bob"))
        await join(alice, invite_a, "MC-A")
        await join(bob, invite_b, "MC-B")
        await answer_first_question(alice, "Alice in A: " + THICK)
        await answer_first_question(bob, "=Bob in B: " + THICK)
        fiona = Participant(fake, fake.user("Fiona"))
        gus = Participant(fake, fake.user("Gus"))
        await become_facilitator(fiona, lead_a, "MC-A")
        await become_facilitator(gus, lead_b, "MC-B")

        name, data = await export(fake, fiona, "MC-A", "CSV")
        assert name.endswith(".csv") and data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert [r["answer"] for r in rows] == ["Alice in A: " + THICK]
        assert rows[0]["cohort"] == "MC-A" and rows[0]["stance_before"] == "2"
        assert rows[0]["participant"].startswith("Alice (P")

        name, data = await export(fake, gus, "MC-B", "CSV")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert [r["answer"] for r in rows] == ["'=Bob in B: " + THICK], "formula neutralised"

        name, data = await export(fake, fiona, "MC-A", "JSON")
        document = json.loads(data)
        assert [r["answer"] for r in document["reflections"]] == ["Alice in A: " + THICK]

        name, data = await export(fake, fiona, "MC-A", "xAPI")
        statements = json.loads(data)
        answers = [s for s in statements if s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/responded"]
        assert [s["result"]["response"] for s in answers] == ["Alice in A: " + THICK]  # ratings are "answered"
        assert "Alice" not in json.dumps([s["actor"] for s in statements])

        name, data = await export(fake, fiona, "MC-A", "Portfolios (zip)")
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            texts = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".md")]
        assert len(texts) == 1 and "Alice in A: " + THICK in texts[0] and "Bob" not in texts[0]

        audit = bot.storage.cohorts.audit_log()
        assert {a.action for a in audit} == {"export:csv", "export:json", "export:xapi", "export:zip"}
        # one record per answer; in xAPI one statement for the answer and one for the opening rating
        assert all(a.records == (2 if a.action == "export:xapi" else 1) for a in audit)
        await admin.command("/auditlog")
        await admin.expect("export:csv")


async def test_cohort_overview_with_chart(fake, tmp_path):
    admin, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins) as bot:
        invite, lead = await new_cohort(admin, "MC-A")
        alice = Participant(fake, fake.user("Alice"))
        await join(alice, invite, "MC-A")
        await answer_first_question(alice, THICK)
        fiona = Participant(fake, fake.user("Fiona"))
        await become_facilitator(fiona, lead, "MC-A")
        await fiona.command("/cohort", payload="MC-A")
        await fiona.expect("value-and-trust")
        photo = await fake.wait_for_async(lambda: next((m for m in fake.messages(fiona.chat) if m.photo), None))
        assert photo.photo.startswith(b"\x89PNG")
        assert [a.action for a in bot.storage.cohorts.audit_log()] == ["report"]


async def test_forget_removes_a_participant_from_later_exports(fake, tmp_path):
    admin, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins):
        invite, lead = await new_cohort(admin, "MC-A")
        alice = Participant(fake, fake.user("Alice"))
        await join(alice, invite, "MC-A")
        await answer_first_question(alice, THICK)
        await alice.command("/forget")
        await alice.press("Yes, delete everything")
        await alice.expect("Deleted. Answers: 1,")
        fiona = Participant(fake, fake.user("Fiona"))
        await become_facilitator(fiona, lead, "MC-A")
        _, data = await export(fake, fiona, "MC-A", "CSV")
        assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))) == 1, "header only"


async def test_renewed_and_revoked_links(fake, tmp_path):
    admin, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins):
        invite, _ = await new_cohort(admin, "MC-A")
        await admin.command("/renew", payload="MC-A invite")
        renewed = await admin.expect("Invite participants")
        new_invite = LINK.findall(renewed.text)[0]
        assert new_invite != invite and len(new_invite) >= 12
        alice = Participant(fake, fake.user("Alice"))
        await alice.command("/start", payload=invite)
        await alice.expect("This invitation link is not valid")
        await join(alice, new_invite, "MC-A", consent=False)
        await admin.command("/revoke", payload="MC-A facilitator")
        revoked = await admin.expect("(revoked)")  # the links message after /revoke (the renewed one had none)
        assert "Make a facilitator (share only with them): (revoked)" in revoked.text


async def test_access_control_matrix(fake, tmp_path):
    """Every staff command and button, by people who may not reach cohort A, leaks nothing about it."""
    admin, admins = people(fake)
    async with running_bot(fake, tmp_path / "bot.db", admins=admins) as bot:
        invite_a, _ = await new_cohort(admin, "MC-A")
        _, lead_b = await new_cohort(admin, "MC-B")
        alice = Participant(fake, fake.user("Alice"))
        await join(alice, invite_a, "MC-A")
        await answer_first_question(alice, "Secret of A: " + THICK)
        gus = Participant(fake, fake.user("Gus"))
        await become_facilitator(gus, lead_b, "MC-B")
        cohort_a = bot.storage.cohorts.by_name("MC-A").id

        refusals = {
            alice: [
                ("/newcohort", "X", "for administrators"),
                ("/cohorts", None, "for facilitators"),
                ("/cohort", "MC-A", "for facilitators"),
                ("/export", None, "for facilitators"),
                ("/renew", "MC-A invite", "for administrators"),
                ("/revoke", "MC-A invite", "for administrators"),
                ("/auditlog", None, "for administrators"),
            ],
            gus: [
                ("/newcohort", "X", "for administrators"),
                ("/cohort", "MC-A", "no cohort called"),
                ("/renew", "MC-A invite", "for administrators"),
                ("/revoke", "MC-A invite", "for administrators"),
                ("/auditlog", None, "for administrators"),
            ],
        }
        for who, commands in refusals.items():
            for command, payload, answer in commands:
                await who.command(command, payload=payload)
                await who.expect(answer)
        await gus.command("/cohorts")
        listing = await gus.expect("MC-B")
        assert "MC-A" not in listing.text and "Make a facilitator" not in listing.text
        await gus.command("/export")
        picker = await gus.expect("Which cohort?")
        assert picker.button_labels == ["MC-B"]
        for data in (f"x:{cohort_a}", f"x:{cohort_a}:csv", f"x:{cohort_a}:zip", "x:999:csv", "x:nope"):
            fake.press_data(gus.user, picker.message_id, data)
            fake.press_data(alice.user, alice.seen, data)
        await fake.wait_for_async(
            lambda: sum("not one of yours" in (a.get("text") or "") for a in fake.callback_answers) >= 10,
            what="ten refusals",
        )
        assert not any("Secret of A" in (m.text or "") for m in fake.messages(gus.chat))
        assert not [m for p in (gus, alice) for m in fake.messages(p.chat) if m.document or m.photo]

        assert bot.storage.cohorts.audit_log() == [], "nothing was exported or reported"
