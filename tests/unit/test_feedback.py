"""Facilitators' feedback and peers, at the level of the use cases: who may read and comment, one
reply, erasure of comments (on disk too), the consent asked again, comments in the exports and the
portfolio (escaped), and which peers' answers are picked."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.app.feedback import Refused
from bot.app.peers import pick_diverse
from bot.app.services import Services
from bot.engine import Buttons, ChoiceInput, Question, StanceInput, StanceQuestion
from bot.exports import csv_export, json_export, portfolio, xapi
from bot.exports.records import CommentRecord
from bot.storage import Storage
from bot.storage.rows import PeerAnswer

from ..support.disk import traces

REASONS = " because employers read the outcomes, for example in interviews."


@pytest.fixture
def services(course, tmp_path):
    opened = Services(course, Storage(tmp_path / "feedback.db"))
    yield opened
    opened.close()


def member(services: Services, name: str, code: str, *, share: bool | None = True, consent: bool = True) -> int:
    person = services.participants.identify("telegram", str(abs(hash(name)) % 10**9), name=name)
    services.cohorts.use_code(person.id, code)
    services.participants.decide(person.id, "4-en", consent)
    if share is not None:
        cohort = services.storage.participants.get(person.id).cohort_id
        services.peers.decide(person.id, cohort, share)
    return person.id


def answer_first(services: Services, pid: int, text: str) -> int:
    """Play the first dialogue up to its first open question and answer it; the reflection id."""
    chat = f"chat-{pid}"
    turn = services.dialogues.start(pid, services.course.dialogues[0], chat=chat)
    while True:
        asked = [o for o in turn.outputs if isinstance(o, Question | Buttons | StanceQuestion)][-1]
        if isinstance(asked, StanceQuestion):
            turn = services.dialogues.input(pid, turn.run_id, StanceInput(2))
        elif isinstance(asked, Buttons):
            turn = services.dialogues.input(pid, turn.run_id, ChoiceInput(0))
        else:
            break
    services.dialogues.answer(pid, text, chat=chat, source=(chat, 1))
    return services.storage.runs.reflection_by_message(pid, chat, 1).id


@pytest.fixture
def cohort(services):
    a = services.cohorts.create("MC-A", "test")
    b = services.cohorts.create("MC-B", "test")
    fiona = services.participants.identify("telegram", "501", name="Fiona").id
    gus = services.participants.identify("telegram", "502", name="Gus").id
    services.cohorts.use_code(fiona, a.facilitator_code)
    services.cohorts.use_code(gus, b.facilitator_code)
    return a, b, fiona, gus


def notices(sent: list):
    def render(notice) -> list[dict]:
        sent.append(notice)
        return [{"text": "notice"}]

    return render


def test_only_the_cohorts_facilitator_reads_and_comments_and_every_read_is_audited(services, cohort):
    a, _, fiona, gus = cohort
    alice = member(services, "Alice", a.invite_code)
    rid = answer_first(services, alice, "Alice's answer" + REASONS)
    index = next(q.index for q in services.feedback.questions(fiona, a.id, "en"))
    page = services.feedback.by_question(fiona, a.id, index, 0, "en")
    assert [i.answer.reflection_id for i in page.items] == [rid] and page.total == 1
    for attempt in (
        lambda: services.feedback.by_question(gus, a.id, index, 0, "en"),
        lambda: services.feedback.by_participant(gus, a.id, alice, 0, "en"),
        lambda: services.feedback.members(gus, a.id),
        lambda: services.feedback.start_comment(gus, rid),
        lambda: services.feedback.comment(gus, "Gus", rid, "mine", notices([])),
        lambda: services.feedback.hide(gus, rid, True),
        lambda: services.feedback.by_question(alice, a.id, index, 0, "en"),
    ):
        with pytest.raises(Refused, match="not_yours"):
            attempt()
    actions = [e.action for e in services.storage.cohorts.audit_log()]
    assert actions == ["read:answers"], "the refused attempts left nothing but the one read"


def test_a_comment_is_queued_with_its_notice_and_answered_once(services, cohort):
    a, _, fiona, _ = cohort
    alice = member(services, "Alice", a.invite_code)
    rid = answer_first(services, alice, "Alice's answer" + REASONS)
    sent: list = []
    comment_id = services.feedback.comment(fiona, "Fiona", rid, "Why that one?", notices(sent))
    (notice,) = sent
    assert notice.chat == services.storage.participants.get(alice).external_id
    assert notice.author == "Fiona" and notice.excerpt.startswith("Alice's answer")
    assert [p.chat for p in services.outbox.pending()] == [notice.chat], "queued with the comment"
    services.feedback.reply(alice, comment_id, "Because.", notices(sent))
    assert sent[-1].chat == "501" and sent[-1].reply == "Because."
    with pytest.raises(Refused, match="replied"):
        services.feedback.reply(alice, comment_id, "Again.", notices(sent))
    with pytest.raises(Refused, match="gone"):
        services.feedback.start_reply(fiona, comment_id)  # not their answer's comment


def test_no_comment_after_consent_is_withdrawn_or_the_participant_is_forgotten(services, cohort):
    a, _, fiona, _ = cohort
    alice = member(services, "Alice", a.invite_code)
    rid = answer_first(services, alice, "Alice's answer" + REASONS)
    services.participants.decide(alice, "4-en", False)
    with pytest.raises(Refused, match="no_consent"):
        services.feedback.start_comment(fiona, rid)
    services.participants.decide(alice, "4-en", True)
    services.rights.forget(alice)
    with pytest.raises(Refused, match="gone"):
        services.feedback.comment(fiona, "Fiona", rid, "Too late", notices([]))


def test_forget_erases_comments_on_disk_and_keeps_a_forgotten_authors_comment_without_a_name(
    services, cohort, tmp_path
):
    a, _, fiona, _ = cohort
    alice = member(services, "Alice", a.invite_code)
    bob = member(services, "Bob", a.invite_code)
    mark, kept = "MARKcommentonalice", "MARKcommentonbob"
    services.feedback.comment(fiona, "Fiona", answer_first(services, alice, "A" + REASONS), mark, notices([]))
    services.feedback.comment(fiona, "Fiona", answer_first(services, bob, "B" + REASONS), kept, notices([]))
    assert [c.text for c in services.rights.everything(alice).comments] == [mark]
    assert [c.text for c in services.rights.everything(fiona).comments_written] == [mark, kept]
    assert sum(traces(tmp_path / "feedback.db", mark).values()) > 0
    services.outbox.storage.database.execute("delete from outbox")  # the notices, sent in the bot
    services.rights.forget(alice)
    assert sum(traces(tmp_path / "feedback.db", mark).values()) == 0, "the comment went with the answer"
    services.rights.forget(fiona)
    (left,) = services.storage.feedback.of(bob)
    assert left.text == kept and left.author_id is None and left.author_name is None


def test_a_participant_who_consented_to_an_earlier_text_is_asked_again(services):
    person = services.participants.identify("telegram", "900", name="Old")
    services.participants.decide(person.id, "3-en", True)
    again = services.participants.get(person.id)
    assert again.consents and not again.asked_current, "the earlier consent stands until they decide anew"
    services.participants.decide(person.id, "4-de", True)
    assert services.participants.get(person.id).asked_current


def test_peers_only_consenting_sharing_members_of_the_same_cohort_never_own_never_hidden(services, cohort):
    a, b, fiona, _ = cohort
    answers = {}
    for name, code, share, consent in (
        ("kiwi", a.invite_code, True, True),
        ("mango", a.invite_code, True, True),
        ("plum", a.invite_code, False, True),
        ("fig", a.invite_code, True, True),
        ("lime", b.invite_code, True, True),
        ("pear", a.invite_code, True, True),
    ):
        pid = member(services, name, code, share=share, consent=consent)
        answers[name] = (pid, answer_first(services, pid, f"{name.upper()} answer" + REASONS))
    services.feedback.hide(fiona, answers["fig"][1], True)
    services.participants.decide(answers["pear"][0], "4-en", False)  # withdrew consent
    zoe = member(services, "zoe", a.invite_code)
    assert services.peers.others(zoe, answers["kiwi"][1]) is None, "someone else's answer: refused"
    own = answer_first(services, zoe, "ZOE answer" + REASONS)
    shown = services.peers.others(zoe, own)
    assert sorted(t.split()[0] for t in shown) == ["KIWI", "MANGO"]
    assert services.peers.offer(zoe, f"chat-{zoe}", 1) == own
    assert services.peers.undecided(zoe, a.id) is False
    newbie = member(services, "newbie", a.invite_code, share=None)
    assert services.peers.undecided(newbie, a.id), "asked at joining until they decide"


def test_pick_diverse_takes_answers_that_differ():
    def peer(i: int, text: str, stance: int | None = None) -> PeerAnswer:
        return PeerAnswer(i, i, text, stance)

    same = "Employers trust it because the outcomes are assessed"
    candidates = [
        peer(1, same + " carefully."),
        peer(2, same + " carefully!"),
        peer(3, "No: nobody in my field has heard of them."),
        peer(4, same + " and documented in detail, with a rubric everybody can read and check.", 5),
    ]
    chosen = [c.reflection_id for c in pick_diverse(candidates, 3)]
    assert chosen[0] == 4 and 3 in chosen and not {1, 2} <= set(chosen), "never two near-copies"
    assert pick_diverse(candidates, 3) == pick_diverse(list(reversed(candidates)), 3), "deterministic"
    assert pick_diverse([], 3) == []


def test_comments_in_every_export_format_and_the_portfolio_are_escaped(services, cohort, prompts):
    from bot.app.exporting import Scope

    a, _, fiona, _ = cohort
    alice = member(services, "Alice", a.invite_code)
    rid = answer_first(services, alice, "Alice's answer" + REASONS)
    evil = '=HYPERLINK("x") <script>alert(1)</script> *bold* [x](y)'
    cid = services.feedback.comment(fiona, "Fiona", rid, evil, notices([]))
    services.feedback.reply(alice, cid, "<i>reply</i>", notices([]))

    def t(key: str, **values: object) -> str:
        return prompts.t(key, "en", **values)

    outputs = {}
    for fmt in ("csv", "json", "xapi"):
        out = io.BytesIO()
        services.exports.export(Scope((a.id,)), fmt, out, actor="test", t=t)
        outputs[fmt] = out.getvalue().decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(outputs["csv"], newline=""))
    assert row["comments"].startswith("Fiona (") and evil in row["comments"] and "<i>reply</i>" in row["comments"]
    assert csv_export.COLUMNS[-1] == "comments"
    (comment,) = json.loads(outputs["json"])["reflections"][0]["comments"]
    assert comment["text"] == evil and comment["reply"]["text"] == "<i>reply</i>"
    statements = json.loads(outputs["xapi"])
    assert [s["result"]["response"] for s in statements if s["verb"] == xapi.COMMENTED] == [evil, "<i>reply</i>"]
    assert all("platform" not in s.get("context", {}) for s in statements if s["verb"] == xapi.COMMENTED)
    entries = services.rights.portfolio(alice)
    markdown = portfolio.to_markdown("Alice", entries, t, "2026-12-01")
    page = portfolio.to_html("Alice", entries, t, "2026-12-01")
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown and "\\*bold\\*" in markdown
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Comment from Fiona" in markdown and "&lt;i&gt;reply&lt;/i&gt;" in page
    assert json_export.VERSION == 1
    assert isinstance(entries[0].answers[0].comments[0], CommentRecord)


def test_a_group_sessions_summary_shows_only_answers_shared_with_peers(sessions, storage, prompts):
    from bot.app.peers import Peers
    from bot.telegram import group_render

    x = storage.cohorts.create("MC-X", "cli:test")
    session, _ = sessions.start("-100", None, sessions.course.dialogues[0], x.id, started_by=50, binds=True)
    session, _ = sessions.next(session)
    sessions.posted(session.id, session.chat, 10, "question", node_id="q1", question="Why?", move="clarification")
    _, asked = sessions.asked_by("-100", 10)
    peers, ids = Peers(storage), {}
    for i, (name, share) in enumerate((("ada", True), ("bob", True), ("cy", False))):
        pid = storage.participants.get_or_create("telegram", name, name=name).id
        storage.participants.record_consent(pid, "4-en", True)
        storage.cohorts.join(x.id, pid)
        peers.decide(pid, x.id, share)
        assert sessions.answer(session, asked, pid, f"<{name.upper()}>" + REASONS, ("-100", 11 + i)).stored
        ids[name] = storage.runs.reflections(pid)[0].id
    shown = peers.in_session(session.id)
    assert sorted(a.split(">")[0] for a in shown["q1"]) == ["<ADA", "<BOB"], "not cy, who does not share"
    messages = group_render.peers_summary(shown, {"q1": "Why?"}, lambda k, **v: prompts.t(k, "en", **v))
    assert "&lt;ADA&gt;" in messages[0].text and "ada" not in messages[0].text.replace("&lt;ADA", "")
    storage.feedback.hide(ids["bob"], True)
    assert peers.in_session(session.id) == {}, "one answer alone is not shown"


def test_a_page_message_and_a_notice_stay_within_telegrams_limit_whatever_was_written(prompts):
    from types import SimpleNamespace

    from bot.app.feedback import AnswerView, CommentNotice, ReplyNotice
    from bot.storage.rows import CohortAnswer, Comment
    from bot.telegram.feedback import FeedbackHandlers
    from bot.telegram.render import MAX_TEXT, visible_length

    huge = "😀<&" * 1400  # 5,600 UTF-16 units, and HTML to escape
    shell = SimpleNamespace(
        services=SimpleNamespace(feedback=None, peers=None, cohorts=None),
        prompts=prompts,
        t=lambda who, key, **values: prompts.t(key, "en", **values),
        translator=lambda locale: lambda key, **values: prompts.t(key, locale, **values),
    )
    handlers = FeedbackHandlers(shell)
    answer = CohortAnswer(1, 2, huge, 3, "d", "n", huge, huge, 0, "2026-12-01T00:00:00Z", None, None, 1)
    comments = tuple(Comment(i, 1, 2, 3, 4, huge, huge, "2026-12-01", huge, "2026-12-02") for i in range(6))
    page = handlers.answer_message(None, AnswerView(answer, huge, huge[:40], comments))
    assert visible_length(page.text) <= MAX_TEXT and "&lt;&amp;" in page.text
    notice = handlers.notice_message(CommentNotice(1, "2", "de", huge[:60], huge, huge, huge, huge[:20]))
    assert visible_length(notice.text) <= MAX_TEXT and notice.keyboard[0][0].data == "fb:r:1"
    reply = handlers.notice_message(ReplyNotice("2", None, huge[:20], huge[:60], huge))
    assert visible_length(reply.text) <= MAX_TEXT
