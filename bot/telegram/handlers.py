"""Telegram updates -> service calls -> Bot API calls, for participants in private chats.

Thin on purpose: who is writing, in which chat, what they pressed. Dialogue logic is in the
engine, storing is in the service, the look of messages is in render.py.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from ..app.cohorts import Cohorts
from ..app.dialogues import Service, Turn
from ..config import Settings
from ..content.prompts import Prompts
from ..engine import ChoiceInput, Dialogue, ResumeInput, StanceInput, TextInput
from ..engine.step import localize
from ..exports import personal, portfolio
from ..exports.records import portfolio_entries
from ..storage import utc_now
from . import callbacks
from .flood import FloodGuard
from .render import LONG_TEXT, Keyboard, Outgoing, esc, render

log = logging.getLogger("elenchus.telegram")

PLATFORM = "telegram"
CONSENT_VERSION = "2"
"""Raise when consent.text changes in substance; each consent record keeps the version it saw."""

COMMANDS = {
    "menu": "commands.menu",
    "resume": "commands.resume",
    "portfolio": "commands.portfolio",
    "mydata": "commands.mydata",
    "forget": "commands.forget",
    "privacy": "commands.privacy",
    "language": "commands.language",
    "help": "commands.help",
}
LANGUAGES = {"en": "English", "de": "Deutsch"}
FAILED = object()
CONSENT_PAYLOAD = "consent"
"""/start payload of the button a group member gets to give consent privately."""

PRIVATE = filters.ChatType.PRIVATE
NOT_TEXT = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
    | filters.ANIMATION
    | filters.POLL
    | filters.Dice.ALL
)


@dataclass(frozen=True)
class Who:
    participant: int
    chat: int
    locale: str
    name: str


class ChatHandlers:
    def __init__(self, service: Service, prompts: Prompts, settings: Settings, cohorts: Cohorts):
        self.cohorts = cohorts
        self.service = service
        self.storage = service.storage
        self.prompts = prompts
        self.settings = settings
        self.flood = FloodGuard()

    def register(self, app: Application) -> None:
        app.add_handler(TypeHandler(Update, self.skip_duplicates), group=-1)
        private = [
            CommandHandler("start", self.start, filters=PRIVATE),
            CommandHandler("menu", self.menu, filters=PRIVATE),
            CommandHandler("resume", self.resume, filters=PRIVATE),
            CommandHandler("help", self.help, filters=PRIVATE),
            CommandHandler("portfolio", self.portfolio, filters=PRIVATE),
            CommandHandler("mydata", self.mydata, filters=PRIVATE),
            CommandHandler("forget", self.forget, filters=PRIVATE),
            CommandHandler("privacy", self.privacy, filters=PRIVATE),
            CommandHandler("language", self.language, filters=PRIVATE),
            MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, self.edited),
            MessageHandler(PRIVATE & filters.COMMAND, self.unknown_command),
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT, self.text),
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & NOT_TEXT, self.not_text),
            CallbackQueryHandler(self.pressed),
        ]
        app.add_handlers(private)
        app.add_handler(TypeHandler(Update, self.mark_done), group=1)
        app.add_error_handler(self.on_error)

    # ---- plumbing -------------------------------------------------------------------------

    async def skip_duplicates(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Before any handler: drop updates already handled, and floods from one user."""
        if self.storage.update_seen(update.update_id):
            log.info("event=duplicate update=%d", update.update_id)
            raise ApplicationHandlerStop
        user = update.effective_user
        if user is None:
            return
        now = time.monotonic()
        verdict = self.flood.check(user.id, now)
        if verdict == "ok":
            return

        if verdict == "notice" and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            log.info("event=flood user_bucket_full=1")
            await self.say(context, self.who(update), "chat.slow_down")
        raise ApplicationHandlerStop

    async def mark_done(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            self.storage.mark_update(update.update_id)
        except sqlite3.Error as exc:  # bookkeeping only; the step itself was stored or refused already
            log.warning("event=mark_update_failed error=%s", type(exc).__name__)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log without texts; when the database refused a write, tell the person so they can retry."""
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(context.error, sqlite3.Error) and isinstance(update, Update) and update.effective_chat:
            language = update.effective_user.language_code if update.effective_user else None
            text = self.prompts.t("chat.save_failed", self.prompts.locale_for(language))
            await self._quietly(context.bot.send_message(update.effective_chat.id, text))

        log.error(
            "event=error update=%s error=%s",
            update_id,
            type(context.error).__name__,
            exc_info=(type(context.error), context.error, context.error.__traceback__),
        )

    def who(self, update: Update) -> Who:
        user = update.effective_user
        pid = self.storage.participant(PLATFORM, str(user.id), name=user.first_name, locale=None)
        row = self.storage.get_participant(pid)
        if row.get("blocked"):
            self.storage.mark_blocked(pid, False)
        locale = self.prompts.locale_for(row.get("locale"), user.language_code)
        return Who(pid, update.effective_chat.id, locale, user.first_name or "")

    def t(self, who: Who, key: str, **values: object) -> str:
        return self.prompts.t(key, who.locale, **values)

    async def send(self, context: ContextTypes.DEFAULT_TYPE, who: Who, messages: list[Outgoing]) -> list[Message]:
        """Send in order; a user who blocked the bot is recorded and skipped."""
        sent = []
        if any(len(m.text) > LONG_TEXT for m in messages):
            await self._quietly(context.bot.send_chat_action(who.chat, ChatAction.TYPING))
        try:
            for message in messages:
                sent.append(
                    await context.bot.send_message(
                        who.chat, message.text, parse_mode=ParseMode.HTML, reply_markup=_markup(message.keyboard)
                    )
                )
        except Forbidden:
            log.info("event=blocked participant=%d", who.participant)
            self.storage.mark_blocked(who.participant)
        return sent

    async def say(
        self, context: ContextTypes.DEFAULT_TYPE, who: Who, key: str, keyboard: Keyboard = (), **values: object
    ) -> None:
        await self.send(context, who, [Outgoing(self.t(who, key, **values), keyboard)])

    @staticmethod
    async def _quietly(call) -> None:
        try:
            await call
        except TelegramError as exc:
            log.info("event=ignored_error error=%s", type(exc).__name__)

    async def turn_out(self, context: ContextTypes.DEFAULT_TYPE, who: Who, turn: Turn) -> None:
        await self.send(context, who, render(turn.outputs, turn.run_id, partial(self.t, who)))

    def stored(self, action, *args, **kwargs):
        """Run a storing service call; FAILED when the database refused it (disk full, read-only)."""
        try:
            return action(*args, **kwargs)
        except sqlite3.Error as exc:
            log.error("event=save_failed error=%s", type(exc).__name__)
            return FAILED

    # ---- first contact and consent --------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        log.info("event=start participant=%d payload=%s", who.participant, bool(context.args))
        await self.say(context, who, "start.welcome", name=esc(who.name))
        if context.args:
            await self.deep_link(context, who, context.args[0])
        if self.storage.consent(who.participant) is None:
            await self.ask_consent(context, who)
        else:
            await self.show_menu(context, who)

    async def deep_link(self, context: ContextTypes.DEFAULT_TYPE, who: Who, code: str) -> None:
        if code == CONSENT_PAYLOAD:
            if self.storage.consent(who.participant) is not None:
                await self.ask_consent(context, who, withdraw=self.storage.has_consent(who.participant))
            return  # without a decision yet, /start asks for it next anyway
        joined = self.stored(self.cohorts.use_code, who.participant, code)
        if joined is FAILED:
            await self.say(context, who, "chat.save_failed")
        elif joined is None:
            await self.say(context, who, "start.invite_unknown")
        else:
            key = (
                "start.facilitator"
                if joined.kind == "facilitator"
                else ("start.joined" if joined.new else "start.joined_again")
            )
            log.info("event=joined kind=%s cohort=%d participant=%d", joined.kind, joined.cohort["id"], who.participant)
            await self.say(context, who, key, name=esc(joined.cohort["name"]))

    async def ask_consent(self, context: ContextTypes.DEFAULT_TYPE, who: Who, withdraw: bool = False) -> None:
        second = ("consent.withdraw", "a:consent-no") if withdraw else ("consent.decline", "a:consent-no")
        keyboard = (
            ((self.t(who, "consent.accept"), "a:consent-yes"),),
            ((self.t(who, second[0]), second[1]),),
        )
        await self.say(context, who, "consent.text", keyboard, days=self.settings.retention_days)

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        latest = self.storage.consent(who.participant)
        if latest and latest["given"]:
            await self.say(context, who, "consent.status_given", date=latest["at"][:10])
        else:
            await self.say(context, who, "consent.status_refused")
        await self.ask_consent(context, who, withdraw=bool(latest and latest["given"]))

    async def decide_consent(self, context: ContextTypes.DEFAULT_TYPE, who: Who, given: bool) -> None:
        was = self.storage.has_consent(who.participant)
        if (
            self.stored(self.storage.record_consent, who.participant, f"{CONSENT_VERSION}-{who.locale}", given)
            is FAILED
        ):
            await self.say(context, who, "chat.save_failed")
            return
        key = "consent.accepted" if given else ("consent.withdrawn" if was else "consent.declined")
        await self.say(context, who, key)
        if self.service.current(who.participant, chat=str(who.chat)) is None:
            await self.show_menu(context, who)

    # ---- the dialogues --------------------------------------------------------------------

    async def menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        if self.storage.consent(who.participant) is None:
            await self.ask_consent(context, who)
            return
        await self.show_menu(context, who)

    async def show_menu(self, context: ContextTypes.DEFAULT_TYPE, who: Who, intro: str = "chat.menu_intro") -> None:
        rows = []
        for entry in self.service.menu(who.participant):
            title = localize(entry.dialogue.title, who.locale)
            key = {"new": "chat.menu_new", "active": "chat.menu_active", "done": "chat.menu_done"}[entry.status]
            label = self.t(who, key, title=title, step=entry.step, total=entry.total)
            rows.append(((label, f"d:{entry.dialogue.id}"),))
        await self.say(context, who, intro, tuple(rows))

    async def open_dialogue(self, context: ContextTypes.DEFAULT_TYPE, who: Who, dialogue: Dialogue) -> None:
        run = self.storage.active_run(who.participant, chat=str(who.chat), dialogue_id=dialogue.id)
        if run is not None:
            turn = self.stored(self.service.send, who.participant, run, ResumeInput())
        else:
            intro = f"<b>{esc(localize(dialogue.title, who.locale))}</b>\n{esc(localize(dialogue.summary, who.locale))}"
            await self.send(context, who, [Outgoing(intro)])
            turn = self.stored(self.service.start, who.participant, dialogue, locale=who.locale, chat=str(who.chat))
        if turn is FAILED:
            await self.say(context, who, "chat.save_failed")
            return
        await self.turn_out(context, who, turn)

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        run = self.service.current(who.participant, chat=str(who.chat))
        if run is None or self.service.dialogue(run.dialogue_id) is None:
            await self.show_menu(context, who, intro="chat.nothing_to_resume")
            return
        await self.open_dialogue(context, who, self.service.dialogue(run.dialogue_id))

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        if self.storage.consent(who.participant) is None:
            await self.ask_consent(context, who)
            return
        run = self.service.current(who.participant, chat=str(who.chat))
        if run is None:
            await self.say(context, who, "chat.no_run")
            return
        message = update.effective_message
        turn = self.stored(
            self.service.send,
            who.participant,
            run,
            TextInput(message.text),
            update_id=update.update_id,
            source=(str(who.chat), message.message_id),
        )
        if turn is FAILED:
            await self.say(context, who, "chat.save_failed")
            return
        log.info("event=answer participant=%d run=%d chars=%d", who.participant, run.id, len(message.text))
        await self.turn_out(context, who, turn)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context, self.who(update), "chat.not_text")

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        message = update.effective_message
        changed = self.stored(
            self.service.edit_answer, who.participant, str(who.chat), message.message_id, message.text
        )
        if changed is FAILED:
            await self.say(context, who, "chat.save_failed")
            return
        await self.say(context, who, "chat.edited" if changed else "chat.edit_ignored")

    # ---- buttons --------------------------------------------------------------------------

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
            await self._quietly(query.answer())
            return
        who = self.who(update)
        data = query.data or ""
        if data.startswith("a:"):
            await self._quietly(query.answer())
            await self.action(context, who, query.message, data[2:])
        elif data.startswith("d:"):
            dialogue = self.service.dialogue(data[2:])
            if dialogue is None:
                await self.stale(query, who)
            else:
                await self._quietly(query.answer())
                await self.open_dialogue(context, who, dialogue)

        else:
            await self.step_button(update, context, who, callbacks.parse(data))

    async def stale(self, query, who: Who) -> None:
        """An outdated button: say so, and take the old buttons off (never off another message)."""
        await self._quietly(query.answer(self.t(who, "chat.stale")))
        if _label_of(query.message, query.data) is not None:
            await self._quietly(query.message.edit_reply_markup(reply_markup=None))

    async def step_button(self, update: Update, context, who: Who, press: callbacks.Press | None) -> None:
        """A choice or a rating: only for the presser's own run, and only while that step is current."""
        query = update.callback_query
        run = self.storage.get_run_or_none(press.run) if press else None
        if run is None or run.participant_id != who.participant or run.status != "active":
            await self.stale(query, who)
            return
        current = self.service.current(who.participant, chat=str(who.chat))
        state = self.service.state_of(run)
        if current is None or current.id != run.id or state.node != press.node or state.probing:
            await self.stale(query, who)
            return

        event = ChoiceInput(press.value) if press.kind == "choice" else StanceInput(press.value)
        turn = self.stored(self.service.send, who.participant, run, event, update_id=update.update_id)
        if turn is FAILED:
            await self._quietly(query.answer(self.t(who, "chat.save_failed"), show_alert=True))
            return
        await self._quietly(query.answer())
        label = _label_of(query.message, query.data) or str(press.value)
        await self.mark_used(query.message, self.t(who, "chat.chosen", label=label))
        await self.turn_out(context, who, turn)

    async def mark_used(self, message: Message | None, note: str) -> None:
        """Take the buttons off a message and say what was chosen, so the chat stays readable."""
        if message is None or not message.text:
            return
        try:
            await message.edit_text(
                f"{message.text_html}\n\n<i>{esc(note)}</i>", parse_mode=ParseMode.HTML, reply_markup=None
            )
        except BadRequest:
            await self._quietly(message.edit_reply_markup(reply_markup=None))

    async def action(self, context, who: Who, message: Message | None, action: str) -> None:
        if action in ("consent-yes", "consent-no"):
            label = _label_of(message, f"a:{action}")
            if label:
                await self.mark_used(message, self.t(who, "chat.chosen", label=label))
            await self.decide_consent(context, who, action == "consent-yes")
        elif action in ("forget-yes", "forget-no"):
            await self.mark_used(message, self.t(who, "chat.chosen", label=_label_of(message, f"a:{action}") or ""))
            await self.do_forget(context, who, action == "forget-yes")
        elif action.startswith("lang-") and action[5:] in LANGUAGES:
            self.stored(self.storage.set_locale, who.participant, action[5:])
            await self.mark_used(message, LANGUAGES[action[5:]])
            who = Who(who.participant, who.chat, action[5:], who.name)
            await self.say(context, who, "chat.language_set")

    # ---- the participant's data -----------------------------------------------------------

    async def portfolio(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        pid = who.participant
        entries = portfolio_entries(
            self.service.course,
            self.storage.run_rows(pid),
            self.storage.reflections(pid),
            self.storage.stances(pid),
            who.locale,
        )
        if not entries:
            await self.say(context, who, "chat.portfolio_empty")
            return
        now, t = utc_now(), partial(self.t, who)
        markdown = portfolio.to_markdown(who.name, entries, t, now)
        page = portfolio.to_html(who.name, entries, t, now, lang=who.locale)
        await self.say(context, who, "chat.portfolio_ready")
        day = now[:10]
        await self.document(context, who, markdown, f"elenchus-portfolio-{day}.md")
        await self.document(context, who, page, f"elenchus-portfolio-{day}.html")

    async def mydata(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        now = utc_now()
        await self.say(context, who, "chat.mydata_ready")
        await self.document(
            context,
            who,
            personal.to_json(self.storage.everything_about(who.participant), now),
            f"elenchus-mydata-{now[:10]}.json",
        )

    async def document(self, context, who: Who, content: str, filename: str) -> None:
        try:
            await context.bot.send_document(who.chat, InputFile(content.encode("utf-8"), filename=filename))
        except Forbidden:
            self.storage.mark_blocked(who.participant)

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        keyboard = (
            ((self.t(who, "chat.forget_yes"), "a:forget-yes"),),
            ((self.t(who, "chat.forget_no"), "a:forget-no"),),
        )
        await self.say(context, who, "chat.forget_confirm", keyboard)

    async def do_forget(self, context, who: Who, confirmed: bool) -> None:
        if not confirmed:
            await self.say(context, who, "chat.forget_cancelled")
            return
        counts = self.stored(self.service.forget, who.participant)
        if counts is FAILED:
            await self.say(context, who, "chat.save_failed")
            return
        log.info("event=forget participant=%d", who.participant)
        await self.say(context, who, "chat.forgotten", **counts)

    async def language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        row = tuple((label, f"a:lang-{code}") for code, label in LANGUAGES.items())
        await self.say(context, who, "chat.language_pick", (row,))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.who(update)
        await self.say(context, who, "chat.help")
        if self.cohorts.is_staff(who.participant):
            await self.say(context, who, "staff.help")
        if self.cohorts.is_admin(who.participant):
            await self.say(context, who, "staff.admin_help")

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context, self.who(update), "chat.unknown_command")


def _markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in keyboard]
    )


def _label_of(message: Message | None, data: str | None) -> str | None:
    """The label of the button with this data on a message, if it is still there."""
    markup = message.reply_markup if message is not None else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
