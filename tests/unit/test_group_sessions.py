"""Group-session use cases without Telegram: the group's position, members' answers and votes,
the one follow-up rule, consent, and the summary. Then the renderer's group messages as data."""

from __future__ import annotations

from bot.engine import Question
from bot.telegram import group_render
from bot.telegram.messages import Photo, Poll, Text

from ..support.prompts import t

THICK = "It matters because employers read the outcomes, for example in interviews."


def member(storage, name: str, consent: bool = True) -> int:
    pid = storage.participants.get_or_create("telegram", name, name=name).id
    if consent:
        storage.participants.record_consent(pid, "2-en", True)
    return pid


def at_first_question(sessions, mini):
    session, outputs = sessions.start("-100", None, mini, None, started_by=1)
    assert session.node == "before" and session.status == "active"
    session, outputs = sessions.next(session)
    question = next(o for o in outputs if isinstance(o, Question))
    sessions.posted(
        session.id, session.chat, 10, "question", node_id=question.node, question=question.text, move=question.move
    )
    return session, sessions.asked_by("-100", 10)[1]


def test_a_thin_answer_is_stored_and_gets_the_follow_up_once(sessions, mini, storage):
    session, asked = at_first_question(sessions, mini)
    ada = member(storage, "ada")
    first = sessions.answer(session, asked, ada, "yes", ("-100", 11))
    assert first.stored and first.probe is not None and first.probe.text == "Say more?"
    sessions.posted(
        session.id,
        session.chat,
        12,
        "probe",
        node_id="q1",
        participant_id=ada,
        question="Say more?",
        move="clarification",
    )
    again = sessions.answer(session, asked, ada, "no", ("-100", 13))
    assert again.stored and again.probe is None, "the follow-up is asked once per member and question"
    _, probe = sessions.asked_by("-100", 12)
    to_probe = sessions.answer(session, probe, ada, "fine", ("-100", 14))
    assert to_probe.stored and to_probe.probe is None
    rows = storage.runs.reflections(ada)
    assert [(r.answer, r.probe, r.group_session_id) for r in rows] == [
        ("yes", 0, session.id),
        ("no", 0, session.id),
        ("fine", 1, session.id),
    ]


def test_a_thick_answer_gets_no_follow_up_and_others_cannot_answer_a_members_probe(sessions, mini, storage):
    session, asked = at_first_question(sessions, mini)
    ada, bob = member(storage, "ada"), member(storage, "bob")
    assert sessions.answer(session, asked, ada, THICK, ("-100", 11)).probe is None
    sessions.posted(
        session.id,
        session.chat,
        12,
        "probe",
        node_id="q1",
        participant_id=ada,
        question="Say more?",
        move="clarification",
    )
    _, probe = sessions.asked_by("-100", 12)
    assert not sessions.answer(session, probe, bob, THICK, ("-100", 13)).stored
    assert storage.runs.reflections(bob) == []


def test_without_consent_nothing_is_stored_and_the_notice_is_due_once(sessions, mini, storage):
    session, asked = at_first_question(sessions, mini)
    cy = member(storage, "cy", consent=False)
    result = sessions.answer(session, asked, cy, THICK, ("-100", 11))
    assert not result.stored and result.needs_consent
    assert sessions.consent_notice_due(session, cy)
    sessions.posted(session.id, session.chat, 12, "consent", participant_id=cy)
    assert not sessions.consent_notice_due(session, cy)
    assert storage.runs.reflections(cy) == [] and storage.runs.of(cy) == []


def test_votes_latest_wins_retraction_removes_and_forged_options_are_refused(sessions, mini, storage):
    session, _ = sessions.start("-100", None, mini, None, started_by=1)
    sessions.posted(
        session.id,
        session.chat,
        20,
        "poll",
        node_id="before",
        poll_id="p1",
        phase="before",
        question="Tests are useful.",
    )
    found = sessions.poll("p1")
    assert found is not None
    _, poll = found
    ada = member(storage, "ada")
    assert sessions.vote(session, poll, ada, [1])
    assert sessions.vote(session, poll, ada, [4])
    assert [(s.phase, s.value) for s in storage.runs.stances(ada)] == [("before", 5)]
    for forged in ([99], [-1], [2**40], [0, 1]):
        assert not sessions.vote(session, poll, ada, forged)
    assert [s.value for s in storage.runs.stances(ada)] == [5]
    assert sessions.vote(session, poll, ada, [])
    assert storage.runs.stances(ada) == []


def test_the_group_choice_and_the_summary(sessions, mini, storage):
    session, asked = at_first_question(sessions, mini)
    sessions.answer(session, asked, member(storage, "ada"), THICK, ("-100", 11))
    session, _ = sessions.next(session)
    assert session.node == "pick"
    session, _outputs = sessions.next(session, choice=1)
    assert session.state["vars"] == {"role": "employer"} and session.node == "q-employer"
    summary = sessions.end(session)
    assert summary.members == 1 and summary.answers == {"q1": 1}
    assert sessions.get(session.id).status == "ended"
    assert [r.status for r in storage.runs.of(storage.participants.find("telegram", "ada").id)] == ["finished"]


def test_moving_to_a_supergroup_and_removal(sessions, mini, storage):
    session, _asked = at_first_question(sessions, mini)
    sessions.move_chat("-100", "-1009")
    assert sessions.open_in("-1009").id == session.id and sessions.open_in("-100") is None
    assert sessions.asked_by("-1009", 10) is not None
    assert sessions.end_all_in("-1009") == [session.id]
    assert sessions.open_in("-1009") is None


# ---- the renderer's group messages --------------------------------------------------------


def test_a_stretch_is_rendered_as_plain_messages(sessions, mini):
    _, outputs = sessions.start("-100", None, mini, None, started_by=1)
    stretch = group_render.stretch(outputs, t)
    assert not stretch.finished
    *texts, poll = stretch.messages
    assert isinstance(poll, Poll) and poll.options == tuple(f"stance.{v}" for v in range(1, 6))
    assert poll.record.kind == "poll" and poll.record.phase == "before" and poll.record.node == "before"
    assert any("Hello." in m.text for m in texts if isinstance(m, Text))
    assert "dialogue.progress|step=1|total=" in texts[-1].text


def test_questions_ask_for_a_reply_and_probes_only_of_one_member():
    asked = group_render.question(Question("q1", "What <b>now</b>?", "clarification"), t)
    assert asked.force_reply == "group.placeholder" and not asked.selective
    assert "What &lt;b&gt;now&lt;/b&gt;?" in asked.text and asked.record.kind == "question"
    probe = group_render.probe(Question("q1", "Say more?", "clarification", probe=True), 7, reply_to=42, t=t)
    assert probe.selective and probe.reply_to == 42 and probe.record.participant == 7
    assert len(group_render.question(Question("q", "x", "m"), lambda k, **v: "p" * 100).force_reply) == 64


def test_control_consent_picker_and_summary():
    control = group_render.control(5, 0, 3, t)
    assert control.text == "group.control|count=3"
    assert [(b.label, b.data) for b in control.keyboard[0]] == [("group.next", "g:n:5:0"), ("group.end", "g:e:5")]
    notice = group_render.consent_notice("<Ann>", 9, "https://t.me/bot?start=consent", 77, t)
    assert "&lt;Ann&gt;" in notice.text and notice.keyboard[0][0].url.endswith("start=consent")
    text, photo = group_render.summary(2, {"q1": 2}, {"q1": "Q" * 100}, b"png", t)
    assert "Q" * 80 + "…: 2" in text.text and isinstance(photo, Photo) and photo.data == b"png"
