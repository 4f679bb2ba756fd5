"""Group sessions in Telegram groups, with privacy mode on.

With privacy mode (the default) a bot in a group sees only commands, replies to its own messages,
mentions and service messages. So every open question is posted with ForceReply and members answer
by replying to it; ratings and group choices are non-anonymous polls, whose votes reach the bot as
poll_answer updates whatever the privacy mode. Telegram allows about 20 messages a minute in a
group: the rate limiter paces sends, and answers are acknowledged in one edited counter message,
not one reply each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, ReplyParameters, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
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

from ..app.cohorts import Cohorts
from ..app.group_sessions import GroupSessions
from ..content.keys import PHASE_KEYS, STANCE_KEYS, cite_names
from ..engine import Buttons, Finished, Progress, Question, StanceQuestion
from ..engine import Message as Say
from ..engine.step import localize
from ..reports import chart
from .handlers import ChatHandlers, Who
from .render import esc

log = logging.getLogger("elenchus.telegram")

GROUPS = filters.ChatType.GROUPS
STEERING = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
PLACEHOLDER_MAX = 64


class GroupHandlers:
    def __init__(self, chat: ChatHandlers, cohorts: Cohorts, sessions: GroupSessions, ack_seconds: float = 15.0):
        self.chat = chat
        self.cohorts = cohorts
        self.sessions = sessions
        self.storage = chat.storage
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
        who = self.chat.who(update)
        if self.cohorts.is_admin(who.participant):
            return True
        if cohort_id is not None and self.storage.is_facilitator(who.participant, cohort_id):
            return True
        try:
            member = await context.bot.get_chat_member(update.effective_chat.id, update.effective_user.id)
        except TelegramError:
            return False
        return member.status in STEERING

    def _where(self, update: Update) -> tuple[str, int | None]:
        message = update.effective_message
        thread = message.message_thread_id if message is not None and message.is_topic_message else None
        return str(update.effective_chat.id), thread

    # ---- starting ---------------------------------------------------------------------------

    async def start_session(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.chat.who(update)
        args = context.args or []
        chat, thread = self._where(update)
        if self.storage.open_group_session(chat, thread) is not None:
            await self.post(context, chat, thread, self.chat.t(who, "group.already_running"))
            return
        dialogue = self.chat.service.dialogue(args[0]) if args else None
        if dialogue is None:
            if not await self.may_steer(update, context, None) and not self.cohorts.is_staff(who.participant):
                await self.post(context, chat, thread, self.chat.t(who, "group.only_steerers"))
                return
            rows = [
                [InlineKeyboardButton(localize(d.title, who.locale)[:60], callback_data=f"g:d:{d.id}")]
                for d in self.chat.service.course.dialogues
            ]
            await self.post(context, chat, thread, self.chat.t(who, "group.pick_dialogue"), InlineKeyboardMarkup(rows))
            return
        await self._open(update, context, who, dialogue.id, args[1] if len(args) > 1 else None)

    async def _open(self, update: Update, context, who: Who, dialogue_id: str, cohort_name: str | None) -> None:
        """Start a session: by a facilitator (for their cohort) or the group's own admin (for none)."""
        chat, thread = self._where(update)
        steers_group = await self.may_steer(update, context, None)
        if not steers_group and not self.cohorts.is_staff(who.participant):
            await self.post(context, chat, thread, self.chat.t(who, "group.only_steerers"))
            return
        cohort, problem = self._cohort_for(who, cohort_name)
        if problem is not None and (cohort_name or not steers_group or problem == "group.name_cohort"):
            await self.post(context, chat, thread, self.chat.t(who, problem, name=esc(cohort_name or "")))
            return
        if self.storage.open_group_session(chat, thread) is not None:
            await self.post(context, chat, thread, self.chat.t(who, "group.already_running"))
            return
        dialogue = self.chat.service.dialogue(dialogue_id)
        session, outputs = self.sessions.start(
            chat, thread, dialogue, cohort["id"] if cohort else None, who.participant, who.locale
        )
        log.info("event=session_started session=%d cohort=%s", session["id"], cohort["id"] if cohort else None)
        title = localize(dialogue.title, who.locale)
        intro = self.chat.t(who, "group.started", title=esc(title), cohort=esc(cohort["name"] if cohort else "-"))
        await self.post(context, chat, thread, intro)
        await self.show(context, session, outputs)

    def _cohort_for(self, who: Who, name: str | None) -> tuple[dict | None, str | None]:
        """The cohort a session counts for: named, or the starter's only one."""
        if name:
            cohort = self.cohorts.find_visible(who.participant, name)
            return (cohort, None) if cohort else (None, "staff.unknown_cohort")
        mine = self.cohorts.visible(who.participant)
        if len(mine) == 1:
            return mine[0], None
        return None, ("group.name_cohort" if mine else "group.no_cohort")

    # ---- posting the dialogue ---------------------------------------------------------------

    async def post(
        self, context, chat: str, thread: int | None, text: str, markup=None, reply_to: int | None = None
    ) -> Message | None:
        """Send to a group, following it if it became a supergroup; None if the bot is no longer there."""
        for _ in range(2):
            try:
                return await context.bot.send_message(
                    int(chat),
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    message_thread_id=thread,
                    reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None,
                )
            except ChatMigrated as moved:
                self.storage.move_chat(chat, str(moved.new_chat_id))
                chat = str(moved.new_chat_id)
            except Forbidden:
                self._end_quietly(chat)
                return None
        return None

    async def show(self, context, session: dict[str, Any], outputs) -> None:
        """Post one stretch of the dialogue, up to the step that waits for the group."""
        chat, thread, t = session["chat"], session["thread"], self._t(session)
        progress = ""
        for output in outputs:
            if isinstance(output, Progress):
                progress = f"<i>{esc(t('dialogue.progress', step=output.step, total=output.total))}</i>\n\n"
            elif isinstance(output, Say):
                cite = (
                    f"\n\n<i>{esc(t('dialogue.cite', names=cite_names(output.sources)))}</i>" if output.sources else ""
                )
                await self.post(context, chat, thread, esc(output.text) + cite)
            elif isinstance(output, Question):
                await self._question(context, session, progress, output)
                progress = ""
            elif isinstance(output, Buttons):
                await self._poll(
                    context, session, progress + esc(output.text), list(output.options), output.node, None, output.text
                )
                progress = ""
            elif isinstance(output, StanceQuestion):
                text = f"{progress}{esc(t(PHASE_KEYS[output.phase]))}\n\n<b>{esc(output.claim)}</b>"
                options = [t(STANCE_KEYS[v]) for v in range(1, 6)]
                await self._poll(context, session, text, options, output.node, output.phase, output.claim)
                progress = ""
            elif isinstance(output, Finished):
                await self.finish(context, self.storage.group_session(session["id"]))
                return
        await self._control(context, self.storage.group_session(session["id"]))

    async def _question(self, context, session, progress: str, question: Question) -> None:
        t = self._t(session)
        markup = ForceReply(input_field_placeholder=t("group.placeholder")[:PLACEHOLDER_MAX])
        sent = await self.post(
            context,
            session["chat"],
            session["thread"],
            f"{progress}{esc(question.text)}\n\n<i>{esc(t('group.reply_hint'))}</i>",
            markup,
        )
        if sent is not None:
            self.storage.record_group_message(
                session["chat"],
                sent.message_id,
                session["id"],
                "question",
                node_id=question.node,
                question=question.text,
                move=question.move,
            )

    async def _poll(
        self, context, session, text: str, options: list[str], node: str, phase: str | None, question: str
    ) -> None:
        t = self._t(session)
        await self.post(context, session["chat"], session["thread"], text)
        key = "group.stance_poll" if phase else "group.choice_poll"
        try:
            sent = await context.bot.send_poll(
                int(session["chat"]), t(key), options, is_anonymous=False, message_thread_id=session["thread"]
            )
        except (Forbidden, ChatMigrated):
            return
        self.storage.record_group_message(
            session["chat"],
            sent.message_id,
            session["id"],
            "poll",
            node_id=node,
            poll_id=sent.poll.id,
            phase=phase,
            question=question,
        )

    async def _control(self, context, session: dict[str, Any]) -> None:
        """The facilitators' message for the current step: Next and End, and the answers so far."""
        t = self._t(session)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t("group.next"), callback_data=f"g:n:{session['id']}"),
                    InlineKeyboardButton(t("group.end"), callback_data=f"g:e:{session['id']}"),
                ]
            ]
        )
        sent = await self.post(context, session["chat"], session["thread"], esc(t("group.control", count=0)), markup)
        if sent is not None:
            self.storage.update_group_session(session["id"], control_message=sent.message_id)

    def _t(self, session: dict[str, Any]):
        locale = session["state"].get("locale", "en")
        return lambda key, **values: self.chat.prompts.t(key, locale, **values)

    # ---- steering ---------------------------------------------------------------------------

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        who = self.chat.who(update)
        parts = (query.data or "").split(":")
        if parts[1:2] == ["d"] and len(parts) == 3:
            if not await self.may_steer(update, context, None) and not self.cohorts.is_staff(who.participant):
                await self.chat._quietly(query.answer(self.chat.t(who, "group.only_steerers")))
                return
            await self.chat._quietly(query.answer())
            if self.chat.service.dialogue(parts[2]) is not None:
                await self._open(update, context, who, parts[2], None)
            return
        session = self.storage.group_session(int(parts[2])) if len(parts) == 3 and parts[2].isdigit() else None
        if session is None or session["chat"] != str(update.effective_chat.id) or session["status"] == "ended":
            await self.chat._quietly(query.answer(self.chat.t(who, "chat.stale")))
            return
        if not await self.may_steer(update, context, session["cohort_id"]):
            await self.chat._quietly(query.answer(self.chat.t(who, "group.only_steerers")))
            return
        await self.chat._quietly(query.answer())
        if parts[1] == "n":
            await self.advance(context, session, query.message)
        elif parts[1] == "e":
            await self.finish(context, session)

    async def _session_command(self, update: Update, context) -> dict[str, Any] | None:
        """The open session of this group (topic), if the caller may steer it."""
        chat, thread = self._where(update)
        session = self.storage.open_group_session(chat, thread)
        who = self.chat.who(update)
        if session is None:
            await self.post(context, chat, thread, self.chat.t(who, "group.none_running"))
            return None
        if not await self.may_steer(update, context, session["cohort_id"]):
            await self.post(context, chat, thread, self.chat.t(who, "group.only_steerers"))
            return None
        return session

    async def next_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self._session_command(update, context)
        if session is not None:
            await self.advance(context, session, None)

    async def end_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self._session_command(update, context)
        if session is not None:
            await self.finish(context, session)

    async def pause(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self._session_command(update, context)
        if session is not None:
            self.storage.update_group_session(session["id"], status="paused")
            await self.post(context, session["chat"], session["thread"], esc(self._t(session)("group.paused")))

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self._session_command(update, context)
        if session is not None:
            self.storage.update_group_session(session["id"], status="active")
            await self.post(context, session["chat"], session["thread"], esc(self._t(session)("group.continued")))

    async def advance(self, context, session: dict[str, Any], pressed: Message | None) -> None:
        """Close the current step (its polls, its buttons) and post the next stretch."""
        if session["status"] == "paused":
            await self.post(context, session["chat"], session["thread"], esc(self._t(session)("group.is_paused")))
            return
        choice = await self._close_polls(context, session)
        await self._retire_control(context, session)
        session, outputs = self.sessions.next(session, choice)
        await self.show(context, session, outputs)

    async def _close_polls(self, context, session: dict[str, Any]) -> int | None:
        """Stop the current step's polls; for a choice, the option with most votes (ties: the first)."""
        winner = None
        node = session["state"]["node"]
        for row in self.storage.db["group_messages"].rows_where(
            "session_id = ? and kind = 'poll' and node_id = ?", [session["id"], node]
        ):
            try:
                poll = await context.bot.stop_poll(int(session["chat"]), row["message_id"])
            except TelegramError:
                continue
            if row["phase"] is None and poll.total_voter_count:
                counts = [o.voter_count for o in poll.options]
                winner = counts.index(max(counts))
        return winner

    async def _retire_control(self, context, session: dict[str, Any]) -> None:
        if session.get("control_message"):
            task = self._acks.pop(session["id"], None)
            if task is not None:
                task.cancel()
            with contextlib.suppress(TelegramError):
                await context.bot.edit_message_reply_markup(
                    int(session["chat"]), session["control_message"], reply_markup=None
                )

    async def finish(self, context, session: dict[str, Any]) -> None:
        """End the session: members' runs finished, a summary with the stance chart in the group."""
        await self._close_polls(context, session)
        await self._retire_control(context, session)
        summary = self.sessions.end(session)
        t = self._t(session)
        lines = [t("group.summary", members=summary.members)]
        for node, count in summary.answers.items():
            question = summary.questions[node]
            lines.append(f"• {question[:80]}{'…' if len(question) > 80 else ''}: {count}")
        lines.append(t("group.portfolio_hint"))
        await self.post(context, session["chat"], session["thread"], esc("\n".join(lines)))
        try:
            await context.bot.send_photo(
                int(session["chat"]),
                InputFile(chart.stance_chart_png(summary.overview), filename="stances.png"),
                caption=t("group.chart_caption"),
                message_thread_id=session["thread"],
            )
        except TelegramError as exc:
            log.info("event=chart_not_sent error=%s", type(exc).__name__)
        log.info("event=session_ended session=%d members=%d", session["id"], summary.members)

    # ---- members' answers and votes ------------------------------------------------------

    async def reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        chat = str(update.effective_chat.id)
        asked = self.storage.group_message(chat, message.reply_to_message.message_id)
        if asked is None or asked["kind"] not in ("question", "probe"):
            return
        session = self.storage.group_session(asked["session_id"])
        who = self.chat.who(update)
        if session is None or (asked["kind"] == "probe" and asked["participant_id"] != who.participant):
            return
        # A reply to a question is kept even if the session has ended since: it was written to it.
        result = self.sessions.answer(session, asked, who.participant, message.text, chat, message.message_id)
        if session["status"] == "ended":
            return
        if result.needs_consent:
            await self._ask_consent(context, session, who, message)
            return
        log.info("event=group_answer session=%d participant=%d", session["id"], who.participant)
        if result.probe is not None:
            markup = ForceReply(selective=True, input_field_placeholder=self._t(session)("group.placeholder")[:64])
            sent = await self.post(
                context, chat, session["thread"], esc(result.probe), markup, reply_to=message.message_id
            )
            if sent is not None:
                self.storage.record_group_message(
                    chat,
                    sent.message_id,
                    session["id"],
                    "probe",
                    node_id=asked["node_id"],
                    participant_id=who.participant,
                    question=result.probe,
                    move=asked["move"],
                )
        self._acknowledge(context, session)

    async def _ask_consent(self, context, session, who: Who, message: Message) -> None:
        """Once per member and session: a button to give consent privately, never a flood."""
        if self.storage.group_notice_sent(session["id"], who.participant, "consent"):
            return
        t = self._t(session)
        link = f"https://t.me/{context.bot.username}?start=consent"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(t("group.consent_button"), url=link)]])
        sent = await self.post(
            context,
            session["chat"],
            session["thread"],
            esc(t("group.consent_needed", name=who.name)),
            markup,
            reply_to=message.message_id,
        )
        if sent is not None:
            self.storage.record_group_message(
                session["chat"], sent.message_id, session["id"], "consent", participant_id=who.participant
            )

    def _acknowledge(self, context, session: dict[str, Any]) -> None:
        """Count answers in the control message, at most once every ack_seconds (not one reply each)."""
        if session["id"] in self._acks and not self._acks[session["id"]].done():
            return
        self._acks[session["id"]] = asyncio.get_running_loop().create_task(self._ack_later(context, session["id"]))

    async def _ack_later(self, context, session_id: int) -> None:
        await asyncio.sleep(self.ack_seconds)
        session = self.storage.group_session(session_id)
        if session is None or session["status"] == "ended" or not session.get("control_message"):
            return
        count = self.storage.group_answer_counts(session_id).get(session["state"]["node"], 0)
        t = self._t(session)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t("group.next"), callback_data=f"g:n:{session_id}"),
                    InlineKeyboardButton(t("group.end"), callback_data=f"g:e:{session_id}"),
                ]
            ]
        )
        try:
            await context.bot.edit_message_text(
                esc(t("group.control", count=count)),
                chat_id=int(session["chat"]),
                message_id=session["control_message"],
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest:
            pass  # not modified, or the message is gone
        except TelegramError as exc:
            log.info("event=ack_failed error=%s", type(exc).__name__)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        who = self.chat.who(update)
        self.chat.stored(
            self.chat.service.edit_answer,
            who.participant,
            str(update.effective_chat.id),
            message.message_id,
            message.text,
        )

    async def poll_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answer = update.poll_answer
        poll = self.storage.group_poll(answer.poll_id)
        if poll is None or answer.user is None:
            return
        session = self.storage.group_session(poll["session_id"])
        if session is None:
            return
        pid = self.storage.participant("telegram", str(answer.user.id), name=answer.user.first_name)
        stored = self.sessions.vote(session, poll, pid, list(answer.option_ids))
        log.info("event=group_vote session=%d participant=%d stored=%s", session["id"], pid, stored)

    # ---- the group changes ------------------------------------------------------------------

    async def migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message.migrate_to_chat_id:
            self.storage.move_chat(str(message.chat_id), str(message.migrate_to_chat_id))
            log.info("event=group_migrated")

    async def bot_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            self._end_quietly(str(change.chat.id))

    def _end_quietly(self, chat: str) -> None:
        """The bot was removed: end the group's sessions; every answer is already stored."""
        for session in self.storage.open_group_sessions_in(chat):
            self.storage.end_group_session(session["id"])
            log.info("event=session_ended_bot_removed session=%d", session["id"])

    async def member_left(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.info("event=member_left")  # their answers stay theirs: in their portfolio until they /forget
