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
from telegram.constants import ChatMemberStatus
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

from ..app.cohorts import deep_link
from ..app.group_sessions import GroupSession, Starter
from ..engine.step import localize
from ..reports import chart
from . import group_render
from .messages import Outgoing, Text
from .plumbing import PLATFORM, Shell, Who
from .render import esc
from .sender import quietly

log = logging.getLogger("elenchus.telegram")

GROUPS = filters.ChatType.GROUPS
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
                CommandHandler("unbind", self.unbind, filters=GROUPS),
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
        return await self.group_admin(update, context)

    async def group_admin(self, update: Update, context) -> bool:
        """The caller is the group's owner or one of its administrators (Telegram says so)."""
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
                self.sessions.set_control(session, result.message_id, count=0)
                continue
            poll_id = result.poll.id if record.kind == "poll" and result.poll else None
            values = {"node_id": record.node, "question": record.question, "move": record.move, "phase": record.phase}
            values |= {"participant_id": record.participant, "poll_id": poll_id}
            self.sessions.posted(session, result.message_id, record.kind, **values)
        return sent

    async def note(self, bot: Bot, chat: str, thread: int | None, text: str) -> None:
        await self.post(bot, chat, thread, [Text(text)])

    async def tell(self, update: Update, context, who: Who, key: str, **values: object) -> None:
        """Answer the caller in the group (topic) they wrote in, in their language."""
        chat, thread = self._where(update)
        await self.note(context.bot, chat, thread, self.shell.t(who, key, **values))

    # ---- starting ---------------------------------------------------------------------------

    async def start_session(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        args = context.args or []
        chat, thread = self._where(update)
        if self.sessions.open_in(chat, thread) is not None:
            await self.tell(update, context, who, "group.already_running")
            return
        dialogue = self.services.dialogues.dialogue(args[0]) if args else None
        if dialogue is None:
            if not await self.may_start(update, context, who):
                await self.tell(update, context, who, "group.only_steerers")
                return
            t = self.shell.translator(who.locale)
            await self.post(
                context.bot, chat, thread, [group_render.picker(self.services.course.dialogues, who.locale, t)]
            )
            return
        await self._open(update, context, who, dialogue.id, args[1] if len(args) > 1 else None)

    async def _open(self, update: Update, context, who: Who, dialogue_id: str, cohort_name: str | None) -> None:
        """Start a session: for the cohort the group is bound to (binding it on first use by a
        facilitator who is its admin, or an administrator), or for none (by the group's own admin)."""
        chat, thread = self._where(update)
        counting = self.sessions.counting_for(chat, await self._starter(update, context, who), cohort_name)
        if counting.problem is not None:
            await self.tell(update, context, who, counting.problem, name=esc(cohort_name or ""))
            return
        if self.sessions.open_in(chat, thread) is not None:
            await self.tell(update, context, who, "group.already_running")
            return
        cohort = counting.cohort
        dialogue = self.services.dialogues.dialogue(dialogue_id)
        session, outputs = self.sessions.start(
            chat, thread, dialogue, cohort.id if cohort else None, who.participant, who.locale, binds=counting.binds
        )
        log.info("event=session_started session=%d cohort=%s bound=%s", session.id, session.cohort_id, counting.binds)
        title = esc(localize(dialogue.title, who.locale))
        intro = self.shell.t(who, "group.started", title=title, cohort=esc(cohort.name if cohort else "-"))
        if counting.binds and cohort is not None:
            intro += "\n\n" + self.shell.t(who, "group.bound", cohort=esc(cohort.name))
        await self.note(context.bot, chat, thread, intro)
        await self.show(context, session, outputs)

    async def _starter(self, update: Update, context, who: Who) -> Starter:
        cohorts = self.services.cohorts
        admin, visible = cohorts.is_admin(who.participant), tuple(cohorts.visible(who.participant))
        return Starter(who.participant, admin, await self.group_admin(update, context), visible)

    async def unbind(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Only an administrator unbinds a group, so that its sessions can count for another cohort."""
        who = self.shell.who(update)
        if not self.services.cohorts.is_admin(who.participant):
            await self.tell(update, context, who, "group.unbind_only_admins")
            return
        key, cohort = self.sessions.unbind(self._where(update)[0])
        log.info("event=group_unbind outcome=%s", key)
        await self.tell(update, context, who, key, cohort=esc(cohort.name if cohort else ""))

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
        session_id = parts[2] if len(parts) == 3 and parts[2].isdigit() and len(parts[2]) < 19 else None
        session = self.sessions.get(int(session_id)) if session_id else None
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
            await self.tell(update, context, who, "group.none_running")
            return None
        if not await self.may_steer(update, context, session.cohort_id):
            await self.tell(update, context, who, "group.only_steerers")
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
        """Take the buttons off the step's control message, once: it is forgotten at once, so a
        later answer never edits it (nor ending the session strips it again)."""
        task = self._acks.pop(session.id, None)
        if task is not None:
            task.cancel()
        if session.control_message:
            self.sessions.set_control(session, None, count=None)
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
        if result.needs_membership:
            await self._join_notice(context, session, who.participant, who.name, message.message_id)
            return
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
        count = self.sessions.count_to_show(session) if session and session.status != "ended" else None
        if session is None or count is None:
            return  # the message shows this count already (or has gone): no edit that changes nothing
        counter = group_render.control(session_id, count, self.shell.translator(session.locale))
        if await self.shell.sender.edit(context.bot, session.chat, session.control_message, counter):
            self.sessions.shown_count(session, count)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        who, chat = self.shell.who(update), str(update.effective_chat.id)
        self.shell.stored(self.services.dialogues.edit_answer, who.participant, chat, message.message_id, message.text)

    async def poll_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answer = update.poll_answer
        found = self.sessions.poll(answer.poll_id)
        if found is None or answer.user is None:
            return
        session, poll = found
        person = self.services.participants.identify(PLATFORM, str(answer.user.id), name=answer.user.first_name)
        stored = self.sessions.vote(session, poll, person.id, list(answer.option_ids))
        log.info("event=group_vote session=%d participant=%d stored=%s", session.id, person.id, stored)
        if not stored and session.status != "ended":
            await self._join_notice(context, session, person.id, answer.user.first_name, None)

    async def _join_notice(self, context, session: GroupSession, participant: int, name: str, reply_to) -> None:
        """Once per session, tell someone outside the session's cohort how to join it (or that its
        invitation was withdrawn): nothing of theirs is kept until they are a member."""
        cohort = self.sessions.join_notice_due(session, participant)
        if cohort is not None:
            link, t = deep_link(context.bot.username, cohort.invite_code), self.shell.translator(session.locale)
            notice = group_render.join_notice(name, participant, cohort.name, link, reply_to, t)
            await self.post(context.bot, session.chat, session.thread, [notice], session)

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
