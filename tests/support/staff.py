"""What administrators and facilitators do in their private chat with the bot, as steps for tests."""

from __future__ import annotations

import re

from .bot_harness import Participant

LINK = re.compile(r"https://t\.me/elenchus_test_bot\?start=([A-Za-z0-9_-]+)")
"""A deep link the bot shows (an invitation or a facilitator code); findall gives the codes."""


async def new_cohort(admin: Participant, name: str) -> tuple[str, str]:
    """Create a cohort as the administrator; (invite code, facilitator code)."""
    await admin.command("/newcohort", payload=name)
    message = await admin.expect("Make a facilitator")
    invite, facilitate = LINK.findall(message.text)
    return invite, facilitate


async def become_facilitator(p: Participant, code: str, cohort: str) -> None:
    await p.command("/start", payload=code)
    await p.expect(f"You are now a facilitator of {cohort}")
    await p.press("Yes, keep my answers")


async def export(fake, p: Participant, cohort: str, fmt_label: str) -> tuple[str, bytes]:
    before = len([m for m in fake.messages(p.chat) if m.document])
    await p.command("/export")
    await p.press(cohort)
    await p.press(fmt_label)
    docs = await fake.wait_for_async(
        lambda: [m for m in fake.messages(p.chat) if m.document][before:] or None, what=f"{fmt_label} export"
    )
    return docs[0].document
