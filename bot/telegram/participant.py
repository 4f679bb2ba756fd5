"""Telegram updates -> use-case calls -> rendered messages, for participants in private chats.

Thin on purpose: who is writing, in which chat, what they pressed. Dialogue logic is in the
engine, storing in the use cases (bot/app/), the look of messages in render.py.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from ..app.dialogues import Press, ReplyTo, Turn
from ..app.participants import CONSENT_VERSION
from ..clock import utc_now
from ..content.keys import MENU_STATUS_KEYS
from ..engine import Dialogue
from ..engine.step import localize
from ..exports import documents, leap2a, personal
from . import callbacks
from .feedback import FeedbackHandlers
from .messages import Document, Text, buttons, to_payload
from .plumbing import FAILED, Shell, Who
from .reminders import ReminderHandlers
from .render import esc, render

log = logging.getLogger("elenchus.telegram")

LANGUAGES = {"en": "English", "de": "Deutsch"}
CONSENT_PAYLOAD = "consent"
"""/start payload of the button a group member gets to give consent privately."""

PRIVATE = filters.ChatType.PRIVATE & filters.USER
"""Private messages from someone: the spec lets a message come without a sender."""
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


class ParticipantHandlers:
    def __init__(
        self, shell: Shell, feedback: FeedbackHandlers | None = None, reminders: ReminderHandlers | None = None
    ):
        self.shell = shell
        self.services = shell.services
        self.feedback = feedback
        """Comments and peers: the sharing question at joining, in /privacy, and after an answer."""
        self.reminders = reminders
        """Asks about reminders after joining a cohort, and shows the choice in /privacy."""

    def register(self, app: Application) -> None:
        self.shell.on_duplicate = self.duplicate
        app.add_handlers(
            [
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
        )

    async def say(self, context, who: Who, key: str, keyboard=(), **values: object) -> None:
        await self.shell.say(context.bot, who, key, keyboard, **values)

    # ---- first contact and consent --------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        log.info("event=start participant=%d payload=%s", who.participant, bool(context.args))
        await self.say(context, who, "start.welcome", name=esc(who.name))
        if context.args:
            await self.deep_link(context, who, context.args[0])
        if not who.asked:
            await self.ask_consent(context, who)
        else:
            await self.show_menu(context, who)

    async def deep_link(self, context, who: Who, code: str) -> None:
        if code == CONSENT_PAYLOAD:
            if who.asked:
                await self.ask_consent(context, who, withdraw=who.consents)
            return  # without a decision yet, /start asks for it next anyway
        joined = self.shell.stored(self.services.cohorts.use_code, who.participant, code)
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
            log.info("event=joined kind=%s cohort=%d participant=%d", joined.kind, joined.cohort.id, who.participant)
            await self.say(context, who, key, name=esc(joined.cohort.name))
            if self.feedback is not None:
                await self.feedback.joined(context, who, joined)
            if joined.kind == "invite" and who.asked:  # else after the consent question
                await self.ask_reminders(context, who)

    async def ask_reminders(self, context, who: Who) -> None:
        if self.reminders is not None:
            await self.reminders.ask_once(context.bot, who)

    async def ask_consent(self, context, who: Who, withdraw: bool = False) -> None:
        keyboard = buttons(
            ((self.shell.t(who, "consent.accept"), "a:consent-yes"),),
            ((self.shell.t(who, "consent.withdraw" if withdraw else "consent.decline"), "a:consent-no"),),
        )
        await self.say(context, who, "consent.text", keyboard, days=self.shell.settings.retention_days)

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        person = self.services.participants.get(who.participant)
        if person and person.consents and person.consent:
            await self.say(context, who, "consent.status_given", date=person.consent.at[:10])
        else:
            await self.say(context, who, "consent.status_refused")
        await self.ask_consent(context, who, withdraw=who.consents)
        if self.feedback is not None:
            await self.feedback.privacy(context, who)
        if self.reminders is not None:
            await self.reminders.status(context.bot, who, members_only=True)

    async def decide_consent(self, context, who: Who, given: bool) -> None:
        version = f"{CONSENT_VERSION}-{who.locale}"
        if self.shell.stored(self.services.participants.decide, who.participant, version, given) is FAILED:
            await self.say(context, who, "chat.save_failed")
            return
        key = "consent.accepted" if given else ("consent.withdrawn" if who.consents else "consent.declined")
        await self.say(context, who, key)
        await self.ask_reminders(context, who)
        if self.services.dialogues.current(who.participant, chat=str(who.chat)) is None:
            await self.show_menu(context, who)

    # ---- the dialogues --------------------------------------------------------------------

    async def menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        if not who.asked:
            await self.ask_consent(context, who)
            return
        await self.show_menu(context, who)

    async def show_menu(self, context, who: Who, intro: str = "chat.menu_intro") -> None:
        rows = []
        for entry in self.services.dialogues.menu(who.participant):
            title = localize(entry.dialogue.title, who.locale)
            label = self.shell.t(who, MENU_STATUS_KEYS[entry.status], title=title, step=entry.step, total=entry.total)
            rows.append(((label, f"d:{entry.dialogue.id}"),))
        await self.say(context, who, intro, buttons(*rows))

    async def open_dialogue(self, context, who: Who, dialogue: Dialogue) -> None:
        opened = self.services.dialogues.open
        turn = self.shell.stored(
            opened, who.participant, dialogue, locale=who.locale, chat=str(who.chat), reply=self.reply_to(who)
        )
        if turn is FAILED:
            await self.say(context, who, "chat.save_failed")
            return
        if turn.started:
            title, summary = localize(dialogue.title, who.locale), localize(dialogue.summary, who.locale)
            await self.shell.send(context.bot, who, [Text(f"<b>{esc(title)}</b>\n{esc(summary)}")])
        await self.turn_out(context, who, turn)

    def reply_to(self, who: Who) -> ReplyTo:
        """A step's replies, rendered for this participant, committed with the step."""
        t = partial(self.shell.t, who)
        return ReplyTo(str(who.chat), lambda outputs, run_id: [to_payload(m) for m in render(outputs, run_id, t)])

    async def turn_out(self, context, who: Who, turn: Turn) -> None:
        if turn.queued:
            await self.shell.flush(context.bot, str(who.chat))
        else:
            await self.shell.send(context.bot, who, render(turn.outputs, turn.run_id, partial(self.shell.t, who)))

    async def duplicate(self, update: Update, context) -> None:
        """An update handled before arrived again (Telegram redelivers after a crash): show where the
        participant is, so nobody is left without the next step."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE or update.effective_user is None:
            return
        who = self.shell.who(update)
        dialogue = self.services.dialogues.current_dialogue(who.participant, chat=str(who.chat))
        if dialogue is not None:
            await self.open_dialogue(context, who, dialogue)

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        dialogue = self.services.dialogues.current_dialogue(who.participant, chat=str(who.chat))
        if dialogue is None:
            await self.show_menu(context, who, intro="chat.nothing_to_resume")
            return
        await self.open_dialogue(context, who, dialogue)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        if not who.asked:
            await self.ask_consent(context, who)
            return
        message = update.effective_message
        turn = self.shell.stored(
            self.services.dialogues.answer,
            who.participant,
            message.text,
            chat=str(who.chat),
            update_id=update.update_id,
            source=(str(who.chat), message.message_id),
            reply=self.reply_to(who),
        )
        if turn is FAILED:
            await self.say(context, who, "chat.save_failed")
        elif turn is None:
            await self.say(context, who, "chat.no_run")
        else:
            log.info("event=answer participant=%d run=%d chars=%d", who.participant, turn.run_id, len(message.text))
            if self.feedback is not None:
                await self.feedback.after_answer(context, who, message)
            await self.turn_out(context, who, turn)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context, self.shell.who(update), "chat.not_text")

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        message = update.effective_message
        changed = self.shell.stored(
            self.services.dialogues.edit_answer, who.participant, str(who.chat), message.message_id, message.text
        )
        if changed is FAILED:
            await self.say(context, who, "chat.save_failed")
            return
        if not changed and not who.consents:
            await self.say(context, who, "chat.edit_not_kept")
            return
        await self.say(context, who, "chat.edited" if changed else "chat.edit_ignored")

    # ---- buttons --------------------------------------------------------------------------

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        who = await self.shell.private_press(update)
        if who is None:
            return
        data = query.data or ""
        if data.startswith("a:"):
            await self.shell.answer(query)
            await self.action(context, who, query.message, data[2:])
        elif data.startswith("d:"):
            dialogue = self.services.dialogues.dialogue(data[2:])
            if dialogue is None:
                await self.stale(query, who)
            else:
                await self.shell.answer(query)
                await self.open_dialogue(context, who, dialogue)
        else:
            await self.step_button(update, context, who, callbacks.parse(data))

    async def stale(self, query, who: Who) -> None:
        """An outdated button: say so, and take the old buttons off (never off another message)."""
        await self.shell.answer(query, self.shell.t(who, "chat.stale"))
        if _label_of(query.message, query.data) is not None:
            await self.shell.sender.strip_buttons(query.get_bot(), query.message.chat_id, query.message.message_id)

    async def step_button(self, update: Update, context, who: Who, press: Press | None) -> None:
        """A choice or a rating: the use case checks it is the presser's own current step."""
        query = update.callback_query
        turn = None
        if press is not None:
            turn = self.shell.stored(
                self.services.dialogues.press,
                who.participant,
                str(who.chat),
                press,
                update_id=update.update_id,
                reply=self.reply_to(who),
            )
        if turn is FAILED:
            await self.shell.answer(query, self.shell.t(who, "chat.save_failed"), show_alert=True)
            return
        if turn is None:
            await self.stale(query, who)
            return
        await self.shell.answer(query)
        label = _label_of(query.message, query.data) or str(press.value)
        await self.mark_used(who, query.message, self.shell.t(who, "chat.chosen", label=label))
        await self.turn_out(context, who, turn)

    async def mark_used(self, who: Who, message: Message | None, note: str, strip: bool = False) -> None:
        """Say what was chosen at the top of the next message (no edit, no message of its own). The
        buttons stay on a dialogue step's message: a later press there gets the stale notice and takes
        them off then. `strip`: take them off now (consent, erasure: decisions a stray press must not
        repeat), which costs one call."""
        self.shell.note(who, note)
        if strip and message is not None and message.reply_markup is not None:
            await self.shell.sender.strip_buttons(message.get_bot(), message.chat_id, message.message_id)

    async def action(self, context, who: Who, message: Message | None, action: str) -> None:
        chosen = partial(self.shell.t, who, "chat.chosen")
        if action in ("consent-yes", "consent-no"):
            label = _label_of(message, f"a:{action}")
            if label:
                await self.mark_used(who, message, chosen(label=label), strip=True)
            await self.decide_consent(context, who, action == "consent-yes")
        elif action in ("forget-yes", "forget-no"):
            await self.mark_used(who, message, chosen(label=_label_of(message, f"a:{action}") or ""), strip=True)
            await self.do_forget(context, who, action == "forget-yes")
        elif action.startswith("lang-") and action[5:] in LANGUAGES:
            self.shell.stored(self.services.participants.set_locale, who.participant, action[5:])
            await self.mark_used(who, message, LANGUAGES[action[5:]])
            who = Who(who.participant, who.chat, action[5:], who.name, who.asked, who.consents)
            await self.say(context, who, "chat.language_set")

    # ---- the participant's data -----------------------------------------------------------

    async def portfolio(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        entries = self.services.rights.portfolio(who.participant, who.locale)
        if not entries:
            await self.say(context, who, "chat.portfolio_empty")
            return
        now, t = utc_now(), partial(self.shell.t, who)
        # The PDF takes a moment to lay out: off the event loop, so other participants are not kept waiting.
        files = await asyncio.to_thread(
            documents.portfolio_files,
            who.name,
            entries,
            t,
            now,
            stem=f"elenchus-portfolio-{now[:10]}",
            lang=who.locale,
            feed_id=leap2a.feed_id_for("participant", who.participant),
            templates=self.shell.settings.portfolio_templates,
        )
        await self.say(context, who, "chat.portfolio_ready")
        await self.shell.send(context.bot, who, [Document(f.data, f.name) for f in files])

    async def mydata(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        now = utc_now()
        await self.say(context, who, "chat.mydata_ready")
        data = personal.to_json(
            self.services.rights.everything(who.participant), now, lambda key, **v: self.shell.t(who, key, **v)
        )
        await self.shell.send(context.bot, who, [Document(data.encode("utf-8"), f"elenchus-mydata-{now[:10]}.json")])

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        keyboard = buttons(
            ((self.shell.t(who, "chat.forget_yes"), "a:forget-yes"),),
            ((self.shell.t(who, "chat.forget_no"), "a:forget-no"),),
        )
        await self.say(context, who, "chat.forget_confirm", keyboard)

    async def do_forget(self, context, who: Who, confirmed: bool) -> None:
        if not confirmed:
            await self.say(context, who, "chat.forget_cancelled")
            return
        counts = self.shell.stored(self.services.rights.forget, who.participant)
        if counts is FAILED:
            await self.say(context, who, "chat.save_failed")
            return
        log.info("event=forget participant=%d", who.participant)
        await self.say(context, who, "chat.forgotten", **counts)

    async def language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        row = tuple((label, f"a:lang-{code}") for code, label in LANGUAGES.items())
        await self.say(context, who, "chat.language_pick", buttons(row))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        await self.say(context, who, "chat.help")
        if self.services.cohorts.is_staff(who.participant):
            await self.say(context, who, "staff.help")
        if self.services.cohorts.is_admin(who.participant):
            await self.say(context, who, "staff.admin_help")

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context, self.shell.who(update), "chat.unknown_command")


def _label_of(message: Message | None, data: str | None) -> str | None:
    """The label of the button with this data on a message, if it is still there."""
    markup = message.reply_markup if message is not None else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
