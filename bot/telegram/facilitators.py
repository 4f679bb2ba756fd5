"""Telegram commands for administrators and facilitators: cohorts, links, exports, overviews, audit.

Every command and every button press checks the presser's rights again (bot/app/cohorts.py);
callback data only names a cohort id and a format, which a forged press cannot turn into access.
Exports and overviews are made in a worker thread, so participants never wait for them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import Awaitable
from functools import partial
from typing import TypeVar

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from ..app import exporting
from ..app.cohorts import Cohort, deep_link
from ..clock import utc_now
from . import callbacks
from .messages import Document, Photo, buttons
from .plumbing import Shell, Who
from .render import esc, plain

log = logging.getLogger("elenchus.telegram")

PRIVATE = filters.ChatType.PRIVATE & filters.USER
"""Private messages from someone: the spec lets a message come without a sender."""
FORMAT_LABELS = {"csv": "CSV", "json": "JSON", "xapi": "xAPI", "zip": "Portfolios (zip)"}
FILTER = re.compile(r"(dialogue|since)=(\S+)")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
AUDIT_LINES = 30
PROGRESS_AFTER = 1.0
"""Seconds an export or report may take before the bot says it is being prepared."""
T = TypeVar("T")


class FacilitatorHandlers:
    def __init__(self, shell: Shell):
        self.shell = shell
        self.cohorts = shell.services.cohorts
        self.course = shell.services.course

    def register(self, app: Application) -> None:
        app.add_handlers(
            [
                CommandHandler("newcohort", self.new_cohort, filters=PRIVATE),
                CommandHandler("cohorts", self.list_cohorts, filters=PRIVATE),
                CommandHandler("cohort", self.overview, filters=PRIVATE),
                CommandHandler("export", self.export, filters=PRIVATE),
                CommandHandler("renew", self.renew, filters=PRIVATE),
                CommandHandler("revoke", self.revoke, filters=PRIVATE),
                CommandHandler("auditlog", self.audit_log, filters=PRIVATE),
                CallbackQueryHandler(self.export_pressed, pattern=r"^x:"),
            ]
        )

    async def _staff(self, update: Update, context, *, admin: bool = False) -> Who | None:
        """The caller, if they may use this command; otherwise they are told so and None."""
        who = self.shell.who(update)
        allowed = self.cohorts.is_admin(who.participant) if admin else self.cohorts.is_staff(who.participant)
        if not allowed:
            await self.say(context, who, "staff.only_admins" if admin else "staff.only_facilitators")
            return None
        return who

    async def say(self, context, who: Who, key: str, keyboard=(), **values: object) -> None:
        await self.shell.say(context.bot, who, key, keyboard, **values)

    def _actor(self, who: Who) -> str:
        return f"participant:{who.participant}"

    # ---- cohorts and links ----------------------------------------------------------------

    async def new_cohort(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self._staff(update, context, admin=True)
        if who is None:
            return
        name = " ".join(context.args or [])
        try:
            cohort = self.cohorts.create(name, self._actor(who))
        except ValueError as exc:
            await self.say(
                context, who, "staff.name_taken" if str(exc) == "exists" else "staff.name_invalid", name=esc(name)
            )
            return
        log.info("event=cohort_created cohort=%d", cohort.id)
        await self.say(context, who, "staff.created", name=esc(cohort.name))
        await self._links(context, who, cohort)

    async def _links(self, context, who: Who, cohort: Cohort) -> None:
        bot = context.bot.username
        invite = deep_link(bot, cohort.invite_code) or self.shell.t(who, "staff.revoked")
        facilitate = deep_link(bot, cohort.facilitator_code) or self.shell.t(who, "staff.revoked")
        if self.cohorts.is_admin(who.participant):
            await self.say(
                context,
                who,
                "staff.links_admin",
                name=esc(cohort.name),
                invite=esc(invite),
                facilitate=esc(facilitate),
            )
        else:
            await self.say(context, who, "staff.links", name=esc(cohort.name), invite=esc(invite))

    async def list_cohorts(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self._staff(update, context)
        if who is None:
            return
        visible = self.cohorts.visible(who.participant)
        if not visible:
            await self.say(context, who, "staff.no_cohorts")
            return
        for cohort in visible:
            await self._links(context, who, cohort)

    async def renew(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._change_code(update, context, renew=True)

    async def revoke(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._change_code(update, context, renew=False)

    async def _change_code(self, update: Update, context, *, renew: bool) -> None:
        who = await self._staff(update, context, admin=True)
        if who is None:
            return
        args = context.args or []
        cohort = self.cohorts.by_name(args[0]) if args else None
        kind = args[1] if len(args) > 1 else ""
        if cohort is None or kind not in ("invite", "facilitator"):
            await self.say(context, who, "staff.renew_usage")
            return
        cohort = self.cohorts.change_code(cohort, kind, renew=renew)
        log.info("event=code_%s cohort=%d kind=%s", "renewed" if renew else "revoked", cohort.id, kind)
        await self._links(context, who, cohort)

    # ---- overview -------------------------------------------------------------------------

    async def overview(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self._staff(update, context)
        if who is None:
            return
        name = " ".join(context.args or [])
        cohort = self.cohorts.find_visible(who.participant, name) if name else None
        if cohort is None:
            await self.say(context, who, "staff.unknown_cohort", name=esc(name))
            return
        making = self.shell.services.exports.report_in_worker(
            cohort, actor=self._actor(who), locale=who.locale, t=partial(self.shell.t, who)
        )
        report = await self._meanwhile(context, who, making, "staff.report_preparing", name=esc(cohort.name))
        caption = self.shell.t(who, "staff.chart_caption", name=cohort.name)
        await self.shell.send(
            context.bot, who, [*plain(report.text), Photo(report.chart, f"{cohort.name}-stances.png", caption)]
        )

    # ---- exports --------------------------------------------------------------------------

    async def export(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self._staff(update, context)
        if who is None:
            return
        filters_given = dict(FILTER.findall(" ".join(context.args or [])))
        if "since" in filters_given and not DATE.fullmatch(filters_given["since"]):
            await self.say(context, who, "staff.export_usage")
            return
        if "dialogue" in filters_given and self.course.get(filters_given["dialogue"]) is None:
            await self.say(context, who, "staff.export_usage")
            return
        context.user_data["export_filters"] = filters_given
        visible = self.cohorts.visible(who.participant)
        if not visible:
            await self.say(context, who, "staff.no_cohorts")
            return
        rows = buttons(*(((c.name, f"x:{c.id}"),) for c in visible))
        await self.say(context, who, "staff.export_pick_cohort", rows)

    async def export_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A cohort or format button: staff buttons work only in private chats, for one's own cohorts."""
        query = update.callback_query
        who = await self.shell.private_press(update)
        if who is None:
            return
        parts = (query.data or "").split(":")
        cohort_id = callbacks.number(parts[1]) if len(parts) > 1 else None
        cohort = self.cohorts.get_visible(who.participant, cohort_id) if cohort_id is not None else None
        if cohort is None:
            await self.shell.answer(query, self.shell.t(who, "staff.not_yours"))
            return
        await self.shell.answer(query)
        if len(parts) == 2:
            rows = buttons(tuple((label, f"x:{cohort.id}:{fmt}") for fmt, label in FORMAT_LABELS.items()))
            await self.say(context, who, "staff.export_pick_format", rows, name=esc(cohort.name))
            return
        fmt = parts[2]
        if fmt not in FORMAT_LABELS:
            return
        await self._send_export(context, who, cohort, fmt, context.user_data.get("export_filters", {}))

    async def _send_export(self, context, who: Who, cohort: Cohort, fmt: str, given: dict) -> None:
        scope = exporting.Scope((cohort.id,), dialogue_id=given.get("dialogue"), since=given.get("since"))
        with tempfile.TemporaryFile() as out:
            writing = self.shell.services.exports.export_in_worker(
                scope,
                fmt,
                out,
                actor=self._actor(who),
                t=partial(self.shell.t, who),
                locale=who.locale,
                xapi_base=self.shell.settings.xapi_base,
                translators=self.shell.translator,
                templates=self.shell.settings.portfolio_templates,
                xapi_homepage=self.shell.settings.xapi_homepage,
            )
            label = FORMAT_LABELS[fmt]
            count = await self._meanwhile(
                context, who, writing, "staff.export_preparing", name=esc(cohort.name), fmt=label
            )
            out.seek(0)

            filename = exporting.filename(cohort.name, fmt, utc_now())
            await self.say(
                context, who, "staff.export_ready", count=count, name=esc(cohort.name), fmt=FORMAT_LABELS[fmt]
            )
            await self.shell.send(context.bot, who, [Document(out, filename)])

    async def _meanwhile(self, context, who: Who, work: Awaitable[T], key: str, **values: object) -> T:
        """The result of an export or report made in a worker thread (bot/app/exporting.py), while
        the event loop serves everyone else; one message says so when it takes longer than
        PROGRESS_AFTER seconds."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=PROGRESS_AFTER)
        if not done:
            await self.say(context, who, key, **values)
            await self.shell.release(context.bot, str(who.chat))  # now, not merged with the result
        return await task

    # ---- audit ----------------------------------------------------------------------------

    async def audit_log(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = await self._staff(update, context, admin=True)
        if who is None:
            return
        lines = [
            f"{row.at[:16]} {row.actor} {row.action} {row.scope} ({row.records})"
            for row in self.cohorts.audit_log(AUDIT_LINES)
        ]
        if not lines:
            await self.say(context, who, "staff.audit_empty")
            return
        await self.shell.send(context.bot, who, plain("\n".join(lines)))
