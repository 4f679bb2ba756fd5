"""Reminders in Telegram: the opt-in question, /reminders, a facilitator's /due, and the job that
sends what is due (python-telegram-bot's JobQueue, every REMINDER_TICK of the bot's clock).

The job only claims reminders (bot/app/reminders.py, committed with their message in the outbox)
and then sends the outbox: a bot killed in between sends them after the restart (app._recover),
never twice, since the claim is per participant and day.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3

from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from .. import clock
from ..app.reminders import REMIND_BEFORE, DeadlineView, Reminder
from ..engine.step import localize
from .messages import Text, buttons, to_payload
from .pacing import PerChatOrder
from .plumbing import FAILED, Shell, Who
from .render import MAX_TEXT, esc, visible_length

log = logging.getLogger("elenchus.telegram")

PRIVATE = filters.ChatType.PRIVATE & filters.USER
REMINDER_TICK = 600.0
"""Seconds of the bot's clock between two looks at what is due."""
SHORTEST_TICK = 0.2
"""Real seconds: the shortest interval, when the clock is scaled for tests."""
REASON_KEYS = {"due": "reminders.due", "late": "reminders.late", "halfway": "reminders.halfway"}
STATUS_KEYS = {"done": "due.done", "late": "due.late", "due": "due.open"}


class ReminderHandlers:
    def __init__(self, shell: Shell):
        self.shell = shell
        self.services = shell.services
        self.reminders = shell.services.reminders

    def register(self, app: Application) -> None:
        app.add_handlers(
            [
                CommandHandler("reminders", self.command, filters=PRIVATE),
                CommandHandler("due", self.due, filters=PRIVATE),
                CallbackQueryHandler(self.pressed, pattern=r"^r:"),
            ]
        )
        interval = max(SHORTEST_TICK, clock.clock().real_seconds(REMINDER_TICK))
        app.job_queue.run_repeating(self.tick, interval=interval, first=interval, name="reminders")

    # ---- participants -----------------------------------------------------------------------

    async def ask_once(self, bot: Bot, who: Who) -> None:
        """After joining a cohort (and deciding about consent), once: reminders, yes or no?"""
        if self.reminders.choice(who.participant) is None and self._in_cohort(who):
            await self.ask(bot, who)

    def _in_cohort(self, who: Who) -> bool:
        return self.services.participants.cohort_id(who.participant) is not None

    async def ask(self, bot: Bot, who: Who) -> None:
        """The question: reminders, yes or no."""
        zone, quiet = self._schedule_of(who)
        keyboard = buttons(
            ((self.shell.t(who, "reminders.yes"), "r:on"),), ((self.shell.t(who, "reminders.no"), "r:off"),)
        )
        await self.shell.say(bot, who, "reminders.ask", keyboard, zone=esc(zone), quiet=esc(quiet))

    async def status(self, bot: Bot, who: Who, *, members_only: bool = False) -> None:
        """Whether reminders are on, with the button that changes it (/reminders; in /privacy only
        for members of a cohort, since nobody else gets reminders)."""
        if members_only and not self._in_cohort(who):
            return
        zone, quiet = self._schedule_of(who)
        if self.reminders.choice(who.participant):
            keyboard = buttons(((self.shell.t(who, "reminders.turn_off"), "r:off"),))
            await self.shell.say(bot, who, "reminders.status_on", keyboard, zone=esc(zone), quiet=esc(quiet))
        else:
            keyboard = buttons(((self.shell.t(who, "reminders.turn_on"), "r:on"),))
            await self.shell.say(bot, who, "reminders.status_off", keyboard)

    def _schedule_of(self, who: Who) -> tuple[str, str]:
        return self.reminders.zone_and_quiet_of(who.participant)

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.status(context.bot, self.shell.who(update))

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
            await self.shell.answer(query)
            return
        wanted = {"r:on": True, "r:off": False}.get(query.data or "")
        who = self.shell.who(update)
        if wanted is None:
            await self.shell.answer(query, self.shell.t(who, "chat.stale"))
            return
        await self.shell.answer(query)
        if self.shell.stored(self.reminders.choose, who.participant, wanted) is FAILED:
            await self.shell.say(context.bot, who, "chat.save_failed")
            return
        log.info("event=reminders_chosen participant=%d on=%s", who.participant, wanted)
        if query.message is not None:
            await self.shell.sender.strip_buttons(context.bot, query.message.chat_id, query.message.message_id)
        await self.shell.say(context.bot, who, "reminders.on" if wanted else "reminders.off")

    # ---- facilitators -----------------------------------------------------------------------

    async def due(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        if not self.services.cohorts.is_staff(who.participant):
            await self.shell.say(context.bot, who, "staff.only_facilitators")
            return
        args = context.args or []
        cohort = self.services.cohorts.find_visible(who.participant, args[0]) if args else None
        if not args:
            await self.shell.say(context.bot, who, "due.usage")
            return
        if cohort is None:
            await self.shell.say(context.bot, who, "staff.unknown_cohort", name=esc(args[0]))
            return
        if len(args) == 1:
            await self.shell.send(context.bot, who, packed(self.overview_lines(who, cohort)))
            return
        if len(args) != 3:
            await self.shell.say(context.bot, who, "due.usage")
            return
        key, values = self._change(who, cohort, args[1], args[2])
        await self.shell.say(context.bot, who, key, **values)

    def _change(self, who: Who, cohort, what: str, value: str) -> tuple[str, dict]:
        """Apply `/due NAME what value`; the reply's key and values."""
        name = esc(cohort.name)
        try:
            if what == "zone":
                self.reminders.set_time_zone(cohort, value)
                return "due.zone_set", {"name": name, "zone": esc(value)}
            if what == "quiet":
                self.reminders.set_quiet_hours(cohort, value)
                zone, quiet = self.reminders.zone_and_quiet(cohort.id)
                return "due.quiet_set", {"name": name, "quiet": esc(quiet), "zone": esc(zone)}
            if value == "off":
                self.reminders.clear_deadline(cohort, what)
                return "due.cleared", {"name": name, "dialogue": esc(what)}
            dialogue = self.reminders.set_deadline(cohort, what, value, f"participant:{who.participant}")
        except ValueError as exc:
            problem = str(exc)
            if problem == "dialogue":
                ids = ", ".join(d.id for d in self.services.course.dialogues)
                return "due.unknown_dialogue", {"dialogue": esc(what), "ids": esc(ids)}
            bad = {"date": "due.bad_date", "zone": "due.bad_zone", "quiet": "due.bad_quiet"}[problem]
            return bad, {"zone": esc(value)}
        log.info("event=deadline_set cohort=%d dialogue=%s", cohort.id, dialogue.id)
        title = localize(dialogue.title, who.locale)
        return "due.set", {"name": name, "title": esc(title), "due": value, "before": REMIND_BEFORE}

    def overview_lines(self, who: Who, cohort) -> list[str]:
        """Who is due, late or done, per due dialogue (HTML; every name escaped)."""
        zone, quiet = self.reminders.zone_and_quiet(cohort.id)
        names = {"name": esc(cohort.name), "zone": esc(zone), "quiet": esc(quiet)}
        views = self.reminders.overview(cohort, clock.now())
        if not views:
            return [self.shell.t(who, "due.none", **names)]
        lines = [self.shell.t(who, "due.heading", **names)]
        for view in views:
            lines += ["", *self._deadline_lines(who, view)]
        return lines

    def _deadline_lines(self, who: Who, view: DeadlineView) -> list[str]:
        count = {status: sum(m.status == status for m in view.members) for status in STATUS_KEYS}
        title = esc(localize(view.dialogue.title, who.locale))
        lines = [
            self.shell.t(
                who,
                "due.dialogue",
                title=title,
                due=view.due,
                done=count["done"],
                late=count["late"],
                open=count["due"],
            )
        ]
        for member in view.members:
            label = self.shell.t(who, STATUS_KEYS[member.status])
            if member.active and member.status != "done":
                label += f", {self.shell.t(who, 'due.started')}"
            lines.append(f"· {esc(member.name or '?')} (P{member.participant_id}): {label}")
        return lines

    # ---- the job ------------------------------------------------------------------------------

    async def tick(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Claim what is due now, then send it. A failure is logged and tried again next tick."""
        order = context.application.update_processor
        try:
            self.reminders.send_due(clock.now(), self.render)
            for chat in self.reminders.owed_chats():
                turn = order.turn_of(int(chat)) if isinstance(order, PerChatOrder) else contextlib.nullcontext()
                async with turn:  # never while one of the chat's updates is handled (it may flush too)
                    await self.shell.flush(context.bot, chat)
            self.reminders.settle()
        except (sqlite3.Error, TelegramError) as exc:
            log.error("event=reminders_failed error=%s", type(exc).__name__)

    def render(self, reminder: Reminder) -> dict:
        locale = self.shell.prompts.locale_for(reminder.subscriber.locale)
        t = self.shell.translator(locale)
        title = localize(reminder.dialogue.title, locale)
        text = t(REASON_KEYS[reminder.reason], title=esc(title), due=reminder.due or "")
        keyboard = buttons(
            ((t("reminders.continue", title=title), f"d:{reminder.dialogue.id}"),),
            ((t("reminders.stop"), "r:off"),),
        )
        return to_payload(Text(text, keyboard))


def packed(lines: list[str]) -> list[Text]:
    """HTML lines (each short, its tags closed), packed into as few messages as Telegram accepts."""
    messages: list[Text] = []
    current: list[str] = []
    for line in lines:
        if current and visible_length("\n".join([*current, line])) > MAX_TEXT:
            messages.append(Text("\n".join(current)))
            current = []
        current.append(line)
    if current:
        messages.append(Text("\n".join(current)))
    return messages
