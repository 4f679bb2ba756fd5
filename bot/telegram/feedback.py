"""Telegram shell for facilitators' feedback and peers' perspectives: /answers, the paged answers
with their Comment and Hide buttons, the comment's notice and the one answer back, the sharing
question at joining, and "How did others answer?".

Thin: every button names only ids; bot/app/feedback.py and bot/app/peers.py check the presser's
rights again. "The next text is a comment (or a reply)" is stored (pending_texts), so it survives a
restart; the set of waiting people is kept here too, so the filter costs no SQL on ordinary answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from ..app.cohorts import Cohort, Joined
from ..app.feedback import PAGE_SIZE, AnswerView, CommentNotice, Page, Refused, ReplyNotice
from . import callbacks, menus
from .messages import Button, Text, buttons, to_payload
from .plumbing import FAILED, Shell, Who
from .render import clip, esc

log = logging.getLogger("elenchus.telegram")

PRIVATE = filters.ChatType.PRIVATE & filters.USER
SHOWN_ANSWER = 1200
"""UTF-16 units of an answer shown in a facilitator's page (the whole answer is in the exports);
with the question, the last SHOWN_COMMENTS comments and their replies, a page's message stays
within Telegram's 4,096."""
SHOWN_QUESTION = 300
SHOWN_NAME = 100
"""A title, a participant's label or a facilitator's name (Telegram's first names have up to 64)."""
SHOWN_COMMENT = 280
SHOWN_COMMENTS = 3
SHOWN_NOTICE = 2500
"""UTF-16 units of a comment or a reply in the notice that carries it."""
SHOWN_PEER = 700
REFUSALS = {
    "not_yours": "feedback.not_yours",
    "gone": "feedback.gone",
    "no_consent": "feedback.no_consent",
    "unreachable": "feedback.unreachable",
    "replied": "feedback.replied",
}
"""What a refusal (bot/app/feedback.py Refused) says."""
LISTED = 40
"""Questions or participants listed as buttons (the most recent)."""


class Waiting(filters.MessageFilter):
    """Messages from someone whose next text is a comment or a reply."""

    def __init__(self, ids: set[str]):
        super().__init__(name="Waiting")
        self.ids = ids

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and str(message.from_user.id) in self.ids


def _cut(text: str, limit: int) -> str:
    """At most `limit` UTF-16 units (Telegram's measure; an emoji counts 2), with an ellipsis if cut."""
    clipped = clip(text, limit - 1)
    return text if clipped == text else clipped.rstrip() + "…"


class FeedbackHandlers:
    def __init__(self, shell: Shell):
        self.shell = shell
        self.feedback = shell.services.feedback
        self.peers = shell.services.peers
        self.cohorts = shell.services.cohorts
        self.waiting: set[str] = set()
        self.fallback: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]] | None = None
        """The participants' text handler, for a text that turns out not to be awaited."""

    def register(self, app: Application) -> None:
        self.waiting |= self.feedback.pending_platform_ids()
        app.add_handlers(
            [
                CommandHandler("answers", self.answers, filters=PRIVATE),
                CallbackQueryHandler(self.pressed, pattern=r"^(fb|pe):"),
                MessageHandler(
                    PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND & Waiting(self.waiting),
                    self.text,
                ),
            ]
        )

    def t(self, who: Who, key: str, **values: object) -> str:
        return self.shell.t(who, key, **values)

    async def say(self, context, who: Who, key: str, keyboard=(), **values: object) -> None:
        await self.shell.say(context.bot, who, key, keyboard, **values)

    # ---- facilitators: reading --------------------------------------------------------------

    async def answers(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        if not self.cohorts.is_staff(who.participant):
            await self.say(context, who, "staff.only_facilitators")
            return
        visible = self.cohorts.visible(who.participant)
        if not visible:
            await self.say(context, who, "staff.no_cohorts")
        elif len(visible) == 1:
            await self.pick_view(context, who, visible[0])
        else:
            rows = buttons(*(((c.name, f"fb:a:{c.id}"),) for c in visible))
            await self.say(context, who, "feedback.pick_cohort", rows)

    async def pick_view(self, context, who: Who, cohort: Cohort) -> None:
        row = ((self.t(who, "feedback.by_question"), f"fb:q:{cohort.id}"),)
        row += ((self.t(who, "feedback.by_participant"), f"fb:p:{cohort.id}"),)
        await self.say(context, who, "feedback.pick_view", buttons(row), name=esc(cohort.name))

    async def list_questions(self, context, who: Who, cohort: Cohort) -> None:
        found = self.feedback.questions(who.participant, cohort.id, who.locale)[:LISTED]
        if not found:
            await self.say(context, who, "feedback.nothing", name=esc(cohort.name))
            return
        rows = [((f"{_cut(q.title, 48)} ({q.answers})", f"fb:Q:{cohort.id}:{q.index}:0"),) for q in found]
        await self.say(context, who, "feedback.pick_question", buttons(*rows), name=esc(cohort.name))

    async def list_members(self, context, who: Who, cohort: Cohort) -> None:
        found = self.feedback.members(who.participant, cohort.id)[:LISTED]
        if not found:
            await self.say(context, who, "feedback.nothing", name=esc(cohort.name))
            return
        rows = [((f"{_cut(m.label, 48)} ({m.answers})", f"fb:P:{cohort.id}:{m.participant_id}:0"),) for m in found]
        await self.say(context, who, "feedback.pick_participant", buttons(*rows), name=esc(cohort.name))

    async def show_page(self, context, who: Who, cohort: Cohort, view: str, key: int, page: Page) -> None:
        first = page.page * PAGE_SIZE + 1 if page.items else 0
        heading = self.t(
            who,
            "feedback.page",
            heading=esc(page.heading),
            name=esc(cohort.name),
            first=first,
            last=first + len(page.items) - 1 if page.items else 0,
            total=page.total,
        )
        messages = [Text(heading)] + [self.answer_message(who, item) for item in page.items]
        nav = []
        if page.page > 0:
            nav.append(Button(self.t(who, "feedback.newer"), f"fb:{view}:{cohort.id}:{key}:{page.page - 1}"))
        if page.page + 1 < page.pages:
            nav.append(Button(self.t(who, "feedback.older"), f"fb:{view}:{cohort.id}:{key}:{page.page + 1}"))
        messages.append(
            Text(self.t(who, "feedback.page_of", page=page.page + 1, pages=page.pages), (tuple(nav),) if nav else ())
        )
        await self.shell.send(context.bot, who, messages)

    def answer_message(self, who: Who, item: AnswerView) -> Text:
        a = item.answer
        head = f"<b>{esc(_cut(item.title, SHOWN_NAME))}</b> · {esc(_cut(item.label, SHOWN_NAME))} · {a.created[:10]}"
        if a.probe:
            head += f" · {esc(self.t(who, 'feedback.follow_up'))}"
        lines = [head, f"<i>{esc(_cut(a.question, SHOWN_QUESTION))}</i>", esc(_cut(a.answer, SHOWN_ANSWER))]
        if a.hidden_from_peers:
            lines.append(f"<i>{esc(self.t(who, 'feedback.hidden_mark'))}</i>")
        elif a.shares:
            lines.append(f"<i>{esc(self.t(who, 'feedback.shared_mark'))}</i>")
        for c in item.comments[-SHOWN_COMMENTS:]:
            author = _cut(c.author_name or self.t(who, "feedback.someone"), SHOWN_NAME)
            lines.append(
                self.t(
                    who,
                    "feedback.comment_line",
                    author=esc(author),
                    date=c.created[:10],
                    text=esc(_cut(c.text, SHOWN_COMMENT)),
                )
            )
            if c.reply is not None:
                lines.append(
                    self.t(
                        who, "feedback.reply_line", date=(c.replied or "")[:10], text=esc(_cut(c.reply, SHOWN_COMMENT))
                    )
                )
        hide = ("feedback.show_button", "s") if a.hidden_from_peers else ("feedback.hide_button", "h")
        keyboard = buttons(
            (
                (self.t(who, "feedback.comment_button"), f"fb:c:{a.reflection_id}"),
                (self.t(who, hide[0]), f"fb:{hide[1]}:{a.reflection_id}"),
            )
        )
        return Text("\n".join(lines), keyboard)

    # ---- buttons ------------------------------------------------------------------------------

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        who = await self.shell.private_press(update)
        if who is None:
            return
        parts = (query.data or "").split(":")
        numbers = [callbacks.number(p) for p in parts[2:]]
        if len(parts) < 2 or None in numbers:
            await self.shell.answer(query, self.t(who, "feedback.gone"))
            return
        try:
            handled = await self.dispatch(context, who, parts[0], parts[1], numbers)
        except Refused as refused:
            log.info("event=feedback_refused reason=%s participant=%d", refused, who.participant)
            await self.shell.answer(query, self.t(who, REFUSALS[str(refused)]), show_alert=str(refused) != "gone")
            return
        await self.shell.answer(query, handled)

    async def dispatch(self, context, who: Who, area: str, action: str, ids: list[int]) -> str | None:
        """Carry out one button; returns a short notice for the button press, if any."""
        if area == "pe":
            return await self.peer_button(context, who, action, ids)
        if action == "x":
            self.feedback.cancel(who.participant)
            self.waiting.discard(str(who.chat))
            await self.say(context, who, "feedback.cancelled")
            return None
        if action == "r" and ids:
            comment = self.feedback.start_reply(who.participant, ids[0])
            self.waiting.add(str(who.chat))
            author = esc(comment.author_name or self.t(who, "feedback.someone"))
            await self._ask_for_text(context, who, "feedback.write_reply", author=author)
            return None
        if action in ("c", "h", "s") and len(ids) == 1:
            return await self.answer_button(context, who, action, ids[0])
        return await self.browse_button(context, who, action, ids)

    async def browse_button(self, context, who: Who, action: str, ids: list[int]) -> str | None:
        cohort = self.cohorts.get_visible(who.participant, ids[0]) if ids else None
        if cohort is None:
            raise Refused("not_yours")
        if action == "a":
            await self.pick_view(context, who, cohort)
        elif action == "q":
            await self.list_questions(context, who, cohort)
        elif action == "p":
            await self.list_members(context, who, cohort)
        elif action == "Q" and len(ids) == 3:
            page = self.feedback.by_question(who.participant, cohort.id, ids[1], ids[2], who.locale)
            await self.show_page(context, who, cohort, "Q", ids[1], page)
        elif action == "P" and len(ids) == 3:
            page = self.feedback.by_participant(who.participant, cohort.id, ids[1], ids[2], who.locale)
            await self.show_page(context, who, cohort, "P", ids[1], page)
        else:
            raise Refused("gone")
        return None

    async def answer_button(self, context, who: Who, action: str, reflection_id: int) -> str | None:
        if action == "c":
            view = self.feedback.start_comment(who.participant, reflection_id, who.locale)
            self.waiting.add(str(who.chat))
            person = view.answer
            label = esc(person.participant_name or f"P{person.participant_id}")
            await self._ask_for_text(context, who, "feedback.write_comment", name=label, title=esc(view.title))
            return None
        self.feedback.hide(who.participant, reflection_id, hidden=action == "h")
        return self.t(who, "feedback.hidden" if action == "h" else "feedback.shown")

    async def _ask_for_text(self, context, who: Who, key: str, **values: object) -> None:
        """The next text is the comment or the reply; a Cancel button (Telegram allows either an
        inline keyboard or a forced reply on one message, and Cancel matters more)."""
        cancel = buttons(((self.t(who, "feedback.cancel"), "fb:x"),))
        await self.shell.send(context.bot, who, [Text(self.t(who, key, **values), cancel)])

    # ---- the awaited text ---------------------------------------------------------------------

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self.shell.who(update)
        pending = self.feedback.pending(who.participant)
        self.waiting.discard(str(who.chat))
        if pending is None:
            if self.fallback is not None:
                await self.fallback(update, context)
            return
        text = update.effective_message.text
        sent_to: list[str] = []

        def render(notice: CommentNotice | ReplyNotice) -> list[dict]:
            sent_to.append(notice.chat)
            return [to_payload(self.notice_message(notice))]

        try:
            if pending.kind == "comment":
                done = self.shell.stored(self.feedback.comment, who.participant, who.name, pending.target, text, render)
                key = "feedback.comment_sent"
            else:
                done = self.shell.stored(self.feedback.reply, who.participant, pending.target, text, render)
                key = "feedback.reply_sent"
        except Refused as refused:
            self.feedback.cancel(who.participant)
            await self.say(context, who, REFUSALS[str(refused)])
            return
        if done is FAILED:
            self.waiting.add(str(who.chat))
            await self.say(context, who, "chat.save_failed")
            return
        log.info("event=%s participant=%d chars=%d", pending.kind, who.participant, len(text))
        await self.say(context, who, key)
        for chat in sent_to:  # committed with the comment; sent now, or after a restart
            await self.shell.flush(context.bot, chat)

    def notice_message(self, notice: CommentNotice | ReplyNotice) -> Text:
        locale = self.shell.prompts.locale_for(getattr(notice, "locale", None))
        t = self.shell.translator(locale)
        if isinstance(notice, CommentNotice):
            author = _cut(notice.author or t("feedback.someone"), SHOWN_NAME)
            text = t(
                "feedback.notice",
                author=esc(author),
                title=esc(_cut(notice.title, SHOWN_NAME)),
                question=esc(_cut(notice.question, SHOWN_QUESTION)),
                excerpt=esc(_cut(notice.excerpt, SHOWN_QUESTION)),
                text=esc(_cut(notice.text, SHOWN_NOTICE)),
            )
            return Text(text, buttons(((t("feedback.reply_button"), f"fb:r:{notice.comment_id}"),)))
        assert isinstance(notice, ReplyNotice)
        return Text(
            t(
                "feedback.reply_notice",
                participant=esc(_cut(notice.participant, SHOWN_NAME)),
                title=esc(_cut(notice.title, SHOWN_NAME)),
                reply=esc(_cut(notice.reply, SHOWN_NOTICE)),
            )
        )

    # ---- peers ----------------------------------------------------------------------------------

    async def joined(self, context, who: Who, joined: Joined) -> None:
        """After an invitation: ask once whether their answers may be shown to peers. After becoming
        a facilitator: their command menu gets the staff's commands."""
        cohort = joined.cohort
        if joined.kind == "facilitator":
            admin = self.cohorts.is_admin(who.participant)
            await menus.set_staff_menu(context.bot, self.shell.prompts, who.chat, admin=admin)
        elif self.peers.undecided(who.participant, cohort.id):
            keyboard = self._sharing_buttons(who, cohort.id, None)
            await self.say(context, who, "peers.ask", keyboard, name=esc(cohort.name))

    def _sharing_buttons(self, who: Who, cohort_id: int, share: int | None):
        yes = (self.t(who, "peers.yes" if share is None else "peers.turn_on"), f"pe:y:{cohort_id}")
        no = (self.t(who, "peers.no" if share is None else "peers.turn_off"), f"pe:n:{cohort_id}")
        if share is None:
            return buttons((yes,), (no,))
        return buttons((no,) if share else (yes,))

    async def privacy(self, context, who: Who) -> None:
        """In /privacy: the sharing choice per cohort, with a button to change it."""
        for choice in self.peers.choices(who.participant):
            key = "peers.unasked" if choice.share is None else ("peers.on" if choice.share else "peers.off")
            keyboard = self._sharing_buttons(who, choice.cohort_id, choice.share)
            await self.say(context, who, key, keyboard, name=esc(choice.cohort))

    async def after_answer(self, context, who: Who, message: Message) -> None:
        """After an answer was stored: offer others' answers to the same question, if there are some."""
        offered = self.peers.offer(who.participant, str(who.chat), message.message_id)
        if offered is not None:
            keyboard = buttons(((self.t(who, "peers.button"), f"pe:o:{offered}"),))
            await self.say(context, who, "peers.offer", keyboard)

    async def peer_button(self, context, who: Who, action: str, ids: list[int]) -> str | None:
        if not ids:
            raise Refused("gone")
        if action in ("y", "n"):
            decided = self.shell.stored(self.peers.decide, who.participant, ids[0], action == "y")
            if decided is FAILED:
                return self.t(who, "chat.save_failed")
            if not decided:
                raise Refused("gone")
            for choice in self.peers.choices(who.participant):
                if choice.cohort_id == ids[0]:
                    await self.say(context, who, "peers.on" if action == "y" else "peers.off", name=esc(choice.cohort))
            return None
        if action == "o":
            shown = self.peers.others(who.participant, ids[0])
            if shown is None:
                raise Refused("gone")
            if not shown:
                return self.t(who, "peers.none_yet")
            body = "\n\n".join(f"• {esc(_cut(answer, SHOWN_PEER))}" for answer in shown)
            await self.shell.send(context.bot, who, [Text(f"{self.t(who, 'peers.heading')}\n\n{body}")])
            return None
        raise Refused("gone")
