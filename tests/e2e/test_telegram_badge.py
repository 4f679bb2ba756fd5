"""End to end: /badge before and after finishing the course, the credential received as a file
(sendDocument, checked by the fake server against the Bot API spec) and verified by Elenchus and
by the independent JavaScript verifier."""

from __future__ import annotations

import json

from bot.app.credentials import verify
from bot.credentials import keys

from ..support.badges import finish, verify_independently
from ..support.bot_harness import Participant, running_bot
from .test_telegram_participant import consent


async def test_a_participant_who_finished_gets_a_credential_that_verifies(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db", issuer_name="Universität Beispiel", issuer_country="DE") as bot:
        ada = Participant(fake, fake.user("Ada"))
        await consent(ada)
        await ada.command("/badge")
        await ada.expect("The certificate is for finishing the course. Still to do: “Worth the paper?")
        assert not (tmp_path / keys.KEY_FILE).exists()

        pid = bot.storage.participants.get_or_create("telegram", str(ada.user.id)).id
        finish(bot.services, pid, bot.services.course.dialogues, chat=str(ada.chat))
        await ada.command("/badge", "Ada <i>Lovelace</i>")
        ready = await ada.expect("Your certificate for")
        assert "signed by Universität Beispiel" in ready.text
        assert "It names you as “Ada <i>Lovelace</i>”" in ready.text, "the typed name shown as text, not markup"
        doc = await fake.wait_for_async(lambda: next((m for m in fake.messages(ada.chat) if m.document), None))
        name, data = doc.document
        assert name.startswith("elenchus-badge-") and name.endswith(".json")
        credential = json.loads(data)
        assert credential["credentialSubject"]["identifier"][0]["identityHash"] == "Ada <i>Lovelace</i>"
        assert credential["issuer"]["address"]["addressCountryCode"] == "DE"
        assert verify(credential).ok
        assert verify_independently(data, tmp_path)["verified"] is True
        at = data.index(b"Universit")
        assert verify_independently(data[:at] + b"X" + data[at + 1 :], tmp_path)["verified"] is False
        assert (tmp_path / keys.KEY_FILE).stat().st_mode & 0o777 == 0o600
        photo = await fake.wait_for_async(lambda: next((m for m in fake.messages(ada.chat) if m.photo), None))
        assert photo.caption.startswith("What your certificate says")


async def test_without_a_name_it_names_only_an_identifier_and_says_how_to_add_one(fake, tmp_path):
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        bo = Participant(fake, fake.user("Bo"))
        await consent(bo)
        pid = bot.storage.participants.get_or_create("telegram", str(bo.user.id)).id
        finish(bot.services, pid, bot.services.course.dialogues, chat=str(bo.chat))
        await bo.command("/badge")
        await bo.expect("It names you only by an identifier. To have your name on it, send /badge")
        doc = await fake.wait_for_async(lambda: next((m for m in fake.messages(bo.chat) if m.document), None))
        credential = json.loads(doc.document[1])
        assert "identifier" not in credential["credentialSubject"]
        assert "Bo" not in json.dumps(credential["credentialSubject"]), "not even the Telegram name"
        assert verify(credential).ok


async def test_a_key_others_may_read_is_refused_and_the_participant_told(fake, tmp_path, caplog):
    keys.load_or_create(tmp_path / keys.KEY_FILE)
    (tmp_path / keys.KEY_FILE).chmod(0o644)
    async with running_bot(fake, tmp_path / "bot.db") as bot:
        cy = Participant(fake, fake.user("Cy"))
        await consent(cy)
        pid = bot.storage.participants.get_or_create("telegram", str(cy.user.id)).id
        finish(bot.services, pid, bot.services.course.dialogues, chat=str(cy.chat))
        await cy.command("/badge")
        await cy.expect("the certificate cannot be made just now")
        assert not any(m.document for m in fake.messages(cy.chat))
        assert "event=badge_failed error=IssuerKeyError" in caplog.text


async def test_a_facilitator_sets_what_their_cohort_requires_and_no_one_else_can(fake, tmp_path):
    from ..support.staff import become_facilitator, new_cohort
    from .test_telegram_facilitators import join

    admin = Participant(fake, fake.user("Ada"))
    async with running_bot(fake, tmp_path / "bot.db", admins=frozenset({str(admin.user.id)})) as bot:
        invite_a, lead_a = await new_cohort(admin, "MC-A")
        _, lead_b = await new_cohort(admin, "MC-B")
        fiona, gus, eve = (Participant(fake, fake.user(n)) for n in ("Fiona", "Gus", "Eve"))
        await become_facilitator(fiona, lead_a, "MC-A")
        await become_facilitator(gus, lead_b, "MC-B")
        await consent(eve)

        await eve.command("/badgeset", "MC-A recognition")
        await eve.expect("This command is for facilitators.")
        await gus.command("/badgeset", "MC-A recognition")
        await gus.expect("You have no cohort called “MC-A”")
        await fiona.command("/badgeset", "MC-A recognition unbundlng")
        await fiona.expect("These are not dialogues of the course: unbundlng.")
        assert bot.storage.badges.of(bot.storage.cohorts.by_name("MC-A").id) is None, "the others changed nothing"

        await fiona.command("/badgeset", "MC-A recognition")
        done = await fiona.expect("The credential of MC-A requires these dialogues")
        assert "(recognition)" in done.text and "(value-and-trust)" not in done.text

        lu = Participant(fake, fake.user("Lu"))
        await join(lu, invite_a, "MC-A")
        pid = bot.storage.participants.get_or_create("telegram", str(lu.user.id)).id
        finish(bot.services, pid, (bot.services.course.get("recognition"),), chat=str(lu.chat))
        await lu.command("/badge")
        await lu.expect("Your certificate for")
        doc = await fake.wait_for_async(lambda: next((m for m in fake.messages(lu.chat) if m.document), None))
        assert verify(json.loads(doc.document[1])).ok

        await fiona.command("/badgeset", "MC-A default")
        back = await fiona.expect("The credential of MC-A requires these dialogues")
        assert "(value-and-trust)" in back.text and "(critical-pedagogy)" in back.text
