"""Group sessions in Telegram groups, with privacy mode on.

Members answer open questions by replying to them (ForceReply), and rate claims and make the
group's choices in non-anonymous polls, whose votes reach the bot whatever the privacy mode.
Telegram allows about 20 messages a minute in a group: the rate limiter paces sends, and answers
are acknowledged in one edited counter message, not one reply each. What is posted is rendered by
group_render.py and sent by the one adapter; what it means is decided in bot/app/group_sessions.py.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from ..app.group_sessions import GroupSession
from ..engine.step import localize
from ..reports import chart
from . import callbacks, group_render
from .messages import Outgoing, Text
from .plumbing import PLATFORM, Shell, Who
from .render import esc
from .sender import quietly

log = logging.getLogger("elenchus.telegram")

GROUPS = filters.ChatType.GROUPS & filters.USER
"""Group messages from someone: the spec lets a message come without a sender."""
STEERING = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


class GroupHandlers:
    def __init__(self, shell: Shell, ack_seconds: float = 15.0):
        self.shell = shell
        self.services = shell.services
        self.sessions = shell.services.groups
        self.ack_seconds = ack_seconds
        self._acks: dict[int, asyncio.Task] = {}

    def register(self, app: Application) -> None:
        app.add_handlers(
            [
                CommandHandler("session", self.start_session, filters=GROUPS),
                CommandHandler("next", self.next_command, filters=GROUPS),
                CommandHandler("pause", self.pause, filters=GROUPS),
                CommandHandler("continue", self.resume, filters=GROUPS),
                CommandHandler("endsession", self.end_command, filters=GROUPS),
                CallbackQueryHandler(self.pressed, pattern=r"^g:"),
                MessageHandler(filters.StatusUpdate.MIGRATE, self.migrated),
                MessageHandler(GROUPS & filters.UpdateType.EDITED_MESSAGE & filters.REPLY & filters.TEXT, self.edited),
                MessageHandler(
                    GROUPS & filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND, self.reply
                ),
                MessageHandler(GROUPS & filters.StatusUpdate.LEFT_CHAT_MEMBER, self.member_left),
                ChatMemberHandler(self.bot_membership, ChatMemberHandler.MY_CHAT_MEMBER),
                PollAnswerHandler(self.poll_answer),
            ]
        )

    # ---- who may steer --------------------------------------------------------------------

    async def may_steer(self, update: Update, context, cohort_id: int | None) -> bool:
        """Administrators, the cohort's facilitators and the group's own admins steer sessions."""
        who = self.shell.who(update)
        cohorts = self.services.cohorts
        if cohorts.is_admin(who.participant):
            return True
        if cohort_id is not None and cohorts.facilitates(who.participant, cohort_id):
            return True
        try:
            member = await context.bot.get_chat_member(update.effective_chat.id, update.effective_user.id)
        except TelegramError:
            return False
        return member.status in STEERING

    async def may_start(self, update: Update, context, who: Who) -> bool:
        return await self.may_steer(update, context, None) or self.services.cohorts.is_staff(who.participant)

    def _where(self, update: Update) -> tuple[str, int | None]:
        message = update.effective_message
        thread = message.message_thread_id if message is not None and message.is_topic_message else None
        return str(update.effective_chat.id), thread

    async def post(self, bot: Bot, chat: str, thread: int | None, messages: list[Outgoing], session=None) -> list:
        """Send to the group; what the session must remember of each message is recorded."""
        sent = await self.shell.sender.send_all(bot, chat, messages, thread)
        for message, result in sent:
            record = getattr(message, "record", None)
            if session is None or record is None:
                continue
            if record.kind == "control":
                self.sessions.set_control(session, result.message_id)
                continue
            poll_id = result.poll.id if record.kind == "poll" and result.poll else None
            values = {"node_id": record.node, "question": record.question, "move": record.move, "phase": record.phase}
            values |= {"participant_id": record.participant, "poll_id": poll_id}
            self.sessions.posted(session, result.message_id, record.kind, **values)
        return sent

    async def note(self, bot: Bot, chat: str, thread: int | None, text: str) -> None:
        await self.post(bot, chat, thread, [Text(text)])

    # ---- starting ---------------------------------------------------------------------------

    async def start_session(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        args = context.args or []
        chat, thread = self._where(update)
        if self.sessions.open_in(chat, thread) is not None:
            await self.note(context.bot, chat, thread, self.shell.t(who, "group.already_running"))
            return
        dialogue = self.services.dialogues.dialogue(args[0]) if args else None
        if dialogue is None:
            if not await self.may_start(update, context, who):
                await self.note(context.bot, chat, thread, self.shell.t(who, "group.only_steerers"))
                return
            t = self.shell.translator(who.locale)
            await self.post(
                context.bot, chat, thread, [group_render.picker(self.services.course.dialogues, who.locale, t)]
            )
            return
        await self._open(update, context, who, dialogue.id, args[1] if len(args) > 1 else None)

    async def _open(self, update: Update, context, who: Who, dialogue_id: str, cohort_name: str | None) -> None:
        """Start a session: by a facilitator (for their cohort) or the group's own admin (for none)."""
        chat, thread = self._where(update)
        steers_group = await self.may_steer(update, context, None)
        if not steers_group and not self.services.cohorts.is_staff(who.participant):
            await self.note(context.bot, chat, thread, self.shell.t(who, "group.only_steerers"))
            return
        cohort, problem = self._cohort_for(who, cohort_name)
        if problem is not None and (cohort_name or not steers_group or problem == "group.name_cohort"):
            await self.note(context.bot, chat, thread, self.shell.t(who, problem, name=esc(cohort_name or "")))
            return
        if self.sessions.open_in(chat, thread) is not None:
            await self.note(context.bot, chat, thread, self.shell.t(who, "group.already_running"))
            return
        dialogue = self.services.dialogues.dialogue(dialogue_id)
        session, outputs = self.sessions.start(
            chat, thread, dialogue, cohort.id if cohort else None, who.participant, who.locale
        )
        log.info("event=session_started session=%d cohort=%s", session.id, cohort.id if cohort else None)
        title = esc(localize(dialogue.title, who.locale))
        intro = self.shell.t(who, "group.started", title=title, cohort=esc(cohort.name if cohort else "-"))
        await self.note(context.bot, chat, thread, intro)
        await self.show(context, session, outputs)

    def _cohort_for(self, who: Who, name: str | None):
        """The cohort a session counts for: named, or the starter's only one."""
        cohorts = self.services.cohorts
        if name:
            cohort = cohorts.find_visible(who.participant, name)
            return (cohort, None) if cohort else (None, "staff.unknown_cohort")
        mine = cohorts.visible(who.participant)
        if len(mine) == 1:
            return mine[0], None
        return None, ("group.name_cohort" if mine else "group.no_cohort")

    # ---- posting the dialogue ---------------------------------------------------------------

    async def show(self, context, session: GroupSession, outputs) -> None:
        """Post one stretch of the dialogue, up to the step that waits for the group."""
        t = self.shell.translator(session.locale)
        part = group_render.stretch(outputs, t)
        await self.post(context.bot, session.chat, session.thread, part.messages, session)
        session = self.sessions.get(session.id) or session
        if part.finished:
            await self.finish(context, session)
            return
        await self.post(context.bot, session.chat, session.thread, [group_render.control(session.id, 0, t)], session)

    # ---- steering ---------------------------------------------------------------------------

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):  # e.g. an inline message's
            await quietly(query.answer())
            return
        who = self.shell.who(update)
        parts = (query.data or "").split(":")
        if parts[1:2] == ["d"] and len(parts) == 3:
            if not await self.may_start(update, context, who):
                await quietly(query.answer(self.shell.t(who, "group.only_steerers")))
                return
            await quietly(query.answer())
            if self.services.dialogues.dialogue(parts[2]) is not None:
                await self._open(update, context, who, parts[2], None)
            return
        session_id = callbacks.number(parts[2]) if len(parts) == 3 else None
        session = self.sessions.get(session_id) if session_id is not None else None
        if session is None or session.chat != str(update.effective_chat.id) or session.status == "ended":
            await quietly(query.answer(self.shell.t(who, "chat.stale")))
            return
        if not await self.may_steer(update, context, session.cohort_id):
            await quietly(query.answer(self.shell.t(who, "group.only_steerers")))
            return
        await quietly(query.answer())
        if parts[1] == "n":
            await self.advance(context, session)
        elif parts[1] == "e":
            await self.finish(context, session)

    async def _session_command(self, update: Update, context) -> GroupSession | None:
        """The open session of this group (topic), if the caller may steer it."""
        chat, thread = self._where(update)
        session = self.sessions.open_in(chat, thread)
        who = self.shell.who(update)
        if session is None:
            await self.note(context.bot, chat, thread, self.shell.t(who, "group.none_running"))
            return None
        if not await self.may_steer(update, context, session.cohort_id):
            await self.note(context.bot, chat, thread, self.shell.t(who, "group.only_steerers"))
            return None
        return session

    async def next_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self._session_command(update, context)
        if session is not None:
            await self.advance(context, session)

    async def end_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self._session_command(update, context)
        if session is not None:
            await self.finish(context, session)

    async def pause(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._set_paused(update, context, True)

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._set_paused(update, context, False)

    async def _set_paused(self, update: Update, context, paused: bool) -> None:
        session = await self._session_command(update, context)
        if session is not None:
            self.sessions.set_paused(session, paused)
            text = self.shell.prompts.t("group.paused" if paused else "group.continued", session.locale)
            await self.note(context.bot, session.chat, session.thread, esc(text))

    async def advance(self, context, session: GroupSession) -> None:
        """Close the current step (its polls, its buttons) and post the next stretch."""
        if session.status == "paused":
            text = self.shell.prompts.t("group.is_paused", session.locale)
            await self.note(context.bot, session.chat, session.thread, esc(text))
            return
        choice = await self._close_polls(context, session)
        await self._retire_control(context, session)
        session, outputs = self.sessions.next(session, choice)
        await self.show(context, session, outputs)

    async def _close_polls(self, context, session: GroupSession) -> int | None:
        """Stop the current step's polls; for a choice, the option with most votes (ties: the first)."""
        winner = None
        for row in self.sessions.polls_now(session):
            try:
                poll = await context.bot.stop_poll(int(session.chat), row.message_id)
            except TelegramError:
                continue
            if row.phase is None and poll.total_voter_count:
                counts = [o.voter_count for o in poll.options]
                winner = counts.index(max(counts))
        return winner

    async def _retire_control(self, context, session: GroupSession) -> None:
        if session.control_message:
            task = self._acks.pop(session.id, None)
            if task is not None:
                task.cancel()
            await self.shell.sender.strip_buttons(context.bot, session.chat, session.control_message)

    async def finish(self, context, session: GroupSession) -> None:
        """End the session: members' runs finished, a summary with the stance chart in the group."""
        await self._close_polls(context, session)
        await self._retire_control(context, session)
        summary = self.sessions.end(session)
        t = self.shell.translator(session.locale)
        png = chart.stance_chart_png(summary.overview)
        messages = group_render.summary(summary.members, summary.answers, summary.questions, png, t)
        await self.post(context.bot, session.chat, session.thread, messages)
        log.info("event=session_ended session=%d members=%d", session.id, summary.members)

    # ---- members' answers and votes ------------------------------------------------------

    async def reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        chat = str(update.effective_chat.id)
        found = self.sessions.asked_by(chat, message.reply_to_message.message_id)
        if found is None:
            return
        session, asked = found
        who = self.shell.who(update)
        # A reply to a question is kept even if the session has ended since: it was written to it.
        result = self.sessions.answer(session, asked, who.participant, message.text, (chat, message.message_id))
        if session.status == "ended":
            return
        t = self.shell.translator(session.locale)
        if result.needs_consent:
            if self.sessions.consent_notice_due(session, who.participant):
                link = f"https://t.me/{context.bot.username}?start=consent"
                notice = group_render.consent_notice(who.name, who.participant, link, message.message_id, t)
                await self.post(context.bot, session.chat, session.thread, [notice], session)
            return
        if not result.stored:
            return
        log.info("event=group_answer session=%d participant=%d", session.id, who.participant)
        if result.probe is not None:
            probe = group_render.probe(result.probe, who.participant, message.message_id, t)
            await self.post(context.bot, chat, session.thread, [probe], session)
        self._acknowledge(context, session)

    def _acknowledge(self, context, session: GroupSession) -> None:
        """Count answers in the control message, at most once every ack_seconds (not one reply each)."""
        if session.id in self._acks and not self._acks[session.id].done():
            return
        self._acks[session.id] = asyncio.get_running_loop().create_task(self._ack_later(context, session.id))

    async def _ack_later(self, context, session_id: int) -> None:
        await asyncio.sleep(self.ack_seconds)
        session = self.sessions.get(session_id)
        if session is None or session.status == "ended" or not session.control_message:
            return
        t = self.shell.translator(session.locale)
        counter = group_render.control(session_id, self.sessions.current_count(session), t)
        await self.shell.sender.edit(context.bot, session.chat, session.control_message, counter)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        who = self.shell.who(update)
        self.shell.stored(
            self.services.dialogues.edit_answer,
            who.participant,
            str(update.effective_chat.id),
            message.message_id,
            message.text,
        )

    async def poll_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answer = update.poll_answer
        found = self.sessions.poll(answer.poll_id)
        if found is None or answer.user is None:
            return
        session, poll = found
        person = self.services.participants.identify(PLATFORM, str(answer.user.id), name=answer.user.first_name)
        stored = self.sessions.vote(session, poll, person.id, list(answer.option_ids))
        log.info("event=group_vote session=%d participant=%d stored=%s", session.id, person.id, stored)

    # ---- the group changes ------------------------------------------------------------------

    async def migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message.migrate_to_chat_id:
            self.sessions.move_chat(str(message.chat_id), str(message.migrate_to_chat_id))
            log.info("event=group_migrated")

    async def bot_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            for session_id in self.sessions.end_all_in(str(change.chat.id)):
                log.info("event=session_ended_bot_removed session=%d", session_id)

    async def member_left(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.info("event=member_left")  # their answers stay theirs: in their portfolio until they /forget
