"""/badge: the course's Open Badges 3.0 credential, as a JSON file, for a participant who has
finished it. `/badge Ada Lovelace` puts the typed name on it; `/badge` alone names them by an
identifier only. Nothing of it is stored (bot/app/credentials.py)."""

from __future__ import annotations

import asyncio
import json
import logging

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from ..app.credentials import IssuerConfig, NotYet, clean_name
from ..clock import utc_now
from ..credentials import card
from ..credentials.keys import IssuerKeyError
from ..engine.texts import localize
from .messages import Document, Photo
from .participant import PRIVATE
from .plumbing import FAILED, Shell
from .render import esc

log = logging.getLogger("elenchus.telegram")


class BadgeHandlers:
    def __init__(self, shell: Shell):
        self.shell = shell
        self.config = IssuerConfig.from_settings(shell.settings)

    def register(self, app: Application) -> None:
        app.add_handlers(
            [
                CommandHandler("badge", self.badge, filters=PRIVATE),
                CommandHandler("badgeset", self.badge_set, filters=PRIVATE),
            ]
        )

    async def badge(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        shell, who = self.shell, self.shell.who(update)
        credentials = shell.services.credentials(self.config)
        name = clean_name(" ".join(context.args or ()))
        try:
            result = credentials.issue(who.participant, who.locale, name, utc_now())
        except (IssuerKeyError, OSError, ValueError) as exc:
            log.error("event=badge_failed error=%s", type(exc).__name__)
            await shell.say(context.bot, who, "badge.failed")
            return
        if isinstance(result, NotYet):
            missing = ", ".join(f"“{esc(localize(d.title, who.locale))}”" for d in result.missing)
            await shell.say(context.bot, who, "badge.not_yet", missing=missing)
            return
        log.info("event=badge participant=%d named=%s", who.participant, bool(name))
        credential = result.credential
        named = shell.t(who, "badge.named", name=esc(name)) if name else shell.t(who, "badge.anonymous")
        await shell.say(
            context.bot,
            who,
            "badge.ready",
            title=esc(credential["name"]),
            issuer=esc(credential["issuer"]["name"]),
            named=named,
        )
        data = json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8")
        day = credential["validFrom"][:10]
        # Drawing takes a few hundred ms: not on the event loop, which serves everyone.
        picture = await asyncio.to_thread(card.render, credential, lambda key, **values: shell.t(who, key, **values))
        await shell.send(
            context.bot,
            who,
            [
                Document(data, f"elenchus-badge-{day}.json"),
                Photo(picture, f"elenchus-badge-{day}.png", shell.t(who, "badge.card_caption")),
            ],
        )

    async def badge_set(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/badgeset NAME [ID ... | default]: show or set which dialogues a cohort's credential
        requires. Facilitators of the cohort and administrators only, checked on every call."""
        shell, who = self.shell, self.shell.who(update)
        services = shell.services
        if not services.cohorts.is_staff(who.participant):
            await shell.say(context.bot, who, "staff.only_facilitators")
            return
        args = list(context.args or ())
        if not args:
            await shell.say(context.bot, who, "badge.set_usage")
            return
        cohort = services.cohorts.find_visible(who.participant, args[0])
        if cohort is None:
            await shell.say(context.bot, who, "staff.unknown_cohort", name=esc(args[0]))
            return
        credentials = services.credentials(self.config)
        ids = args[1:]
        if ids:
            unknown = shell.stored(credentials.set_required, cohort, None if ids == ["default"] else tuple(ids))
            if unknown is FAILED:
                await shell.say(context.bot, who, "chat.save_failed")
                return
            if unknown:
                known = ", ".join(d.id for d in services.course.dialogues)
                await shell.say(context.bot, who, "badge.set_unknown", ids=esc(", ".join(unknown)), known=known)
                return
            log.info("event=badge_requirement cohort=%d dialogues=%d", cohort.id, len(ids))
        required = credentials.required_for(cohort)
        titles = "\n".join(f"• {esc(localize(d.title, who.locale))} ({d.id})" for d in required)
        minutes = sum(d.minutes for d in required)
        await shell.say(context.bot, who, "badge.set_current", name=esc(cohort.name), dialogues=titles, minutes=minutes)
