"""Members in a group session: their replies to its questions and follow-ups, their votes in its
polls, the notices that tell them why nothing of theirs is kept, and the answer counter.

A member's reply waits on nothing the group is posting: what it sets off (a follow-up, a notice)
is queued in the outbox and posted by the group's background drain.
"""

from __future__ import annotations

import logging

from telegram import Bot, Update
from telegram.ext import Application, ContextTypes, JobQueue, MessageHandler, PollAnswerHandler, filters

from ..app.cohorts import deep_link
from ..app.group_sessions import GroupSession
from . import group_render
from .messages import to_payload
from .plumbing import PLATFORM, Shell

log = logging.getLogger("elenchus.telegram")

GROUPS = filters.ChatType.GROUPS & filters.USER


class MemberHandlers:
    def __init__(self, shell: Shell, ack_seconds: float = 15.0):
        self.shell = shell
        self.services = shell.services
        self.sessions = shell.services.groups
        self.ack_seconds = ack_seconds
        self.jobs: JobQueue | None = None

    def register(self, app: Application) -> None:
        self.jobs = app.job_queue
        app.add_handlers(
            [
                MessageHandler(GROUPS & filters.UpdateType.EDITED_MESSAGE & filters.REPLY & filters.TEXT, self.edited),
                MessageHandler(
                    GROUPS & filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND, self.reply
                ),
                PollAnswerHandler(self.poll_answer),
            ]
        )

    def stop_counting(self, session_id: int) -> None:
        for job in self.jobs.get_jobs_by_name(_counter(session_id)) if self.jobs else ():
            job.schedule_removal()

    async def reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        chat = str(update.effective_chat.id)
        asked = message.reply_to_message
        found = self.sessions.asked_by(chat, asked.message_id)
        if found is None:
            await self.shell.recorded()
            found = self.sessions.asked_by(chat, asked.message_id)
        if found is None and asked.from_user is not None and asked.from_user.id == context.bot.id:
            thread = message.message_thread_id if message.is_topic_message else None
            found = self.sessions.adopt(chat, thread, asked.message_id, asked.text or "")
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
                link = deep_link(context.bot.username, "consent")  # participant.CONSENT_PAYLOAD
                notice = group_render.consent_notice(who.name, who.participant, link, message.message_id, t)
                self.sessions.queue(session, [to_payload(notice, session.id)])
                self.shell.kick(context.bot, session.chat)
            return
        if not result.stored:
            return
        log.info("event=group_answer session=%d participant=%d", session.id, who.participant)
        if result.probe is not None:
            probe = group_render.probe(result.probe, who.participant, message.message_id, t)
            self.sessions.queue(session, [to_payload(probe, session.id)])
            self.shell.kick(context.bot, session.chat)
        self._acknowledge(context, session)

    def _acknowledge(self, context, session: GroupSession) -> None:
        self.count_later(context.bot, session.id)

    def count_later(self, bot: Bot, session_id: int) -> None:
        """Count answers in the control message, at most once every ack_seconds (not one reply each):
        a JobQueue job, one at a time per session."""
        if self.jobs is None or self.jobs.get_jobs_by_name(_counter(session_id)):
            return
        self.jobs.run_once(self._count, self.ack_seconds, data=session_id, name=_counter(session_id))

    async def _count(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        bot, session_id = context.bot, context.job.data
        session = self.sessions.get(session_id)
        count = self.sessions.count_to_show(session) if session and session.status != "ended" else None
        if session is None or count is None:
            return  # the message shows this count already, has gone, or is still on its way
        step = session.state.get("steps", 0)
        counter = group_render.control(session_id, step, count, self.shell.translator(session.locale))
        if await self.shell.sender.edit(bot, session.chat, session.control_message, counter):
            self.sessions.shown_count(session, count)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        who, chat = self.shell.who(update), str(update.effective_chat.id)
        self.shell.stored(self.services.dialogues.edit_answer, who.participant, chat, message.message_id, message.text)

    async def poll_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answer = update.poll_answer
        found = self.sessions.poll(answer.poll_id)
        if found is None:
            await self.shell.recorded()
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
            self.sessions.queue(session, [to_payload(notice, session.id)])
            self.shell.kick(context.bot, session.chat)


def _counter(session_id: int) -> str:
    """The name of a session's answer-counter job."""
    return f"answer-count-{session_id}"
