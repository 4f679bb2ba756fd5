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
    filters,
)

from ..app.group_sessions import GroupSession, Starter
from ..engine.step import localize
from ..reports import chart
from . import callbacks, group_render
from .group_members import MemberHandlers
from .messages import Outgoing, Text, to_payload
from .plumbing import Shell, Who
from .render import esc

log = logging.getLogger("elenchus.telegram")

GROUPS = filters.ChatType.GROUPS & filters.USER
"""Group messages from someone: the spec lets a message come without a sender."""
STEERING = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def median_vote(counts: list[int]) -> int:
    """The median of a rating poll's votes (option i is the rating i + 1; the lower middle on a tie)."""
    votes = [i + 1 for i, n in enumerate(counts) for _ in range(n)]
    return votes[(len(votes) - 1) // 2]


class GroupHandlers:
    def __init__(self, shell: Shell, ack_seconds: float = 15.0):
        self.shell = shell
        self.services = shell.services
        self.sessions = shell.services.groups
        self.ack_seconds = ack_seconds
        self.members = MemberHandlers(shell, ack_seconds)

    def register(self, app: Application) -> None:
        self.shell.on_sent = self.recorded
        self.shell.on_finish = self.finish_posted
        self.shell.outdated = self.outdated
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
                MessageHandler(GROUPS & filters.StatusUpdate.LEFT_CHAT_MEMBER, self.member_left),
                ChatMemberHandler(self.bot_membership, ChatMemberHandler.MY_CHAT_MEMBER),
            ]
        )
        self.members.register(app)

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

    async def post(self, bot: Bot, chat: str, thread: int | None, messages: list[Outgoing]) -> list:
        """Send to the group now (notices that belong to no step)."""
        return await self.shell.sender.send_all(bot, chat, messages, thread)

    def recorded(self, chat: str, record: dict, sent) -> None:
        """A message posted from the outbox that later updates refer to: remember it."""
        session_id = record.get("session")
        if session_id is None:
            return
        if record["kind"] == "control":
            if self.outdated(record):  # the group moved on while it was being posted: take its buttons off
                asyncio.get_running_loop().create_task(
                    self.shell.sender.strip_buttons(sent.get_bot(), chat, sent.message_id)
                )
            else:
                self.sessions.set_control(session_id, sent.message_id)
                session = self.sessions.get(session_id)
                if session is not None and self.sessions.current_count(session):
                    self.members.count_later(sent.get_bot(), session_id)  # answers came while it was on its way
            return
        poll_id = sent.poll.id if record["kind"] == "poll" and sent.poll else None
        values = {k: record.get(k) for k in ("question", "move", "phase")}
        values |= {"node_id": record.get("node"), "participant_id": record.get("participant"), "poll_id": poll_id}
        self.sessions.posted(session_id, chat, sent.message_id, record["kind"], **values)

    def outdated(self, record: dict) -> bool:
        """A control message left in the outbox by a crash, for a step the group has moved past (or a
        session that ended): posting it would offer a Next that no longer applies."""
        if record.get("kind") != "control" or record.get("session") is None:
            return False
        session = self.sessions.get(record["session"])
        return session is None or session.status == "ended" or record.get("step") != session.state.get("steps", 0)

    def render_stretch(self, intro: str | None = None):
        """How a stretch of the session is posted: its messages, then the control message (or the
        end of the session), as outbox payloads committed with the step."""

        def render(outputs, session: GroupSession) -> list[dict]:
            t = self.shell.translator(session.locale)
            part = group_render.stretch(outputs, t)
            messages = [Text(intro)] if intro else []
            payloads = [to_payload(m, session.id) for m in messages + part.messages]
            if part.finished:
                return payloads + [{"finish": session.id}]
            control = group_render.control(session.id, session.state.get("steps", 0), 0, t)
            return payloads + [to_payload(control, session.id)]

        return render

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
        title = esc(localize(dialogue.title, who.locale))
        intro = self.shell.t(who, "group.started", title=title, cohort=esc(cohort.name if cohort else "-"))
        if counting.binds and cohort is not None:
            intro += "\n\n" + self.shell.t(who, "group.bound", cohort=esc(cohort.name))
        cohort_id = cohort.id if cohort else None
        session, _ = self.sessions.start(
            chat,
            thread,
            dialogue,
            cohort_id,
            who.participant,
            who.locale,
            render=self.render_stretch(intro),
            binds=counting.binds,
        )
        log.info("event=session_started session=%d cohort=%s bound=%s", session.id, cohort_id, counting.binds)
        self.shell.kick(context.bot, chat)

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

    # ---- steering ---------------------------------------------------------------------------

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):  # e.g. an inline message's
            await self.shell.answer(query)
            return
        who = self.shell.who(update)
        parts = (query.data or "").split(":")
        if parts[1:2] == ["d"] and len(parts) == 3:
            if not await self.may_start(update, context, who):
                await self.shell.answer(query, self.shell.t(who, "group.only_steerers"))
                return
            await self.shell.answer(query)
            if self.services.dialogues.dialogue(parts[2]) is not None:
                await self._open(update, context, who, parts[2], None)
            return
        numbers = [callbacks.number(p) for p in parts[2:4]]
        valid = len(parts) in (3, 4) and None not in numbers
        session = self.sessions.get(numbers[0]) if valid else None
        step = numbers[1] if valid and len(numbers) == 2 else None
        outdated = session is not None and parts[1] == "n" and step != session.state.get("steps", 0)
        if session is None or session.chat != str(update.effective_chat.id) or session.status == "ended" or outdated:
            await self.shell.answer(query, self.shell.t(who, "chat.stale"))
            return
        if not await self.may_steer(update, context, session.cohort_id):
            await self.shell.answer(query, self.shell.t(who, "group.only_steerers"))
            return
        await self.shell.answer(query)
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
        choice, rating = await self._close_polls(context, session)
        moved, _ = self.sessions.next(session, choice, render=self.render_stretch(), rating=rating)
        # Only now take the old step's buttons off: a control message the drain was still posting for
        # it is recorded by now (and then retired here) or, when it comes back later, found outdated.
        await self._retire_control(context, moved)
        self.shell.kick(context.bot, session.chat)

    async def _close_polls(self, context, session: GroupSession) -> tuple[int | None, int | None]:
        return await self._close_polls_with(context.bot, session)

    async def _close_polls_with(self, bot: Bot, session: GroupSession) -> tuple[int | None, int | None]:
        """Stop the current step's polls: for a choice, the option with most votes (ties: the
        first); for a rating, the median vote (1-5), or None without votes."""
        winner = rating = None
        for row in self.sessions.polls_now(session):
            try:
                poll = await bot.stop_poll(int(session.chat), row.message_id)
            except TelegramError:
                continue
            counts = [o.voter_count for o in poll.options]
            if row.phase is None and poll.total_voter_count:
                winner = counts.index(max(counts))
            elif row.phase is not None and sum(counts):
                rating = median_vote(counts)
        return winner, rating

    async def _retire_control(self, context, session: GroupSession) -> None:
        await self._retire_control_with(context.bot, session)

    async def _retire_control_with(self, bot: Bot, session: GroupSession) -> None:
        """Take the buttons off the step's control message, once: it is forgotten at once, so a
        later answer never edits it (nor ending the session strips it again)."""
        self.members.stop_counting(session.id)
        if session.control_message:
            self.sessions.set_control(session.id, None, count=None)
            await self.shell.sender.strip_buttons(bot, session.chat, session.control_message)

    async def finish(self, context, session: GroupSession) -> None:
        """End the session now (End or /endsession): its summary is posted after what is queued."""
        self.sessions.queue(session, [{"finish": session.id}])
        self.shell.kick(context.bot, session.chat)

    async def finish_posted(self, bot: Bot, session_id: int) -> None:
        """The session's end, posted in its turn: polls closed, members' runs finished, a summary
        with the stance chart."""
        session = self.sessions.get(session_id)
        if session is None or session.status == "ended":
            return
        await self._close_polls_with(bot, session)
        await self._retire_control_with(bot, session)
        summary = self.sessions.end(session)
        t = self.shell.translator(session.locale)
        png = chart.stance_chart_png(summary.overview, t, summary.shifts)
        messages = group_render.summary(summary.members, summary.answers, summary.questions, png, t)
        shared = self.shell.services.peers.in_session(session.id)
        messages += group_render.peers_summary(shared, summary.questions, t)
        await self.post(bot, session.chat, session.thread, messages)
        log.info("event=session_ended session=%d members=%d", session.id, summary.members)

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
